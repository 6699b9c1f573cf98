"""Writing checked plans: new rows inserted in batches, changed rows updated in place (by chunks of ids).

New rows go in as multi-row INSERTs of plain mappings (SQLAlchemy's bulk insert: no ORM object per
row, nothing left in the session), CHUNK rows a statement, with their "create" audit rows written in
the same batches, so 100,000 items neither build 100,000 objects nor grow the process's memory. The
few rows an upsert changes go through the ORM (their audit rows record before and after).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.imports.core import Plan

CHUNK = 1000


def upsert(session: Session, model: type, plans: list[Plan], build: Callable[[Plan], dict[str, Any]] | None = None,
           progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Insert the new plans and update the changed ones of `model`; `build(plan)` gives the column values
    (default: plan.values, None left out). `progress(rows)` hears the rows written. Returns (created, changed)."""
    build = build or (lambda plan: plan.values)
    new = [p for p in plans if p.target is None]
    created = len(insert_new(session, model, [{k: v for k, v in build(p).items() if v is not None} for p in new],
                             progress))
    changes = [p for p in plans if p.target is not None and p.changes]
    changed = 0
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        rows = {row.id: row for row in session.scalars(select(model).where(model.id.in_([p.target for p in chunk])))}
        for plan in chunk:
            for key, value in build(plan).items():
                if value is not None:
                    setattr(rows[plan.target], key, value)
            changed += 1
        session.flush()
        for row in rows.values():
            session.expunge(row)
        if progress is not None:
            progress(created + changed)
    return created, changed


def insert_new(session: Session, model: type, rows: list[dict[str, Any]],
               progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert `rows` of `model` CHUNK at a time (columns' defaults applied), each with its audit row;
    returns the new ids in the rows' order."""
    entity = model.__name__
    ids: dict[int, int] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = list(enumerate(rows[start:start + CHUNK], start=start))
        for group in _same_keys(chunk):
            values = [row for _, row in group]
            made = _inserted_ids(session, model, values)
            audit.write(session, [audit.values_row("create", entity, rid, _title(row), row)
                                  for rid, row in zip(made, values, strict=True)])
            ids.update((n, rid) for (n, _), rid in zip(group, made, strict=True))
        if progress is not None:
            progress(len(ids))
    return [ids[n] for n in range(len(rows))]


def _inserted_ids(session: Session, model: type, values: list[dict[str, Any]]) -> list[int]:
    """INSERT the rows (one shape); their new ids in the rows' order.

    On SQLite one Core executemany (the ORM's RETURNING in parameter order sends one
    statement per row there: 100,000 items took ~5 s CPU): a rowid table gives each new row the
    largest id + 1, so the N rows of one executemany get the N ids ending at the largest one after it,
    checked to be above every id before it. Elsewhere the ORM's batched INSERT ... RETURNING."""
    table = model.__table__
    if session.get_bind().dialect.name != "sqlite" or not all(k in table.c for k in values[0]):
        return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), values))
    top = select(func.max(table.c.id))
    before = session.scalar(top) or 0
    session.execute(_insert_of(table), values)  # Core: one executemany, no RETURNING
    after = session.scalar(top) or 0
    if after - len(values) < before:
        raise RuntimeError(f"{table.name}: the new rows' ids are not the {len(values)} after {before}")
    return list(range(after - len(values) + 1, after + 1))


_INSERTS: dict[str, Any] = {}


def _insert_of(table: Any) -> Any:
    """table.insert(), one per table (the driver layer compiles each statement object once)."""
    found = _INSERTS.get(table.name)
    if found is None:
        found = _INSERTS[table.name] = table.insert()
    return found


def _same_keys(rows: list[tuple[int, dict[str, Any]]]) -> list[list[tuple[int, dict[str, Any]]]]:
    """The numbered rows grouped by their set of columns (one INSERT statement takes one shape)."""
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for n, row in rows:
        groups.setdefault(tuple(sorted(row)), []).append((n, row))
    return list(groups.values())


def _title(values: dict[str, Any]) -> str:
    return str(values.get("code") or values.get("name") or "")


def first_seen(ctx: dict[str, Any], key: str, line: int) -> int | None:
    """The row that already named `key` in this file (a duplicate), else None (and remember this one)."""
    seen = ctx.setdefault("_seen", {})
    first = seen.get(key)
    if first is None:
        seen[key] = line
    return first
