"""Reading rows for a set of item ids, whatever its size.

A few ids go into IN (...) lists of at most 900 (below SQLite's bound-parameter limit); many ids
(a reorder run over 10,000 items) are read with one query without the list and filtered in
Python: one pass over the table beats a dozen IN look-ups, and the statement stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

CHUNK = 900
BULK = 3 * CHUNK


def rows_for_ids(session: Session, stmt: Select, column: Any, ids: Iterable[int]) -> Iterator[Any]:
    """Rows of `stmt` whose first selected column (`column`) is one of `ids`."""
    wanted = set(ids)
    if not wanted:
        return
    if len(wanted) > BULK:
        for row in session.execute(stmt):
            if row[0] in wanted:
                yield row
        return
    ordered = sorted(wanted)
    for start in range(0, len(ordered), CHUNK):
        yield from session.execute(stmt.where(column.in_(ordered[start:start + CHUNK])))
