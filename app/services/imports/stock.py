"""Import kinds of the warehouse: reorder points and the opening stock.

The opening stock is posted through the stock documents' own services (create_document,
post_document): one opening-balance document (DOC_OPENING, "OB-") per warehouse, all in the import's
one use case, each naming the run (reason, source_ref), so every rule of posting (dates, closed
periods, the ledger's checks) applies to it as to any receipt, and cancelling it reverses it.
In a batch (FIFO) warehouse each row is a lot
with its own date and unit cost (set on the lot after posting: FIFO takes lots by that date); in an
average-cost warehouse a row gives the quantity and the value (or the unit cost); a value is posted
exactly (3 units worth 100.00 are 100.00 in the ledger, the line's value kept by the documents service).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.money import MONEY_Q, exact
from app.models.purchasing import ReorderPoint
from app.models.stock import DOC_OPENING, VALUATION_FIFO, StockBalance, StockDocumentLine, StockLot, StockMove
from app.permissions import RESOURCE_PURCHASING, RESOURCE_STOCK_DOCUMENT
from app.services.imports import lookups
from app.services.imports.core import MSG_DUPLICATE, Field, Kind, Plan, Row, compare
from app.services.imports.writing import first_seen
from app.services.job_messages import N_

MSG_OPENING_REASON = N_("Opening balance (import %(run)s)")
MSG_HAS_STOCK = N_("%(item)s is already in stock in this warehouse: the opening balance goes into an empty one")
MSG_NO_COST = N_("Give the unit cost or the value")
MSG_LOT_AFTER = N_("The lot date %(lot)s is after the balance date %(date)s")
MSG_MAX_BELOW_MIN = N_("The maximum is below the minimum")


class ReorderPointsImport(Kind):
    key = "reorder_points"
    model = ReorderPoint
    label = _l("Reorder points")
    resource = RESOURCE_PURCHASING
    fields = (
        Field("item", _l("Item code"), required=True, example="MOT-12"),
        Field("warehouse", _l("Warehouse"), required=True, example="MAIN"),
        Field("min_qty", _l("Minimum"), "qty", required=True, example="20"),
        Field("max_qty", _l("Maximum"), "qty", required=True, example="60"),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stored = {(i, w): (pid, lo, hi) for pid, i, w, lo, hi in session.execute(select(
            ReorderPoint.id, ReorderPoint.item_id, ReorderPoint.warehouse_id, ReorderPoint.min_qty,
            ReorderPoint.max_qty))}
        return {"items": lookups.item_ids(session), "warehouses": lookups.warehouses(session), "stored": stored}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        item, wh = row.lookup("item", ctx["items"]), row.lookup("warehouse", ctx["warehouses"])
        low, high = row.number("min_qty"), row.number("max_qty")
        if low is not None and low < 0:
            row.problem(N_("%(field)s cannot be negative"), "min_qty")
        if low is not None and high is not None and high < low:
            row.problem(MSG_MAX_BELOW_MIN, "max_qty")
        wid = wh[0] if wh else None
        plan = Plan(row.line, f"{row.text('item')} @ {row.text('warehouse')}",
                    values={"item_id": item, "warehouse_id": wid, "min_qty": low, "max_qty": high})
        if item and wid and (first := first_seen(ctx, (item, wid), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "item", value=row.text("item"), first=first)
        stored = ctx["stored"].get((item, wid))
        if stored is not None:
            plan.target = stored[0]
            compare(plan, {"min_qty": stored[1], "max_qty": stored[2]}, {"min_qty": low, "max_qty": high},
                    self.field_map())
        return plan



class OpeningStockImport(Kind):
    key = "opening_stock"
    label = _l("Opening stock")
    resource = RESOURCE_STOCK_DOCUMENT
    action = "post"
    needs_date = True
    streams = False  # one opening-balance document per warehouse, all its rows at once
    fields = (
        Field("warehouse", _l("Warehouse"), required=True, example="MAIN"),
        Field("item", _l("Item code"), required=True, example="MOT-12"),
        Field("qty", _l("Quantity"), "qty", required=True, example="40"),
        Field("unit_cost", _l("Unit cost"), "money", example="410,00"),
        Field("value", _l("Value"), "money", example=""),
        Field("lot_date", _l("Lot date"), "date", example="15.11.2026"),
        Field("lot_code", _l("Lot")),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stocked = {(i, w) for i, w in session.execute(select(StockBalance.item_id, StockBalance.warehouse_id).where(
            StockBalance.qty != 0))}
        return {"items": lookups.item_ids(session), "warehouses": lookups.warehouses(session), "stocked": stocked,
                "on_date": on_date or date.today()}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        item, wh = row.lookup("item", ctx["items"]), row.lookup("warehouse", ctx["warehouses"])
        qty, unit_cost, value = row.number("qty"), row.number("unit_cost"), row.number("value")
        lot_date = row.date("lot_date") or ctx["on_date"]
        if qty is not None and qty <= 0:
            row.problem(N_("%(field)s must be positive"), "qty")
        if unit_cost is None and value is None:
            row.problem(MSG_NO_COST, "unit_cost")
        elif qty and qty > 0 and unit_cost is None:
            unit_cost = unit_cost_of(value, qty)
        if unit_cost is not None and unit_cost < 0:
            row.problem(N_("%(field)s cannot be negative"), "unit_cost")
        if lot_date > ctx["on_date"]:
            row.problem(MSG_LOT_AFTER, "lot_date", lot=lot_date.isoformat(), date=ctx["on_date"].isoformat())
        if item and wh and (item, wh[0]) in ctx["stocked"]:
            row.problem(MSG_HAS_STOCK, "item", item=row.text("item"))
        fifo = bool(wh) and wh[1] == VALUATION_FIFO
        if item and wh and not fifo and (first := first_seen(ctx, (item, wh[0]), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "item", value=row.text("item"), first=first)  # one average per item
        return Plan(row.line, f"{row.text('item')} @ {row.text('warehouse')}", values={
            "item_id": item, "warehouse_id": wh[0] if wh else None, "qty": qty, "unit_cost": unit_cost, "value": value,
            "lot_date": lot_date if fifo else ctx["on_date"], "lot_code": row.text("lot_code")})

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        from app.services.stock import DocumentInput, LineInput, create_document, post_document

        by_warehouse: dict[int, list[Plan]] = {}
        for plan in plans:
            by_warehouse.setdefault(plan.values["warehouse_id"], []).append(plan)
        numbers = []
        for wid, rows in by_warehouse.items():
            doc = create_document(session, DocumentInput(
                doc_type=DOC_OPENING, warehouse_id=wid, doc_date=ctx["on_date"], reason=ctx["reason"][:300],
                source_ref=ctx["source_ref"][:64],
                lines=[LineInput(p.values["item_id"], p.values["qty"], note=p.values["lot_code"][:300],
                                 unit_cost=p.values["unit_cost"] if p.values["value"] is None else None,
                                 value=p.values["value"]) for p in rows]))
            post_document(session, doc.id)
            _date_lots(session, doc.id, rows)
            numbers.append(doc.number or "")
        return ", ".join(numbers)


def _date_lots(session: Session, doc_id: int, rows: list[Plan]) -> None:
    """Give each lot of the posted opening receipt its own date and code from the file (FIFO order)."""
    line_of = {n: plan for n, plan in enumerate(rows, start=1)}

    pairs = session.execute(select(StockMove.lot_id, StockDocumentLine.line_no).join(
        StockDocumentLine, StockDocumentLine.id == StockMove.doc_line_id).where(
        StockMove.doc_type == DOC_OPENING, StockMove.doc_id == doc_id, StockMove.lot_id.is_not(None))).all()
    for lot_id, line_no in pairs:
        plan = line_of[line_no]
        values: dict[str, Any] = {"received_on": plan.values["lot_date"]}
        if plan.values["lot_code"]:
            values["code"] = plan.values["lot_code"][:64]
        session.execute(update(StockLot).where(StockLot.id == lot_id).values(**values))


def unit_cost_of(value: Decimal, qty: Decimal) -> Decimal:
    """The unit cost of a row given as quantity and value (average-cost warehouses), to money's places."""
    with exact():
        return (value / qty).quantize(MONEY_Q)
