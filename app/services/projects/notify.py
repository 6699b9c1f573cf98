"""Telling people about their tasks: an in-app notice and a queued e-mail, both in the recipient's language.

The notice is written in the same transaction as the task it is about. The e-mail goes to the outbox as
`queued` (app/services/mail.py's OutboxMessage); the reminders job (app/jobs/projects.py) hands queued
project mails to the mail server, so a process run by the scheduler never waits on SMTP.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.audit import UserPreference
from app.models.core import Company
from app.models.mail import MAIL_QUEUED, OutboxMessage
from app.models.projects import ProjectTask, TaskNotice

ENTITY = "ProjectTask"  # the outbox names what a mail is about by its register (vocabulary.ENTITY_LABELS)


def user_locale(session: Session, user_id: int) -> str:
    return session.scalar(select(UserPreference.locale).where(UserPreference.user_id == user_id)) or "en"


def recipients(session: Session, task: ProjectTask) -> list[Any]:
    """The person on the task, else every active user holding its role."""
    if task.assignee is not None:
        return [task.assignee]
    if task.assignee_role is not None:
        return [u for u in task.assignee_role.user if getattr(u, "active", True)]
    return []


def _sender(session: Session) -> str:
    company = session.scalar(select(Company).order_by(Company.id).limit(1))
    return (company and (company.mail_from or company.email)) or "fabrika@localhost"


def notify(session: Session, task: ProjectTask, msgid: str, **params: Any) -> int:
    """Notice (and e-mail when the person has an address) for everyone on `task`; how many were told.

    A parameter may be a function of the language (a step's title in three languages)."""
    told = 0
    for user in recipients(session, task):
        locale = user_locale(session, user.id)
        with force_locale(locale):
            text = gettext(msgid, **{k: v(locale) if callable(v) else v for k, v in params.items()})
            subject = gettext("Task: %(title)s", title=task.title)
        session.add(TaskNotice(user_id=user.id, task_id=task.id, text=text[:500]))
        if getattr(user, "email", ""):
            session.add(OutboxMessage(sender=_sender(session), recipients=user.email, subject=subject[:300],
                                      body=text, entity=ENTITY, entity_id=task.id, user_id=user.id,
                                      state=MAIL_QUEUED))
        told += 1
    return told
