"""Document numbers: per document type and year, gap-tolerant, never duplicated.

The counter row is incremented with one UPDATE ... RETURNING, which PostgreSQL serialises on the
row lock and SQLite on its write lock, so concurrent users never get the same number.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models.core import DocumentSequence

DEFAULT_PREFIXES: dict[str, str] = {}


def _increment(session: Session, doc_type: str, year: int):
    stmt = (
        update(DocumentSequence)
        .where(DocumentSequence.doc_type == doc_type, DocumentSequence.year == year)
        .values(next_value=DocumentSequence.next_value + 1)
        .returning(DocumentSequence.next_value, DocumentSequence.prefix, DocumentSequence.padding)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).first()


def next_number(session: Session, doc_type: str, on_date: date, prefix: str | None = None) -> str:
    """Take the next number for `doc_type` in the year of `on_date`, e.g. 'GR-2026-00001'."""
    year = on_date.year
    row = _increment(session, doc_type, year)
    if row is None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        values = {
            "doc_type": doc_type,
            "year": year,
            "prefix": prefix if prefix is not None else DEFAULT_PREFIXES.get(doc_type, doc_type[:3].upper()),
            "padding": 5,
            "next_value": 1,
        }
        session.execute(insert(DocumentSequence).values(**values).on_conflict_do_nothing())
        row = _increment(session, doc_type, year)
    value, pfx, padding = row
    return f"{pfx}-{year}-{value - 1:0{padding}d}"


def peek(session: Session, doc_type: str, year: int) -> int | None:
    return session.scalar(
        select(DocumentSequence.next_value).where(
            DocumentSequence.doc_type == doc_type, DocumentSequence.year == year
        )
    )
