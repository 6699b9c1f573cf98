"""APScheduler 3 wiring: one scheduler process, jobs from the registry, state in the app's database.

Deployment (STACK.md section 5, recommendation D): exactly one `flask --app run scheduler run`
process (a BlockingScheduler) per deployment, beside the web workers, which never start a
scheduler. APScheduler 3 has no locking between processes, so two schedulers on one job store
would run every job twice. Only for development, SCHEDULER_ENABLED=1 starts a BackgroundScheduler
inside the serving process on its first request (never in CLI commands, never under gunicorn).

Each registry entry becomes one job with an explicit id, stored as a reference to the runner plus
the job id. At start the store is synced with the registry: new or changed entries are (re)added
with replace_existing, unchanged ones are left alone so that a run missed while the scheduler was
down still fires within misfire_grace_time, and jobs no longer registered are removed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, request
from sqlalchemy import column, inspect, select, table
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import registry
from app.jobs.registry import JobSpec
from app.jobs.runner import RUNNER_REF, set_app
from app.models.audit import JobRun
from app.services.jobs import latest_runs

JOBSTORE_TABLE = "apscheduler_jobs"
# coalesce: a backlog of missed runs fires once; max_instances: a slow run is never overlapped;
# misfire_grace_time: a run missed by less than an hour (restart, deploy) still happens.
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
log = logging.getLogger(__name__)


def configure(scheduler: BaseScheduler, app: Flask, jobstore: BaseJobStore | None = None,
              timezone: Any = None) -> BaseScheduler:
    """Configure `scheduler` (not yet started) to run the registry's jobs for `app`.

    The job store defaults to the app's database; tests pass a MemoryJobStore. The timezone of the
    crontabs is `timezone`, else config SCHEDULER_TIMEZONE, else the server's local zone.
    """
    set_app(app)
    if jobstore is None:
        with app.app_context():
            jobstore = SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE)
    options: dict[str, Any] = {"jobstores": {"default": jobstore}, "job_defaults": dict(JOB_DEFAULTS)}
    timezone = timezone or app.config.get("SCHEDULER_TIMEZONE")
    if timezone:
        options["timezone"] = timezone
    scheduler.configure(**options)
    for spec in registry.JOBS:  # a bad crontab fails here, loudly, not later inside a listener
        spec.trigger(scheduler.timezone)
    scheduler.add_listener(lambda _event: _sync_on_start(scheduler), EVENT_SCHEDULER_STARTED)
    return scheduler


def _sync_on_start(scheduler: BaseScheduler) -> None:
    try:
        for job_id, change in sync_jobs(scheduler).items():
            log.info("job %s: %s", job_id, change)
    except Exception:
        log.exception("could not sync the registered jobs into the job store")
        raise


def sync_jobs(scheduler: BaseScheduler) -> dict[str, str]:
    """Make the started scheduler's jobs match the registry; returns {job id: what was done}."""
    wanted = {spec.id: spec for spec in registry.JOBS}
    report: dict[str, str] = {}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            report[job.id] = "removed"
    for spec in registry.JOBS:
        trigger = spec.trigger(scheduler.timezone)
        existing = scheduler.get_job(spec.id)
        if existing is not None and _unchanged(existing, spec, trigger):
            report[spec.id] = "kept"
            continue
        scheduler.add_job(RUNNER_REF, trigger, args=[spec.id], id=spec.id, name=spec.id, replace_existing=True,
                          **JOB_DEFAULTS)
        report[spec.id] = "updated" if existing is not None else "added"
    return report


def _unchanged(job: Any, spec: JobSpec, trigger: CronTrigger) -> bool:
    return (
        job.func_ref == RUNNER_REF
        and tuple(job.args) == (spec.id,)
        and isinstance(job.trigger, CronTrigger)
        and str(job.trigger) == str(trigger)
        and str(job.trigger.timezone) == str(trigger.timezone)
        and all(getattr(job, key) == value for key, value in JOB_DEFAULTS.items())
    )


# --- what is scheduled (the jobs page, `scheduler list`) -----------------------------------------


@dataclass(frozen=True)
class JobStatus:
    spec: JobSpec
    next_run: datetime | None  # UTC, naive; None when no scheduler has stored the job yet
    last_run: JobRun | None


def stored_next_runs(session: Session) -> dict[str, datetime | None]:
    """Next run times as the scheduler process stored them, read through `session`.

    Read with the caller's session (not a second connection): on SQLite a second connection would
    wait for the write lock that the request's transaction holds.
    """
    if not inspect(session.connection()).has_table(JOBSTORE_TABLE):
        return {}
    jobs_t = table(JOBSTORE_TABLE, column("id"), column("next_run_time"))
    rows = session.execute(select(jobs_t.c.id, jobs_t.c.next_run_time))
    return {
        job_id: datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) if ts is not None else None
        for job_id, ts in rows
    }


def job_statuses(session: Session) -> list[JobStatus]:
    """Every registered job with its stored next run and its most recent run."""
    next_runs = stored_next_runs(session)
    last = latest_runs(session, [spec.id for spec in registry.JOBS])
    return [JobStatus(spec, next_runs.get(spec.id), last.get(spec.id)) for spec in registry.JOBS]


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


def start_dev_scheduler(app: Flask, server_software: str = "", jobstore: BaseJobStore | None = None
                        ) -> BaseScheduler | None:
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
        scheduler.start()
        _dev["scheduler"] = scheduler
        return scheduler


def stop_dev_scheduler() -> None:
    """Shut the in-process scheduler down and forget the decision (tests, a clean exit)."""
    with _dev_lock:
        scheduler = _dev["scheduler"]
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        _dev.update(decided=False, scheduler=None)
