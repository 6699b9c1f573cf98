"""The marketing jobs: campaign mail paced out of the outbox every minute, segments rebuilt nightly."""

from __future__ import annotations

from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.marketing import CAMPAIGN_SENDING, Campaign
from app.services.job_messages import N_, job_message
from app.services.jobs import JobResult


def send_campaigns() -> JobResult:
    """Each sending campaign: its next `per_run` letters into the outbox, then the queued ones delivered.

    The run is one use case (the runner's): letters written and their delivery states commit together.
    """
    from app.services.mail import retry_mail
    from app.services.marketing.campaigns import queued_messages, send_batch

    session = db.session
    ids = list(session.scalars(select(Campaign.id).where(Campaign.state == CAMPAIGN_SENDING)))
    written = sent = failed = 0
    for campaign_id in ids:
        written += send_batch(session, campaign_id)
        per_run = session.get(Campaign, campaign_id).per_run
        for message_id in queued_messages(session, campaign_id, per_run):
            try:
                retry_mail(session, message_id)
                sent += 1
            except DomainError:
                failed += 1  # the message stays in the outbox as failed, with the server's answer
    return JobResult(message=job_message(N_("%(written)s letters written, %(sent)s sent, %(failed)s failed"),
                                         written=written, sent=sent, failed=failed),
                     counts={"written": written, "sent": sent, "failed": failed})


def nightly_segments() -> JobResult:
    """Client statistics and every segment rebuilt (rules on time, such as "no order in 6 months")."""
    from app.services.marketing.segments import evaluate_all
    from app.services.marketing.stats import rebuild_all

    clients = rebuild_all(db.session)
    sizes = evaluate_all(db.session)
    return JobResult(message=job_message(N_("%(clients)s clients scored, %(segments)s segments rebuilt"),
                                         clients=clients, segments=len(sizes)),
                     counts={"clients": clients, "segments": len(sizes)})
