"""Transaction and actor helpers shared by every service.

A service validates everything first, then writes, inside `unit_of_work`: it commits on success and
rolls back on any exception, so a refused document leaves nothing half-written.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log and permission checks outside a request (CLI, jobs)."""

    user_id: int | None
    username: str
    ip: str = ""


SYSTEM = Actor(None, "system")
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("fabrika_actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run a block as `actor` (jobs, CLI, tests); requests use the logged-in user instead."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    """The explicit actor if one is set, else the logged-in user of the request, else system."""
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    try:
        from flask import has_request_context, request
        from flask_login import current_user

        if has_request_context():
            ip = request.remote_addr or ""  # set from X-Forwarded-For only by ProxyFix (PROXY_FIX_X_FOR)
            if getattr(current_user, "is_authenticated", False):
                return Actor(current_user.id, current_user.username, ip)
            return Actor(None, "anonymous", ip)
    except Exception:  # noqa: BLE001 - outside Flask the system acts
        pass
    return SYSTEM


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit on success, roll back on error: a service's whole transaction."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
