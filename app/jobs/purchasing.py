"""The nightly reorder job: run the purchasing methods chosen in the settings, leave the summary."""

from __future__ import annotations

from app.extensions import db
from app.services.job_messages import N_, job_message
from app.services.jobs import JobResult
from app.services.purchasing.settings import nightly_run


def nightly_reorder() -> JobResult:
    """Runs inside an app context (the runner opens it and records the run)."""
    summary = nightly_run(db.session)
    return JobResult(
        message=job_message(N_("%(methods)s: %(requests)s new requests, %(lines)s new lines, %(updated)s updated, "
                               "value %(value)s"), methods=list(summary.methods),
                            requests=summary.stats.requests_created, lines=summary.stats.lines_created,
                            updated=summary.stats.lines_updated, value=summary.value_base),
        counts={"requests": summary.stats.requests_created, "lines": summary.stats.lines_created,
                "updated": summary.stats.lines_updated, "removed": summary.stats.lines_removed,
                "value": summary.value_base},
    )
