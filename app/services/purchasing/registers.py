"""Rules of the purchasing registers edited by hand: supplier offers, reorder points, request lines.

The CRUD pages and the API call these before saving, so a bad row is refused with every problem
named, whichever edge it came through.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from app.domain.errors import Collector
from app.domain.money import ZERO, round_money
from app.models.purchasing import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    ReorderPoint,
    SupplierOffer,
)
from app.services.purchasing.offers import best_offers, rates_on
from app.services.purchasing.requests import assert_draft


def validate_offer(offer: SupplierOffer) -> None:
    problems = Collector()
    if offer.supplier is not None and not offer.supplier.is_supplier:
        problems.add("%(partner)s is not marked as a supplier", field="supplier", partner=offer.supplier.name)
    if offer.price is None or offer.price < 0:
        problems.add("The price cannot be negative", field="price")
    if offer.valid_to is not None and offer.valid_from is not None and offer.valid_to < offer.valid_from:
        problems.add("The offer ends before it starts", field="valid_to")
    if offer.min_qty is not None and offer.min_qty < 0:
        problems.add("The minimum order quantity cannot be negative", field="min_qty")
    if offer.pack_qty is not None and offer.pack_qty <= 0:
        problems.add("The pack size must be positive", field="pack_qty")
    if offer.lead_time_days is not None and offer.lead_time_days < 0:
        problems.add("Lead time cannot be negative", field="lead_time_days")
    problems.raise_if_any()


def validate_reorder_point(rp: ReorderPoint) -> None:
    problems = Collector()
    if rp.min_qty is None or rp.min_qty < 0:
        problems.add("The minimum cannot be negative", field="min_qty")
    if rp.max_qty is None or (rp.min_qty is not None and rp.max_qty < rp.min_qty):
        problems.add("The maximum must not be below the minimum", field="max_qty")
    problems.raise_if_any()


def price_request_line(session: Session, req: PurchaseRequest, line: PurchaseRequestLine) -> None:
    """A line added by hand: check the request is a draft, number it, price it from the supplier's offer."""
    assert_draft(req)
    problems = Collector()
    if line.qty is None or line.qty <= 0:
        problems.add("Quantity must be positive", field="qty")
    problems.raise_if_any()
    if not line.line_no:
        line.line_no = 1 + max((ln.line_no for ln in req.lines if ln is not line), default=0)
    line.source = line.source or "manual"
    line.reason = line.reason or {"method": "manual"}
    offers = best_offers(session, [line.item_id], req.request_date)
    choice = offers.get(line.item_id)
    mine = [o for o in ([choice, *choice.alternatives] if choice else [])
            if req.supplier_id is None or o.supplier_id == req.supplier_id]
    if mine:
        o = mine[0]
        line.offer_id, line.price, line.currency_id = o.offer_id, o.price, o.currency_id
        line.amount_base = round_money(line.qty * o.price_base)
    elif line.price is not None and line.currency_id is not None:
        rate = rates_on(session, req.request_date, [line.currency_id]).get(line.currency_id, Decimal(1))
        line.amount_base = round_money(line.qty * line.price * rate)
    else:
        line.amount_base = ZERO


def request_total(req: PurchaseRequest, line: PurchaseRequestLine | None = None, removed: bool = False) -> Decimal:
    """The request's total in base currency; `line` is being added / changed (or removed) in this save."""
    lines = [ln for ln in req.lines if ln is not line] + ([line] if line is not None and not removed else [])
    return sum((ln.amount_base for ln in lines if ln.amount_base is not None), ZERO)


def price_order_line(order: PurchaseOrder, line: PurchaseOrderLine) -> None:
    """A purchase order line added by hand: only on a draft order; the amount follows qty x price."""
    from app.domain.documents import PURCHASE_ORDER
    from app.services.workflow import refused

    problems = Collector()
    problems.extend(refused(PURCHASE_ORDER, order, "edit"))
    if line.qty is None or line.qty <= 0:
        problems.add("Quantity must be positive", field="qty")
    if line.price is None or line.price < 0:
        problems.add("The price cannot be negative", field="price")
    problems.raise_if_any()
    if not line.line_no:
        line.line_no = 1 + max((ln.line_no for ln in order.lines if ln is not line), default=0)
    line.amount = round_money(line.qty * line.price)
    line.received_qty = line.received_qty or ZERO


def order_total(order: PurchaseOrder, line: PurchaseOrderLine | None = None, removed: bool = False) -> Decimal:
    """The order's total; `line` is being added / changed (or removed) in this save (the same transaction)."""
    lines = [ln for ln in order.lines if ln is not line] + ([line] if line is not None and not removed else [])
    return sum((ln.amount for ln in lines if ln.amount is not None), ZERO)
