"""Row locks for state transitions: lock first, then re-read, then check.

A transition read before its lock decides on what another transaction may be changing: two users
cancelling one payment both saw it posted and both took its amount off the invoice. So a service
locks the row that serialises the transition (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write
transaction already serialises) and reads the rows it checks *after* the lock, with
`populate_existing`, so an object the session loaded earlier (a page's form, an earlier step of the
use case) is refreshed from the database instead of trusted.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")


def lock_row(session: Session, model: type[T], row_id: int | None, *options: Any) -> T | None:
    """The row `row_id` of `model`, locked until the transaction ends and re-read from the database."""
    if row_id is None:
        return None
    stmt = (select(model).where(model.id == row_id).with_for_update(of=model)  # type: ignore[attr-defined]
            .options(*options).execution_options(populate_existing=True))
    return session.scalar(stmt)


def reread(session: Session, model: type[T], row_id: int | None, *options: Any) -> T | None:
    """The row re-read from the database (no lock): for rows whose changes the caller's lock serialises."""
    if row_id is None:
        return None
    stmt = select(model).where(model.id == row_id).options(*options).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    return session.scalar(stmt)


def column_of(session: Session, column: Any, key_column: Any, row_id: int) -> Any:
    """One column of a row read without loading (or trusting) an ORM object: the key to lock by."""
    return session.scalar(select(column).where(key_column == row_id))
