"""The KPI jobs: nightly computation of every KPI, and the scheduled reports that fall due."""

from __future__ import annotations

from app.extensions import db
from app.services.job_messages import N_, job_message
from app.services.jobs import JobResult
from app.services.kpi.compute import compute_kpis


def nightly_kpi() -> JobResult:
    """Compute every KPI for every closed period of the horizon and the running one (idempotent)."""
    stats = compute_kpis(db.session)
    return JobResult(
        message=job_message(N_("%(facts)s figures written, %(unchanged)s unchanged, %(values)s KPI values, "
                               "%(restatements)s restatements in %(seconds)s s"),
                            facts=stats.facts_written, unchanged=stats.facts_unchanged, values=stats.values_written,
                            restatements=stats.restatements, seconds=stats.seconds),
        counts={"facts": stats.facts_written, "unchanged": stats.facts_unchanged, "values": stats.values_written,
                "restatements": stats.restatements, "seconds": stats.seconds},
    )


def send_due_reports() -> JobResult:
    """Send every scheduled report whose time has come (a backlog of missed slots is sent once)."""
    from app.services.kpi.reports import send_due

    runs = send_due(db.session)
    sent = sum(1 for r in runs if r.status == "sent")
    return JobResult(message=job_message(N_("%(sent)s reports sent, %(other)s skipped or failed"), sent=sent,
                                         other=len(runs) - sent),
                     counts={"sent": sent, "runs": len(runs)})
