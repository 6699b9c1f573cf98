"""Document numbers: per document type and year, gap-tolerant, never duplicated.

The counter row is incremented with one UPDATE ... RETURNING, which PostgreSQL serialises on the
row lock and SQLite on its write lock, so concurrent users never get the same number.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models.core import DocumentSequence
from app.services import driver_sql

DEFAULT_PREFIXES: dict[str, str] = {}


_SEQ = DocumentSequence.__table__
# built once, run as a Core statement: building it per call, and the ORM's bulk-UPDATE path, cost
# more than the rest of a one-line document's numbering
_INCREMENT = (
    update(_SEQ)
    .where(_SEQ.c.doc_type == bindparam("b_doc_type"), _SEQ.c.year == bindparam("b_year"))
    .values(next_value=_SEQ.c.next_value + 1)
    .returning(_SEQ.c.next_value, _SEQ.c.prefix, _SEQ.c.padding)
)


def _increment(session: Session, doc_type: str, year: int):
    found = driver_sql.fetch(session, _INCREMENT, {"b_doc_type": doc_type, "b_year": year})
    return found[0] if found else None


def next_number(session: Session, doc_type: str, on_date: date, prefix: str | None = None) -> str:
    """Take the next number for `doc_type` in the year of `on_date`, e.g. 'GR-2026-00001'.

    The number belongs to the caller's transaction: it is taken for good when the caller commits,
    and a rollback gives it back to the next caller, so a number is never handed out twice. `prefix` is used only
    when the year's counter is created; a new year otherwise keeps the last year's prefix and
    padding, so a prefix set in the settings survives New Year.
    """
    year = on_date.year
    row = _increment(session, doc_type, year)
    if row is None:
        _create_counter(session, doc_type, year, prefix)
        row = _increment(session, doc_type, year)
    value, pfx, padding = row
    return _format(pfx, year, value - 1, padding)


def _create_counter(session: Session, doc_type: str, year: int, prefix: str | None) -> None:
    """Insert the year's counter; a concurrent creator wins silently (ON CONFLICT DO NOTHING)."""
    previous = session.execute(
        select(DocumentSequence.prefix, DocumentSequence.padding)
        .where(DocumentSequence.doc_type == doc_type, DocumentSequence.year < year)
        .order_by(DocumentSequence.year.desc())
        .limit(1)
    ).first()
    if prefix is None:
        prefix = previous.prefix if previous else DEFAULT_PREFIXES.get(doc_type, doc_type[:3].upper())
    values = {
        "doc_type": doc_type,
        "year": year,
        "prefix": prefix,
        "padding": previous.padding if previous else 5,
        "next_value": 1,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(DocumentSequence).values(**values).on_conflict_do_nothing())


def _format(prefix: str, year: int, value: int, padding: int) -> str:
    number = f"{year}-{value:0{padding}d}"
    return f"{prefix}-{number}" if prefix else number


def peek(session: Session, doc_type: str, year: int) -> int | None:
    return session.scalar(
        select(DocumentSequence.next_value).where(
            DocumentSequence.doc_type == doc_type, DocumentSequence.year == year
        )
    )
