"""Small builders for test data: items, warehouses, documents posted through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Item, UnitConversion
from app.models.core import Currency, Unit
from app.models.stock import (
    LotConsumption,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
    StockMove,
    StockReservation,
    Warehouse,
)
from app.services.stock import DocumentInput, LineInput, create_document, post_document

LEDGER_TABLES = (StockDocument, StockDocumentLine, StockMove, StockLot, LotConsumption, StockBalance,
                 StockReservation)


def unit(code: str = "pcs") -> Unit:
    u = db.session.query(Unit).filter_by(code=code).first()
    if u is None:
        u = Unit(code=code, name=code, decimals=0)
        db.session.add(u)
        db.session.commit()
    return u


def currency(code: str = "RUB") -> Currency:
    c = db.session.query(Currency).filter_by(code=code).first()
    if c is None:
        c = Currency(code=code, name=code, symbol=code)
        db.session.add(c)
        db.session.commit()
    return c


def item(code: str, name: str | None = None, kind: str = "component", standard_cost: str | None = None) -> Item:
    it = Item(code=code, name=name or code, kind=kind, unit=unit(),
              standard_cost=Decimal(standard_cost) if standard_cost else None)
    db.session.add(it)
    db.session.commit()
    return it


def warehouse(code: str = "MAIN", valuation: str = "fifo") -> Warehouse:
    wh = Warehouse(code=code, name=code, valuation=valuation)
    db.session.add(wh)
    db.session.commit()
    return wh


def _line_input(line: tuple | LineInput) -> LineInput:
    if isinstance(line, LineInput):
        return line
    it, q, *c = line
    return LineInput(it.id, str(q), unit_cost=str(c[0]) if c else None)


def doc(doc_type: str, wh: Warehouse, lines: list[tuple], on: date | None = None, post: bool = True,
        confirm_backdated: bool = True, **kw):
    """lines: (item, qty[, unit_cost]) tuples or LineInput; returns the (posted) document.

    Tests write history in any date order, so a backdated document is posted as confirmed unless a
    test asks for the refusal (`confirm_backdated=False`, tests/services/test_stock_backdating.py).
    """
    data = DocumentInput(
        doc_type=doc_type, warehouse_id=wh.id, doc_date=on or date(2026, 11, 1),
        lines=[_line_input(ln) for ln in lines], **kw,
    )
    if doc_type == "issue" and "reason" not in kw:
        data.reason = "test"
    d = create_document(db.session, data)
    return post_document(db.session, d.id, confirm_backdated=confirm_backdated) if post else d


def receipt(wh, lines, **kw):
    return doc("receipt", wh, lines, **kw)


def issue(wh, lines, **kw):
    return doc("issue", wh, lines, **kw)


def _raw(value: object) -> object:
    """Numbers go in as text, as a form would send them; anything else (NaN, "inf", None) as is."""
    return str(value) if isinstance(value, int | Decimal) else value


def line(it: Item, qty: object, unit_cost: object = None, unit_code: str | None = None,
         lot_id: int | None = None) -> LineInput:
    """A document line with the extras the tuple form of `doc` can't say (unit, lot, raw values)."""
    return LineInput(it.id, _raw(qty), unit_code=unit_code, unit_cost=_raw(unit_cost), lot_id=lot_id)


def unit_conversion(it: Item, unit_code: str, factor: str) -> UnitConversion:
    """1 `unit_code` of `it` = `factor` base units (a box of 10: unit_conversion(it, "box", "10"))."""
    conv = UnitConversion(item_id=it.id, unit=unit(unit_code), factor=Decimal(factor))
    db.session.add(conv)
    db.session.commit()
    return conv


def balance(it: Item, wh: Warehouse) -> tuple[Decimal, Decimal]:
    """(on hand, value) from the balance cache; (0, 0) when the item never moved there."""
    row = db.session.scalar(select(StockBalance).where(StockBalance.item_id == it.id,
                                                        StockBalance.warehouse_id == wh.id))
    return (row.qty, row.value) if row is not None else (Decimal(0), Decimal(0))


def row_counts() -> dict[str, int]:
    """Rows in every ledger table: compared before and after a refused operation."""
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in LEDGER_TABLES}


def lots(it: Item, wh: Warehouse) -> list[StockLot]:
    """The item's lots in the warehouse in FIFO order (received_on, id), empty ones included."""
    return list(db.session.scalars(select(StockLot).where(StockLot.item_id == it.id, StockLot.warehouse_id == wh.id)
                                   .order_by(StockLot.received_on, StockLot.id)))


def remaining(it: Item, wh: Warehouse) -> list[tuple[Decimal, Decimal]]:
    """(qty_remaining, value_remaining) of each lot, FIFO order."""
    return [(lot.qty_remaining, lot.value_remaining) for lot in lots(it, wh)]


def moves_of(document: StockDocument) -> list[StockMove]:
    """Every ledger row of a document (its reversals too), in insertion order."""
    return list(db.session.scalars(select(StockMove).where(StockMove.doc_type == document.doc_type,
                                                           StockMove.doc_id == document.id).order_by(StockMove.id)))


def consumption_of(document: StockDocument) -> list[tuple[int, Decimal, Decimal]]:
    """(lot_id, qty, value) consumption rows of a document's moves, in insertion order."""
    ids = [m.id for m in moves_of(document)]
    rows = db.session.scalars(select(LotConsumption).where(LotConsumption.move_id.in_(ids)).order_by(LotConsumption.id))
    return [(c.lot_id, c.qty, c.value) for c in rows]
