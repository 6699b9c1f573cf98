"""Net change driven by events: which items the next plan must look at again.

Posting or cancelling a document that moves demand or supply (a customer order, a shipment, a stock
document, a production order or receipt, a purchase order or request) and editing a BOM mark the
items involved in `planning_dirty`, in the same transaction as the change (the workflow kernel's
`transition` and the BOM checks call in here; no global flush hook, so nothing else pays for it).
The next run (`run_plan`: the nightly job, the page's button, the API) plans the marked items and
everything below them in their BOMs, then deletes the marks it read: a mark written meanwhile by another
transaction stays for the run after.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.planning import PlanningDirty
from app.services import driver_sql

BOM = "bom"  # the reason that says the BOM structure changed
# the document types whose transitions change an item's demand or supply
PLANNED_DOCS = frozenset({"sales_order", "shipment", "stock_document", "production_order", "production_receipt",
                          "transformation", "purchase_order", "purchase_request"})
_CHUNK = 500


def mark(session: Session, item_ids: Iterable[int | None], reason: str) -> None:
    """Mark items for the next plan (one statement; an item already marked stays as it is)."""
    ids = sorted({i for i in item_ids if i is not None})
    if not ids:
        return
    now = utcnow()
    # every stock posting runs it: a Core statement built once per dialect, on the driver (the ORM's
    # bulk-insert path for one row cost a fifth of a one-line document's posting)
    driver_sql.execute_many(session, _mark_stmt(session.get_bind().dialect.name),
                            [{"item_id": i, "reason": reason[:32], "marked_at": now} for i in ids])


@cache
def _mark_stmt(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(PlanningDirty.__table__).on_conflict_do_nothing()


def items_of(doc: Any) -> set[int]:
    """The items a document moves: its own item (a production order) and its lines' items."""
    out = {getattr(doc, "item_id", None)}
    out.update(getattr(line, "item_id", None) for line in getattr(doc, "lines", None) or ())
    out.discard(None)
    return out


def on_transition(session: Session, doc_type: str, action: str, doc: Any, item_ids: set[int] | None = None) -> None:
    """The workflow kernel's hook: a transition of a document that moves demand or supply marks its items
    (`item_ids` when the caller has them, else read from the document)."""
    if doc_type in PLANNED_DOCS:
        mark(session, items_of(doc) if item_ids is None else item_ids, doc_type)


def pending(session: Session) -> tuple[set[int], bool]:
    """The marked items, and whether a BOM changed among them."""
    rows = session.execute(select(PlanningDirty.item_id, PlanningDirty.reason)).all()
    return {i for i, _ in rows}, any(r == BOM for _, r in rows)


def clear(session: Session, item_ids: set[int]) -> None:
    """Remove the marks a run has planned (only those it read)."""
    ids = sorted(item_ids)
    for chunk in range(0, len(ids), _CHUNK):
        session.execute(delete(PlanningDirty).where(PlanningDirty.item_id.in_(ids[chunk:chunk + _CHUNK])))
