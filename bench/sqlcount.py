"""Counting the SQL statements a call sends: a figure the machine's load cannot blur.

Timings on a shared two-core machine move with whatever else runs; the number of statements a
service call or a page sends does not, and it is usually where the time of an ORM code path goes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect every statement sent on the app's engine inside the block."""
    log: list[str] = []

    def on_execute(conn, cursor, statement, params, context, executemany) -> None:
        log.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield log
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


def head(statement: str, width: int = 60) -> str:
    """'SELECT stock_lot.id, ...' -> a short label: verb and table, no column list."""
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0]
    if verb == "SELECT" and " FROM " in text:
        return ("SELECT FROM " + text.split(" FROM ", 1)[1].split(" WHERE")[0])[:width]
    return text.split(" (")[0].split(" WHERE")[0].split(" SET")[0][:width]


def summary(log: list[str], top: int = 3) -> str:
    """'56 statements (50x SELECT FROM ab_permission_view ..., ...)'."""
    common = Counter(head(s) for s in log).most_common(top)
    return f"{len(log)} statements (" + ", ".join(f"{n}x {h}" for h, n in common) + ")"
