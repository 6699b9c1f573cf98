"""Backdated stock documents: who already took the goods after the document's date.

A receipt dated three weeks back changes what later issues should have cost (FIFO layers, the
moving average), and a backdated issue takes lots that later issues already consumed. Until
corrections re-cost downstream documents (a separate piece of work), posting such a document is
allowed only when the user confirms it knowing which later documents are concerned: the service
refuses with their numbers unless `confirm_backdated` is given, and the page and the API turn that
refusal into a confirm step and a 422 naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.domain import move_kinds
from app.domain.errors import DomainError, Problem
from app.models.stock import StockDocument, StockMove
from app.services import driver_sql

MSG_BACKDATED = ("The document is dated %(date)s, and later documents already took these goods from the warehouse: "
                 "%(documents)s. Their cost will not be recalculated. Confirm to post it anyway")
FIELD = "confirm_backdated"
MAX_NAMED = 20  # a message names at most this many documents, then says how many more


@dataclass(frozen=True)
class LaterDocument:
    """A posted document that took some of the same goods after the backdated document's date."""

    doc_type: str
    number: str
    move_date: date


def later_consumers(session: Session, doc: StockDocument, item_ids: set[int],
                    today: date | None = None) -> list[LaterDocument]:
    """The documents that issued any of `item_ids` from the document's warehouses after its date.

    Only a document dated before today can have any; reversals are left out (a cancellation gives
    goods back, it consumes nothing). One grouped query, oldest first.
    """
    today = today or date.today()
    if doc.doc_date is None or doc.doc_date >= today or not item_ids:
        return []
    warehouses = {w for w in (doc.warehouse_id, doc.dest_warehouse_id) if w is not None}
    if len(item_ids) == 1 and len(warehouses) == 1:  # a one-line document: no per-call SQL, on the driver
        rows = driver_sql.fetch(session, _LATER_ONE, {"item": next(iter(item_ids)), "warehouse": next(iter(warehouses)),
                                                      "after": doc.doc_date, "reversal": move_kinds.REVERSAL})
    else:
        rows = session.execute(_LATER, {"items": sorted(item_ids), "warehouses": sorted(warehouses),
                                        "after": doc.doc_date, "reversal": move_kinds.REVERSAL})
    return [LaterDocument(t, n or "?", d) for t, n, d in rows]


# built once, of the table's columns (Core): posting runs it for every backdated document; building it per
# call, or selecting ORM attributes (the ORM's compile and result path per execution), cost ~100x more
# than SQLite's indexed search itself
_MOVE = StockMove.__table__.c


def _later(item_cond, warehouse_cond):
    return (select(_MOVE.doc_type, _MOVE.doc_number, func.min(_MOVE.move_date).label("first"))
            .where(item_cond, warehouse_cond, _MOVE.move_date > bindparam("after"), _MOVE.qty < 0,
                   _MOVE.kind != bindparam("reversal"), _MOVE.reversal_of_id.is_(None))
            .group_by(_MOVE.doc_type, _MOVE.doc_id, _MOVE.doc_number)
            .order_by("first", _MOVE.doc_number))


_LATER = _later(_MOVE.item_id.in_(bindparam("items", expanding=True)),
                _MOVE.warehouse_id.in_(bindparam("warehouses", expanding=True)))
_LATER_ONE = _later(_MOVE.item_id == bindparam("item"), _MOVE.warehouse_id == bindparam("warehouse"))


def named(documents: list[LaterDocument]) -> str:
    """"GI-00012, SH-00003 and 4 more": the later documents as the message shows them."""
    names = ", ".join(d.number for d in documents[:MAX_NAMED])
    extra = len(documents) - MAX_NAMED
    return f"{names} (+{extra})" if extra > 0 else names


def check_backdated(session: Session, doc: StockDocument, lines: list[Any], confirmed: bool) -> None:
    """Refuse to post a backdated document that later documents depend on, unless the user confirmed it."""
    if confirmed:
        return
    later = later_consumers(session, doc, {ln.item_id for ln in lines})
    if later:
        raise DomainError([Problem(MSG_BACKDATED, {"date": doc.doc_date.isoformat(), "documents": named(later)},
                                   field=FIELD)])


def is_backdated_refusal(exc: DomainError) -> bool:
    """Whether a refusal only asks for the backdating confirmation (the page then offers the confirm step)."""
    return bool(exc.problems) and all(p.field == FIELD for p in exc.problems)
