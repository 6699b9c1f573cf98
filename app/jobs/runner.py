"""Runs a registered job and records the run; the one path for scheduled and hand-started runs.

`run_scheduled` is what the job store pickles (by reference, with the job id as its only argument):
it opens an app context and calls `run_job`. `run_job` is also what the "Run now" button and
`flask scheduler run-job` call, inside their own request or app context. A job that raises is
recorded as failed with its message and the exception goes no further, so the scheduler carries on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask

from app.extensions import db
from app.jobs import claims, registry
from app.jobs.claims import Fire
from app.services import jobs as job_runs
from app.services.base import SYSTEM, Actor, acting_as, end_read_transaction, unit_of_work
from app.services.jobs import STATUS_FAILED, STATUS_SUCCESS, TRIGGER_SCHEDULE, JobResult, RunOutcome

RUNNER_REF = "app.jobs.runner:run_scheduled"
log = logging.getLogger(__name__)
_app: Flask | None = None
_app_lock = threading.Lock()


def set_app(app: Flask) -> None:
    """The app whose context scheduled runs open (set by the scheduler wiring)."""
    global _app
    _app = app


def _get_app() -> Flask:
    # A store loaded by a process that never called set_app: build the app once, lazily.
    global _app
    with _app_lock:
        if _app is None:
            from app import create_app

            _app = create_app()
        return _app


def run_scheduled(job_id: str) -> None:
    """The scheduler's entry point for every job: app context, run, record, clean session."""
    app = _get_app()
    with app.app_context():
        try:
            run_job(job_id, TRIGGER_SCHEDULE, SYSTEM)
        finally:
            db.session.remove()


def run_job(job_id: str, trigger: str = TRIGGER_SCHEDULE, actor: Actor | None = None) -> RunOutcome:
    """Run job `job_id` now, in this thread, and record it as one JobRun row ("Run now", the CLI).

    The caller's session transaction is committed first: on SQLite an open transaction holds the
    write lock, which the run's own record and the job's connections need.
    """
    spec = registry.get_job(job_id)
    actor = actor or SYSTEM
    session = db.session
    end_read_transaction(session)
    run_id = job_runs.start_run(session, spec.id, trigger, actor.username)
    try:
        with acting_as(actor), unit_of_work(session):  # the job is one use case
            result = _as_result(spec.load()())
    except Exception as exc:  # noqa: BLE001 - recorded as failed; the scheduler must carry on
        log.exception("job %s failed", spec.id)
        return job_runs.finish_run(session, run_id, STATUS_FAILED, job_runs.describe_error(exc), error=exc)
    return job_runs.finish_run(session, run_id, STATUS_SUCCESS, result.message, result.counts)


def run_claimed(fire: Fire) -> RunOutcome:
    """Run a fire this scheduler process claimed (app/jobs/claims.py), its JobRun made by the claim.

    The fire is marked done and the run finished inside the job's own transaction: a fire another
    process took over meanwhile (LostClaim) rolls the job back instead of committing it twice, and
    a fast job costs one transaction besides its claim.
    """
    spec = registry.get_job(fire.job_id)
    session = db.session
    end_read_transaction(session)
    try:
        with acting_as(SYSTEM), unit_of_work(session):
            result = _as_result(spec.load()())
            claims.complete(session, fire)
            return job_runs.finish_run(session, fire.run_id, STATUS_SUCCESS, result.message, result.counts)
    except Exception as exc:  # noqa: BLE001 - recorded as failed; the scheduler must carry on
        log.exception("job %s failed", spec.id)
        with unit_of_work(session):
            if not isinstance(exc, claims.LostClaim):
                claims.mark_failed(session, fire)
            return job_runs.finish_run(session, fire.run_id, STATUS_FAILED, job_runs.describe_error(exc), error=exc)


def _as_result(value: Any) -> JobResult:
    if isinstance(value, JobResult):
        return value
    if isinstance(value, dict):
        return JobResult(counts=value)
    return JobResult(message="" if value is None else str(value))
