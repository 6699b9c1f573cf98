"""A person's tasks as an iCalendar file (.ics), and the e-mail reminders of tasks due soon or late.

Each open task is an all-day event from its start to the day after its due day (DTEND is exclusive);
the UID is stable (task id and host), so a calendar that subscribes replaces events instead of adding
copies. Reminders are in-app notices and queued e-mails (app/services/projects/notify.py), once a day
per task; the reminders job then hands the queued project mails to the mail server.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.base import utcnow
from app.models.mail import MAIL_QUEUED, OutboxMessage
from app.models.projects import ProjectTask
from app.services.base import savepoint, unit_of_work
from app.services.projects.notify import ENTITY, notify
from app.services.projects.tasks import OPEN, my_tasks

MSG_DUE = "Reminder: task “%(title)s” is due %(due)s"
MSG_LATE = "Task “%(title)s” is late: it was due %(due)s"


def _text(value: str) -> str:
    """RFC 5545 text escaping."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, chunk = [], b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > 74:
            parts.append(chunk.decode())
            chunk = b""
        chunk += b
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def tasks_ics(tasks: list[ProjectTask], host: str = "fabrika", now: datetime | None = None) -> str:
    """The tasks as a VCALENDAR of all-day VEVENTs."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Fabrika//Projects//EN", "CALSCALE:GREGORIAN"]
    for t in tasks:
        summary = t.title if t.project is None else f"{t.title} · {t.project.label()}"
        lines += ["BEGIN:VEVENT", f"UID:task-{t.id}@{host}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{t.start_date:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{t.due_date + timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_text(summary)}", f"DESCRIPTION:{_text(t.description or '')}",
                  f"STATUS:{'CONFIRMED' if t.state != 'cancelled' else 'CANCELLED'}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def person_ics(session: Session, user: Any, host: str = "fabrika") -> str:
    return tasks_ics(my_tasks(session, user, limit=1000), host)


def remind(session: Session, today: date | None = None) -> int:
    """Remind the people on open tasks due tomorrow (or today) or already late, once a day per task."""
    today = today or date.today()
    n = 0
    with unit_of_work(session):
        for task in session.scalars(select(ProjectTask).where(
                ProjectTask.state.in_(OPEN), ProjectTask.due_date <= today + timedelta(days=1),
                (ProjectTask.reminded_on.is_(None)) | (ProjectTask.reminded_on < today)).limit(2000)):
            msgid = MSG_LATE if task.due_date < today else MSG_DUE
            n += notify(session, task, msgid, title=task.title, due=task.due_date.isoformat())
            task.reminded_on = today
    return n


def send_queued(session: Session, limit: int = 200) -> tuple[int, int]:
    """Send the queued project mails, each in a use case of its own (a refusal leaves it failed for a retry)."""
    from app.services.mail import retry_mail

    ids = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.entity == ENTITY,
                                                              OutboxMessage.state == MAIL_QUEUED)
                               .order_by(OutboxMessage.id).limit(limit)))
    sent = failed = 0
    for message_id in ids:
        try:
            with unit_of_work(session), savepoint(session):
                retry_mail(session, message_id)
            sent += 1
        except DomainError:
            failed += 1
    return sent, failed
