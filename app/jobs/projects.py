"""The projects jobs: business-process events turned into tasks every minute; reminders and queued mail."""

from __future__ import annotations

from app.extensions import db
from app.services.job_messages import N_, job_message
from app.services.jobs import JobResult


def dispatch_events() -> JobResult:
    """Start the processes of the events recorded since the last run (one fire at a time: the claims)."""
    from app.services.projects.processes import dispatch

    started = dispatch(db.session)
    return JobResult(message=job_message(N_("%(started)s business processes started"), started=started),
                     counts={"started": started})


def send_reminders() -> JobResult:
    """Remind people of tasks due tomorrow or late, and hand the queued project mails to the server."""
    from app.services.projects.calendar import remind, send_queued

    reminded = remind(db.session)
    sent, failed = send_queued(db.session)
    return JobResult(message=job_message(N_("%(reminded)s reminders, %(sent)s e-mails sent, %(failed)s failed"),
                                         reminded=reminded, sent=sent, failed=failed),
                     counts={"reminded": reminded, "sent": sent, "failed": failed})
