"""Sending e-mail through the company's SMTP server, every message recorded in the outbox.

`send_mail` is the one entry point (purchase requests, invoices, proposals all call it). It joins the
caller's use case: the OutboxMessage with its attachments is written in the same transaction as what
the mail is about (a request marked sent, a proposal sent), and the server is asked last, so the use
case commits only once the server accepted the message. A refused or unreachable server rolls the
use case back and raises a DomainError the view shows; the attempt itself is kept as a `failed` row
with the server's error (`keep_on_rollback`) for `retry_mail`. The one case this cannot cover is a
crash between the server's acceptance and the commit: the mail went out, the outbox has no row.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.documents import OUTBOX_MESSAGE
from app.domain.errors import DomainError, Problem
from app.models.base import utcnow
from app.models.core import Company
from app.models.mail import MAIL_FAILED, MAIL_SENT, OutboxAttachment, OutboxMessage
from app.services.base import current_actor, keep_on_rollback, unit_of_work
from app.services.workflow import check

SMTP_TIMEOUT = 20  # seconds: a dead server must not hold a web worker for minutes


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    security: str  # none / starttls / ssl
    sender: str


def smtp_settings(session: Session) -> SmtpSettings:
    """The company's SMTP settings; a DomainError naming what is missing when mail can't be sent."""
    company = session.scalar(select(Company).order_by(Company.id).limit(1))
    if company is None or not company.smtp_host:
        raise DomainError("Outgoing mail is not configured: set the SMTP server in the company settings")
    sender = company.mail_from or company.email
    if not sender:
        raise DomainError("Outgoing mail is not configured: set the sender address in the company settings")
    password = os.environ.get("SMTP_PASSWORD") or company.smtp_password
    return SmtpSettings(company.smtp_host, company.smtp_port or 25, company.smtp_user, password,
                        company.smtp_security or "none", sender)


def _recipients(to: str | list[str]) -> list[str]:
    items = to if isinstance(to, list) else to.replace(";", ",").split(",")
    out = [a.strip() for a in items if a.strip()]
    bad = [a for a in out if "@" not in a or " " in a or "\n" in a or "\r" in a]
    if not out:
        raise DomainError("Give at least one recipient address")
    if bad:
        raise DomainError([Problem("Not an e-mail address: %(address)s", {"address": a}) for a in bad])
    return out


def send_mail(session: Session, *, to: str | list[str], subject: str, body: str,
              attachments: list[Attachment] = (), entity: str = "", entity_id: int | None = None,
              partner_id: int | None = None) -> OutboxMessage:
    """Record the message in the outbox, commit, send it; returns the row (state sent or failed).

    Raises DomainError when mail is not configured or the addresses are wrong (nothing recorded),
    or after recording a failed send (the row stays, with the error, for a retry).
    """
    settings = smtp_settings(session)
    recipients = _recipients(to)
    if "\n" in subject or "\r" in subject:
        raise DomainError("The subject must be one line")
    actor = current_actor()
    msg = OutboxMessage(sender=settings.sender, recipients=", ".join(recipients), subject=subject, body=body,
                        entity=entity, entity_id=entity_id, partner_id=partner_id, user_id=actor.user_id)
    msg.attachments = [OutboxAttachment(filename=a.filename, mimetype=a.mimetype, content=a.content)
                       for a in attachments]
    with unit_of_work(session):
        session.add(msg)
        session.flush()
        return _deliver(session, msg, settings, stored=False)


def retry_mail(session: Session, message_id: int) -> OutboxMessage:
    """Send an outbox message again (a failed one, or a queued one left by a crash)."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None:
        raise DomainError("No such message")
    check(OUTBOX_MESSAGE, msg, "retry")
    with unit_of_work(session):
        return _deliver(session, msg, smtp_settings(session), stored=True)


def _deliver(session: Session, msg: OutboxMessage, settings: SmtpSettings, stored: bool) -> OutboxMessage:
    """Ask the server; `stored`: the message was committed before (a retry), else it is new in this use case."""
    email = _build(msg)
    msg.attempts += 1
    try:
        _smtp_send(settings, email)
    except (OSError, smtplib.SMTPException) as exc:
        msg.state, msg.error = MAIL_FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        keep_on_rollback(session, _failed_copy(msg, stored))
        raise DomainError("The mail server refused the message: %(error)s", error=msg.error) from exc
    msg.state, msg.error, msg.sent_at = MAIL_SENT, "", utcnow()
    session.flush()
    return msg


def _failed_copy(msg: OutboxMessage, stored: bool):
    """What the rolled-back use case tried to send, as a failed outbox row (a retry sends it again)."""
    fields = {c: getattr(msg, c) for c in ("sender", "recipients", "subject", "body", "entity", "entity_id",
                                           "partner_id", "user_id", "state", "error", "attempts")}
    files = [(a.filename, a.mimetype, a.content) for a in msg.attachments]
    message_id = msg.id if stored else None

    def record(session: Session) -> None:
        existing = session.get(OutboxMessage, message_id) if message_id is not None else None
        if existing is not None:  # a retry of a stored message: only its outcome changes
            existing.state, existing.error, existing.attempts = fields["state"], fields["error"], fields["attempts"]
            return
        row = OutboxMessage(**fields)
        row.attachments = [OutboxAttachment(filename=f, mimetype=m, content=c) for f, m, c in files]
        session.add(row)

    return record


def _build(msg: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = msg.sender
    email["To"] = msg.recipients
    email["Subject"] = msg.subject
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain=msg.sender.rpartition("@")[2] or None)
    if msg.headers:  # a campaign's unsubscribe headers: a long link kept whole, not folded into encoded words
        email.policy = email.policy.clone(max_line_length=998)
    for name, value in (msg.headers or {}).items():
        email[name] = value
    email.set_content(msg.body or "")
    for att in msg.attachments:
        maintype, _, subtype = att.mimetype.partition("/")
        email.add_attachment(att.content, maintype=maintype, subtype=subtype or "octet-stream",
                             filename=att.filename)
    return email


def _smtp_send(settings: SmtpSettings, email: EmailMessage) -> None:
    if settings.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    with server:
        if settings.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password)
        server.send_message(email)
