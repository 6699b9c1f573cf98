"""Transaction and actor helpers shared by every service.

One use case is one transaction. The edge (a page action, a REST endpoint, a job, a CLI command) opens
it with `unit_of_work`; every service it calls opens `unit_of_work` too, which then *joins* the open
scope. Only the outermost scope commits (or rolls back on any exception), so a use case spanning
several services (convert a TCP, act on an order's analysis) is atomic and a refused step leaves
nothing behind. A service called on its own (tests, the shell) is its own outermost scope.

Nothing else calls `session.commit()`. Code that catches a DomainError from a nested service and
goes on must run that call in `savepoint(session)`, so the refused step's writes are undone while the
rest of the use case stays.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.domain.errors import DomainError


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log and permission checks outside a request (CLI, jobs)."""

    user_id: int | None
    username: str
    ip: str = ""


SYSTEM = Actor(None, "system")
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("fabrika_actor", default=None)


def _request_user(session_user):
    """The session's user, else the bearer token's (FAB puts it on `g.user` once @protect verified it).

    flask_login's current_user is anonymous in a request authenticated by a JWT, so reading it alone
    would record every API write as "anonymous" (STACK.md section 11).
    """
    if getattr(session_user, "is_authenticated", False):
        return session_user
    from flask import g

    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "id", None):
        return user
    return None


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
            user = _request_user(current_user)
            if user is not None:
                return Actor(user.id, user.username, ip)
            return Actor(None, "anonymous", ip)
    except Exception:  # noqa: BLE001 - outside Flask the system acts
        pass
    return SYSTEM


_DEPTH = "fabrika_uow_depth"


def in_use_case(session: Session) -> bool:
    """Whether a unit_of_work is open on this session (a new one would join it, not commit)."""
    return bool(session.info.get(_DEPTH))


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Open the use case's transaction, or join the one already open on this session.

    The outermost scope commits on success and rolls back on any exception; a joined scope does
    neither (its exception reaches the outermost scope, which rolls the whole use case back).
    """
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        if depth:
            yield session
            return
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            session.info[_DEPTH] = depth  # the records below are use cases of their own
            _record_failures(session)
            raise
    finally:
        session.info[_DEPTH] = depth
        if not depth:
            session.info.pop(_ON_ROLLBACK, None)


_ON_ROLLBACK = "fabrika_on_rollback"


def keep_on_rollback(session: Session, record: Callable[[Session], None]) -> None:
    """Write `record` even if the use case is rolled back (e.g. a failed e-mail attempt for a retry).

    It runs in a transaction of its own right after the rollback; on commit it is dropped, since the
    use case's own writes already hold what it would record.
    """
    session.info.setdefault(_ON_ROLLBACK, []).append(record)


def _record_failures(session: Session) -> None:
    records = session.info.pop(_ON_ROLLBACK, [])
    for record in records:
        with unit_of_work(session):
            record(session)


def end_read_transaction(session: Session) -> None:
    """End an edge's open transaction before long work (on SQLite even a read holds the write lock).

    Only outside a use case: inside one, ending the transaction would split it.
    """
    if in_unit_of_work(session):
        raise RuntimeError("end_read_transaction inside a unit of work would split the use case")
    session.commit()


def in_unit_of_work(session: Session) -> bool:
    """True inside a use case (an open `unit_of_work` scope) on this session."""
    return session.info.get(_DEPTH, 0) > 0


@contextmanager
def savepoint(session: Session) -> Iterator[Session]:
    """A step whose refusal the caller handles: its writes are undone, the use case goes on."""
    with unit_of_work(session), session.begin_nested():
        yield session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- the edge: one use case, retried when the database asks for it -------------------------------

T = TypeVar("T")
RETRIES = 3  # attempts after the first; each attempt is the whole use case again, from the start
RETRY_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
MSG_BUSY = "The database is busy with other work: try again in a moment"


class Busy(DomainError):
    """The use case met a deadlock or serialization failure on every attempt: the caller may retry."""

    def __init__(self) -> None:
        super().__init__(MSG_BUSY)


def _retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL) or a lock timeout (SQLite): nothing was written."""
    if not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in RETRY_STATES or "database is locked" in str(exc.orig)


def run_use_case(session: Session, use_case: Callable[[], T], attempts: int = RETRIES + 1) -> T:
    """Run one use case as one transaction: the edge's (page action, REST command, job, CLI) entry point.

    A deadlock or serialization failure rolls everything back, so the whole use case is simply run again
    (a bounded number of times, with a short growing pause); then the caller gets `Busy`.
    """
    for attempt in range(attempts):
        try:
            with unit_of_work(session):
                return use_case()
        except OperationalError as exc:
            if not _retryable(exc) or in_unit_of_work(session):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise Busy()
