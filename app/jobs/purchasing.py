"""The nightly reorder job: run the purchasing methods chosen in the settings, leave the summary."""

from __future__ import annotations

from app.extensions import db
from app.services.jobs import JobResult
from app.services.purchasing.settings import nightly_run


def nightly_reorder() -> JobResult:
    """Runs inside an app context (the runner opens it and records the run)."""
    summary = nightly_run(db.session)
    return JobResult(
        message=f"{','.join(summary.methods)}: {summary.stats.requests_created} new requests, "
                f"{summary.stats.lines_created} new lines, {summary.stats.lines_updated} updated, "
                f"value {summary.value_base}",
        counts={"requests": summary.stats.requests_created, "lines": summary.stats.lines_created,
                "updated": summary.stats.lines_updated, "removed": summary.stats.lines_removed,
                "value": summary.value_base},
    )
