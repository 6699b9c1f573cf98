"""Job run records: one JobRun row per run of a job, written as the run starts and when it ends.

The row is committed when the run starts (status "running"), so a run that hangs or whose process
dies stays visible; the result is written in a second transaction, so a job that fails and rolls
back its own work still leaves its "failed" record with the error message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.audit import JobRun
from app.models.base import utcnow
from app.services.base import unit_of_work
from app.services.job_messages import N_, job_message

TRIGGER_SCHEDULE = "schedule"
TRIGGER_MANUAL = "manual"
STATUS_RUNNING = "running"
STATUS_SUCCESS = "success"
STATUS_FAILED = "failed"

TRIGGER_LABELS = {TRIGGER_SCHEDULE: _l("Schedule"), TRIGGER_MANUAL: _l("Manual")}
STATUS_LABELS = {STATUS_RUNNING: _l("Running"), STATUS_SUCCESS: _l("Success"), STATUS_FAILED: _l("Failed")}
MESSAGE_LIMIT = 4000


@dataclass(frozen=True)
class JobResult:
    """What a job function returns: a one-line message and counts (rows written, files, bytes)."""

    message: str = ""
    counts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended; `error` keeps the exception so an edge can translate a DomainError."""

    run_id: int
    job_id: str
    status: str
    message: str
    counts: Mapping[str, Any]
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_SUCCESS


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def counts_json(counts: Mapping[str, Any]) -> str:
    """Counts as JSON; Decimal stays exact (as a string), never a float."""
    if not counts:
        return ""
    return json.dumps({str(k): _plain(v) for k, v in counts.items()}, ensure_ascii=False, sort_keys=True,
                      default=str)


def describe_error(exc: BaseException) -> str:
    """The message stored for a failed run: all problems of a DomainError, else type and text."""
    if isinstance(exc, DomainError):
        text = "; ".join(exc.messages())
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MESSAGE_LIMIT]


def start_run(session: Session, job_id: str, trigger: str, username: str) -> int:
    """Insert the "running" row and commit it, so the run is visible while it works."""
    run = JobRun(job_id=job_id, trigger=trigger, username=username[:100], status=STATUS_RUNNING,
                 started_at=utcnow())
    with unit_of_work(session):
        session.add(run)
        session.flush()
    return run.id


def abandon_run(session: Session, run_id: int, runner: str) -> None:
    """A run whose scheduler process died (its lease ran out): failed, saying so (joins the caller)."""
    session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == STATUS_RUNNING).values(
        status=STATUS_FAILED, finished_at=utcnow(),
        message=job_message(N_("The scheduler process %(runner)s stopped during the run; another process ran it again"),
                            runner=runner),
    ).execution_options(synchronize_session=False))


def finish_run(session: Session, run_id: int, status: str, message: str = "",
               counts: Mapping[str, Any] | None = None, error: BaseException | None = None) -> RunOutcome:
    """Write the result of run `run_id` and commit."""
    counts = dict(counts or {})
    with unit_of_work(session):
        run = session.get(JobRun, run_id)
        if run is None:
            raise LookupError(f"job run {run_id} not found")
        run.status = status
        run.finished_at = utcnow()
        run.message = (message or "")[:MESSAGE_LIMIT]
        run.counts = counts_json(counts)
    return RunOutcome(run_id, run.job_id, status, run.message, counts, error)


def record_run(session: Session, job_id: str, trigger: str, username: str, status: str, message: str = "",
               counts: Mapping[str, Any] | None = None) -> int:
    """Record a finished run in one go (operations done outside the runner, such as a restore)."""
    now = utcnow()
    run = JobRun(job_id=job_id, trigger=trigger, username=username[:100], status=status, started_at=now,
                 finished_at=now, message=message[:MESSAGE_LIMIT], counts=counts_json(counts or {}))
    with unit_of_work(session):
        session.add(run)
        session.flush()
    return run.id


def close_interrupted_runs(session: Session, message: str) -> int:
    """Mark every "running" row as failed: their processes are gone (e.g. the database was restored
    from a backup taken while a run was in progress, so the snapshot holds its "running" row)."""
    with unit_of_work(session):
        result = session.execute(
            update(JobRun)
            .where(JobRun.status == STATUS_RUNNING)
            .values(status=STATUS_FAILED, finished_at=utcnow(), message=message[:MESSAGE_LIMIT])
        )
    return result.rowcount or 0


def latest_runs(session: Session, job_ids: Iterable[str]) -> dict[str, JobRun]:
    """The most recent run of each job, for the jobs page and `scheduler list`."""
    ids = list(job_ids)
    if not ids:
        return {}
    newest = (
        select(JobRun.job_id, func.max(JobRun.id).label("id"))
        .where(JobRun.job_id.in_(ids))
        .group_by(JobRun.job_id)
        .subquery()
    )
    rows = session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job_id: run for run in rows}
