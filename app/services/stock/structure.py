"""Structural edits under stock: what may not change while the ledger holds rows that it would reinterpret.

The ledger's rows are facts read through their item and warehouse: a quantity is in the item's
unit, a lot layer exists because the warehouse values by FIFO, a service item holds no stock. So
switching a warehouse between FIFO and average cost while it has moves leaves lots that disagree
with the ledger (`flask stock verify`), changing an item's unit turns 10 pieces into 10 boxes, and
making a stocked item a service strands its stock (a service can't be issued). These checks refuse
such an edit with what to do instead; the item and warehouse pages (pre_update) and the REST API
(PUT) both call them, so neither can do what the other refuses.

The values are compared with what is stored (read without flushing the edit), so the checks hold
whatever way the form or the JSON body set the attribute (the relationship or its id column).
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.domain.errors import Collector, Word, Words
from app.models.catalog import Item, UnitConversion
from app.models.core import Unit
from app.models.stock import StockMove, StockReservation, Warehouse

NON_STOCKED_KINDS = ("service",)

MSG_VALUATION = ("Warehouse %(code)s has stock moves, so its valuation cannot change from %(old)s to %(new)s "
                 "(its lots would disagree with the ledger). Open a new warehouse with the other valuation and "
                 "transfer the stock to it.")
MSG_UNIT = ("Item %(code)s has %(uses)s, so its unit cannot change from %(old)s to %(new)s (every quantity "
            "recorded in %(old)s would be read as %(new)s). Add a unit conversion instead, or create a new "
            "item in %(new)s and convert the stock to it.")
MSG_KIND = ("Item %(code)s has %(uses)s, so its kind cannot change from %(old)s to %(new)s: stock of a service "
            "cannot be issued. Issue or convert the stock first, or create a new item.")
USE_MOVES = "stock moves"
USE_RESERVATIONS = "open reservations"
USE_BOMS = "bills of materials that use it"
USE_CONVERSIONS = "unit conversions"


def _any(session: Session, condition) -> bool:
    with session.no_autoflush:
        return bool(session.scalar(select(exists().where(condition))))


def _first(session: Session, stmt):
    """A row as stored, read without flushing the pending edit (which is what is being checked)."""
    with session.no_autoflush:
        return session.execute(stmt).first()


def check_warehouse_change(session: Session, warehouse: Warehouse) -> None:
    """Refuse a valuation change of a warehouse that has ledger rows."""
    if warehouse.id is None:
        return
    stored = _first(session, select(Warehouse.valuation, Warehouse.code).where(Warehouse.id == warehouse.id))
    if stored is None or stored.valuation == warehouse.valuation:
        return
    if _any(session, StockMove.warehouse_id == warehouse.id):
        problems = Collector()
        problems.add(MSG_VALUATION, field="valuation", code=stored.code, old=stored.valuation,
                     new=warehouse.valuation)
        problems.raise_if_any()


def item_uses(session: Session, item_id: int, *, conversions: bool) -> Words:
    """What recorded quantities of the item there are (the USE_* words), the ledger first."""
    from app.models.production import Bom, BomLine

    checks = [(USE_MOVES, [StockMove.item_id == item_id]),
              (USE_RESERVATIONS, [(StockReservation.item_id == item_id) & (StockReservation.qty > 0)]),
              (USE_BOMS, [Bom.item_id == item_id, BomLine.item_id == item_id])]
    if conversions:
        checks.append((USE_CONVERSIONS, [UnitConversion.item_id == item_id]))
    return Words(Word(word) for word, conditions in checks if any(_any(session, c) for c in conditions))


def check_item_change(session: Session, item: Item) -> None:
    """Refuse a unit change of an item with recorded quantities, and a stocked <-> service switch under them."""
    if item.id is None:
        return
    stored = _first(session, select(Item.unit_id, Item.kind, Item.code).where(Item.id == item.id))
    if stored is None:
        return
    new_unit_id = item.unit.id if item.unit is not None else item.unit_id
    problems = Collector()
    if new_unit_id != stored.unit_id and (uses := item_uses(session, item.id, conversions=True)):
        problems.add(MSG_UNIT, field="unit", code=stored.code, uses=uses, old=_unit_code(session, stored.unit_id),
                     new=_unit_code(session, new_unit_id))
    crosses = (stored.kind in NON_STOCKED_KINDS) != (item.kind in NON_STOCKED_KINDS)
    if crosses and (uses := item_uses(session, item.id, conversions=False)):
        problems.add(MSG_KIND, field="kind", code=stored.code, uses=uses, old=Word(stored.kind.capitalize()),
                     new=Word((item.kind or "").capitalize()))
    problems.raise_if_any()


def _unit_code(session: Session, unit_id: int | None) -> str:
    if unit_id is None:
        return "—"
    row = _first(session, select(Unit.code).where(Unit.id == unit_id))
    return row[0] if row else str(unit_id)
