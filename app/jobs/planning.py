"""The nightly planning job: refit the demand forecast, then run the material plan with it."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.services.job_messages import N_, job_message
from app.services.jobs import JobResult
from app.services.planning.forecast import compute
from app.services.planning.run import run_plan


def nightly_plan() -> JobResult:
    """Runs inside an app context (the runner opens it and records the run)."""
    today = date.today()
    items = compute(db.session, today)
    summary = run_plan(db.session, today, trigger="schedule", username="system")
    return JobResult(
        message=job_message(N_("Forecast for %(items)s items; plan: %(planned)s planned orders, %(created)s new, "
                               "%(updated)s changed, %(removed)s gone"), items=items, planned=summary.planned,
                            created=summary.created, updated=summary.updated, removed=summary.removed),
        counts={"items": items, "planned": summary.planned, "created": summary.created,
                "updated": summary.updated, "removed": summary.removed})
