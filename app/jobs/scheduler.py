"""APScheduler 3 wiring: any number of scheduler processes, each fire claimed once in the database.

Deployment: one or more `flask --app run scheduler run` processes, on any hosts, beside the web
workers (which never start a scheduler). APScheduler 3 has no locking between processes, so they
do not share its job store: each process keeps an in-memory store with one interval job, the tick
(app/jobs/claims.py), which claims every registered job's due fire in the database and runs it.
A fire is claimed by exactly one process; a backlog of slots missed while no scheduler ran fires
once when one comes back; a fire whose process died is taken over when its lease runs out. Only for
development, SCHEDULER_ENABLED=1 starts a BackgroundScheduler inside the serving process on its
first request (never in CLI commands, never under gunicorn).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask, request
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.jobs import claims, registry
from app.jobs.registry import JobSpec
from app.jobs.runner import set_app
from app.models.audit import JobRun
from app.models.jobs import JobSchedule
from app.services.jobs import latest_runs

TICK_JOB_ID = "fabrika-tick"
# the tick is never overlapped, and a tick missed by a busy process is simply the next one
TICK_DEFAULTS: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
log = logging.getLogger(__name__)


def configure(scheduler: BaseScheduler, app: Flask, jobstore: BaseJobStore | None = None,
              timezone: Any = None) -> BaseScheduler:
    """Configure `scheduler` (not yet started) to claim and run the registry's jobs for `app`.

    The crontabs' timezone is `timezone`, else config SCHEDULER_TIMEZONE, else the server's local
    zone. Config SCHEDULER_TICK_SECONDS (5) is how often due fires are claimed, SCHEDULER_LEASE_SECONDS
    (120) how long a silent process keeps its claim, SCHEDULER_WORKERS (4) how many jobs run at once.
    """
    set_app(app)
    options: dict[str, Any] = {"jobstores": {"default": jobstore or MemoryJobStore()}}
    timezone = timezone or app.config.get("SCHEDULER_TIMEZONE")
    if timezone:
        options["timezone"] = timezone
    scheduler.configure(**options)
    for spec in registry.JOBS:  # a bad crontab fails here, loudly, not later inside the tick
        spec.trigger(scheduler.timezone)
    ticker = claims.Ticker(app, timezone=scheduler.timezone,
                           lease=timedelta(seconds=float(app.config.get("SCHEDULER_LEASE_SECONDS", 120))),
                           workers=int(app.config.get("SCHEDULER_WORKERS", 4)))
    scheduler.add_job(ticker.tick, "interval", seconds=float(app.config.get("SCHEDULER_TICK_SECONDS", 5)),
                      id=TICK_JOB_ID, name="claim due fires", replace_existing=True,
                      next_run_time=datetime.now(scheduler.timezone), **TICK_DEFAULTS)
    scheduler.fabrika_ticker = ticker  # type: ignore[attr-defined]
    return scheduler


def shutdown(scheduler: BaseScheduler, wait: bool = True) -> None:
    """Stop ticking, then let the running jobs finish (wait) or leave them to the lease."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)
    ticker = getattr(scheduler, "fabrika_ticker", None)
    if ticker is not None:
        ticker.shutdown(wait=wait)


# --- what is scheduled (the jobs page, `scheduler list`) -----------------------------------------


@dataclass(frozen=True)
class JobStatus:
    spec: JobSpec
    next_run: datetime | None  # UTC, naive: the next slot of its crontab
    last_run: JobRun | None
    last_slot: datetime | None = None  # UTC, naive: the last fire a scheduler claimed


def claimed_slots(session: Session) -> dict[str, datetime | None]:
    """The last slot claimed per job (none before any scheduler ran)."""
    if not inspect(session.connection()).has_table(JobSchedule.__tablename__):
        return {}
    return dict(session.execute(select(JobSchedule.job_id, JobSchedule.last_slot)).all())


def job_statuses(session: Session, timezone: Any = None) -> list[JobStatus]:
    """Every registered job with its next slot, its last claimed slot and its most recent run."""
    from flask import current_app

    timezone = timezone or current_app.config.get("SCHEDULER_TIMEZONE") or "UTC"
    now = claims.utc_now()
    slots = claimed_slots(session)
    last = latest_runs(session, [spec.id for spec in registry.JOBS])
    return [JobStatus(spec, claims.next_slot(spec, timezone, now), last.get(spec.id), slots.get(spec.id))
            for spec in registry.JOBS]


# --- development only: an in-process scheduler ---------------------------------------------------

_dev: dict[str, Any] = {"decided": False, "scheduler": None}
_dev_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """With SCHEDULER_ENABLED=1, start an in-process scheduler on the first request (dev only)."""
    if app.config.get("SCHEDULER_ENABLED"):
        app.before_request(lambda: _start_for_request(app))


def _start_for_request(app: Flask) -> None:
    if not _dev["decided"]:
        start_dev_scheduler(app, request.environ.get("SERVER_SOFTWARE", ""))


def start_dev_scheduler(app: Flask, server_software: str = "", jobstore: BaseJobStore | None = None,
                        paused: bool = False) -> BaseScheduler | None:
    """Start the one in-process BackgroundScheduler, unless this is a gunicorn worker.

    Each gunicorn worker would start its own scheduler and every job would run once per worker,
    so there the setting is ignored with a warning: run `flask scheduler run` instead.
    """
    with _dev_lock:
        if _dev["decided"]:
            return _dev["scheduler"]
        _dev["decided"] = True
        if server_software.lower().startswith("gunicorn"):
            log.warning("SCHEDULER_ENABLED is ignored under gunicorn; run `flask scheduler run` instead")
            return None
        scheduler = configure(BackgroundScheduler(daemon=True), app, jobstore=jobstore)
        scheduler.start(paused=paused)
        _dev["scheduler"] = scheduler
        return scheduler


def stop_dev_scheduler() -> None:
    """Shut the in-process scheduler down and forget the decision (tests, a clean exit)."""
    with _dev_lock:
        scheduler = _dev["scheduler"]
        if scheduler is not None:
            shutdown(scheduler, wait=False)
        _dev.update(decided=False, scheduler=None)
