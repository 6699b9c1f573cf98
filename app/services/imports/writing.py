"""Writing checked plans: new rows added, changed rows updated in place (by chunks of ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.imports.core import Plan

CHUNK = 500


def upsert(session: Session, model: type, plans: list[Plan], build: Callable[[Plan], dict[str, Any]] | None = None
           ) -> tuple[int, int]:
    """Insert the new plans and update the changed ones of `model` through the ORM (so the audit log
    records every row); `build(plan)` gives the column values (default: plan.values, None left out).
    Returns (created, changed)."""
    build = build or (lambda plan: plan.values)
    created = changed = 0
    for plan in plans:
        if plan.target is None:
            session.add(model(**{k: v for k, v in build(plan).items() if v is not None}))
            created += 1
    changes = [p for p in plans if p.target is not None and p.changes]
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        rows = {row.id: row for row in session.scalars(select(model).where(model.id.in_([p.target for p in chunk])))}
        for plan in chunk:
            for key, value in build(plan).items():
                if value is not None:
                    setattr(rows[plan.target], key, value)
            changed += 1
        session.flush()
    session.flush()
    return created, changed


def first_seen(ctx: dict[str, Any], key: str, line: int) -> int | None:
    """The row that already named `key` in this file (a duplicate), else None (and remember this one)."""
    seen = ctx.setdefault("_seen", {})
    first = seen.get(key)
    if first is None:
        seen[key] = line
    return first
