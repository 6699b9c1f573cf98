"""Purchase orders: made from a request when the supplier confirms it, sent, received in parts.

draft -> sent -> confirmed -> partial -> received, or cancelled before anything arrived. Receiving
posts a goods receipt through the warehouse services (app.services.stock: a receipt document
posted in the same transaction), in the order's currency at the day's rate; each receipt is
recorded against the order with its lines, and a price that differs from the ordered one is
flagged on the line and on the receipt, for the buyer to settle with the supplier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain.documents import PURCHASE_ORDER, PURCHASE_REQUEST
from app.domain.errors import Collector, DomainError
from app.domain.money import ZERO, parse_money, parse_quantity, round_money
from app.models.base import DocState, utcnow
from app.models.purchasing import (
    PO_CANCELLED,
    PO_CONFIRMED,
    PO_DRAFT,
    PO_PARTIAL,
    PO_RECEIVED,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseRequest,
    SupplierOffer,
)
from app.models.stock import DOC_RECEIPT, StockDocument, StockDocumentLine
from app.services.base import current_actor, unit_of_work
from app.services.locking import lock_row
from app.services.purchasing.offers import base_currency_id, rates_on
from app.services.sequences import next_number
from app.services.stock import post_document
from app.services.workflow import check, refused, transition

DOC_TYPE = "purchase_order"
PREFIX = "PO"
RECEIVABLE = PURCHASE_ORDER.in_states("receive")


def _load(session: Session, order_id: int) -> PurchaseOrder:
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id).with_for_update()
                           .options(selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.item))
                           .execution_options(populate_existing=True))
    if order is None:
        raise DomainError("Purchase order not found")
    return order


def _offer_codes(session: Session, offer_ids: set[int]) -> dict[int, str]:
    if not offer_ids:
        return {}
    return dict(session.execute(select(SupplierOffer.id, SupplierOffer.supplier_item_code)
                                .where(SupplierOffer.id.in_(offer_ids))).all())


def orders_from_request(session: Session, request_id: int, on_date: date | None = None) -> list[PurchaseOrder]:
    """The supplier confirmed the request: make its purchase order(s), one per currency.

    Every line needs a price and the request a supplier and a warehouse; all problems at once.
    """
    on_date = on_date or date.today()
    with unit_of_work(session):
        req = session.scalar(select(PurchaseRequest).where(PurchaseRequest.id == request_id).with_for_update()
                             .options(selectinload(PurchaseRequest.lines))
                             .execution_options(populate_existing=True))
        if req is None:
            raise DomainError("Purchase request not found")
        _check_convertible(req)
        by_currency: dict[int, list] = defaultdict(list)
        for ln in req.lines:
            by_currency[ln.currency_id].append(ln)
        codes = _offer_codes(session, {ln.offer_id for ln in req.lines if ln.offer_id})
        orders = []
        for currency_id, lines in sorted(by_currency.items()):
            order = PurchaseOrder(number=next_number(session, DOC_TYPE, on_date, PREFIX), order_date=on_date,
                                  state=PO_CONFIRMED, supplier_id=req.supplier_id, warehouse_id=req.warehouse_id,
                                  currency_id=currency_id, request_id=req.id, note=req.note,
                                  expected_date=max((ln.need_by for ln in lines if ln.need_by), default=None),
                                  confirmed_at=utcnow(), confirmed_by=current_actor().username)
            order.lines = [PurchaseOrderLine(line_no=n, item_id=ln.item_id, qty=ln.qty, price=ln.price,
                                             amount=round_money(ln.qty * ln.price), request_line_id=ln.id,
                                             supplier_item_code=codes.get(ln.offer_id, ""))
                           for n, ln in enumerate(lines, start=1)]
            order.total = sum((ol.amount for ol in order.lines), ZERO)
            session.add(order)
            orders.append(order)
        transition(session, PURCHASE_REQUEST, req, "confirm")
        session.flush()
        return orders


def _check_convertible(req: PurchaseRequest) -> None:
    problems = Collector()
    problems.extend(refused(PURCHASE_REQUEST, req, "confirm"))
    if req.supplier_id is None:
        problems.add("Choose the supplier of the request first")
    if req.warehouse_id is None:
        problems.add("Choose the warehouse the goods go to")
    if not req.lines:
        problems.add("The request has no lines")
    for ln in req.lines:
        if ln.price is None or ln.currency_id is None:
            problems.add("No price for this item from the supplier: add an offer to the product matrix",
                         line=ln.line_no)
    problems.raise_if_any()


def _transition(session: Session, order_id: int, action: str,
                guard: Callable[[PurchaseOrder], None] | None = None) -> PurchaseOrder:
    with unit_of_work(session):
        order = _load(session, order_id)
        check(PURCHASE_ORDER, order, action)
        if guard is not None:
            guard(order)
        transition(session, PURCHASE_ORDER, order, action)
        if action == "cancel" and order.request_id:
            _cancel_request_if_all_cancelled(session, order)
        session.flush()
        return order


def mark_order_sent(session: Session, order_id: int) -> PurchaseOrder:
    return _transition(session, order_id, "send")


def confirm_order(session: Session, order_id: int) -> PurchaseOrder:
    return _transition(session, order_id, "confirm")


def cancel_order(session: Session, order_id: int) -> PurchaseOrder:
    """Cancel an order nothing was received against (a partly received one is closed by receiving)."""
    return _transition(session, order_id, "cancel", _nothing_received)


def _nothing_received(order: PurchaseOrder) -> None:
    if any(ln.received_qty > 0 for ln in order.lines):
        raise DomainError("Goods were received against order %(number)s: it cannot be cancelled",
                          number=order.number)


def _cancel_request_if_all_cancelled(session: Session, order: PurchaseOrder) -> None:
    # The request is locked before its orders are read: two of its orders cancelled at once
    # would otherwise each see the other still open and leave the request confirmed.
    req = lock_row(session, PurchaseRequest, order.request_id)
    siblings = session.scalars(select(PurchaseOrder.state).where(PurchaseOrder.request_id == order.request_id,
                                                                 PurchaseOrder.id != order.id)).all()
    if all(s == PO_CANCELLED for s in siblings) and req is not None and PURCHASE_REQUEST.allows(req.state,
                                                                                                  "withdraw"):
        transition(session, PURCHASE_REQUEST, req, "withdraw")


# --- receiving ------------------------------------------------------------------------------------


@dataclass
class ReceiveLine:
    """What arrived for one order line: quantity and the supplier's invoiced price (raw input)."""

    order_line_id: int
    qty: object
    price: object = None  # None: the ordered price


def _parse_receive(order: PurchaseOrder, lines: list[ReceiveLine], problems: Collector) -> list[tuple]:
    by_id = {ln.id: ln for ln in order.lines}
    out = []
    for raw in lines:
        ol = by_id.get(raw.order_line_id)
        if ol is None:
            problems.add("This line is not part of order %(number)s", number=order.number)
            continue
        if raw.qty in (None, "") or str(raw.qty).strip() in ("", "0"):
            continue
        qty, err = parse_quantity(raw.qty)
        if err:
            problems.add(err, line=ol.line_no, field="qty", value=raw.qty, places=6)
            continue
        if qty <= 0:
            problems.add("Quantity must be positive", line=ol.line_no)
            continue
        if qty > ol.qty - ol.received_qty:
            problems.add("Received %(qty)s is more than the %(open)s still expected", line=ol.line_no, qty=qty,
                         open=ol.qty - ol.received_qty)
        price = ol.price
        if raw.price not in (None, ""):
            price, err = parse_money(raw.price)
            if err:
                problems.add(err, line=ol.line_no, field="price", value=raw.price, places=4)
                continue
            if price < 0:
                problems.add("Unit cost cannot be negative", line=ol.line_no)
        out.append((ol, qty, price))
    if not out and not problems:
        problems.add("Enter the quantity received on at least one line")
    return out


def receive_order(session: Session, order_id: int, lines: list[ReceiveLine], on_date: date | None = None,
                  note: str = "", confirm_backdated: bool = False) -> PurchaseReceipt:
    """Post a goods receipt for what arrived (all or part of the order); flag price differences.

    A backdated receipt of goods that later documents already took needs `confirm_backdated`
    (app.services.stock.backdating), as any stock document does.
    """
    on_date = on_date or date.today()
    with unit_of_work(session):
        order = _load(session, order_id)
        problems = Collector()
        problems.extend(refused(PURCHASE_ORDER, order, "receive"))
        parsed = _parse_receive(order, lines, problems)
        rate = _rate(session, order, on_date, problems)
        problems.raise_if_any()
        doc = _post_receipt(session, order, parsed, on_date, rate, note, confirm_backdated)
        receipt = _record(session, order, doc, parsed, on_date)
        _advance(session, order)
        session.flush()
        return receipt


def _rate(session: Session, order: PurchaseOrder, on_date: date, problems: Collector) -> Decimal | None:
    if order.currency_id == base_currency_id(session):
        return None
    rate = rates_on(session, on_date, [order.currency_id]).get(order.currency_id)
    if rate is None:
        problems.add("No exchange rate of %(currency)s on %(date)s", currency=order.currency.code,
                     date=on_date.isoformat())
    return rate


def _post_receipt(session: Session, order: PurchaseOrder, parsed: list[tuple], on_date: date,
                  rate: Decimal | None, note: str, confirm_backdated: bool = False) -> StockDocument:
    doc = StockDocument(doc_type=DOC_RECEIPT, warehouse_id=order.warehouse_id, doc_date=on_date,
                        partner_name=order.supplier.legal_name or order.supplier.name,
                        currency_id=order.currency_id if rate is not None else None, rate=rate,
                        source_ref=order.number, note=note, state=DocState.DRAFT)
    doc.lines = [StockDocumentLine(line_no=n, item_id=ol.item_id, item=ol.item, unit_id=ol.item.unit_id,
                                   qty=qty, unit_cost=price)
                 for n, (ol, qty, price) in enumerate(parsed, start=1)]
    session.add(doc)
    session.flush()
    return post_document(session, doc.id, confirm_backdated=confirm_backdated)


def _record(session: Session, order: PurchaseOrder, doc: StockDocument, parsed: list[tuple],
            on_date: date) -> PurchaseReceipt:
    receipt = PurchaseReceipt(order_id=order.id, document_id=doc.id, doc_number=doc.number or "",
                              receipt_date=on_date, received_by=current_actor().username)
    for ol, qty, price in parsed:
        differs = price != ol.price
        receipt.lines.append(PurchaseReceiptLine(order_line_id=ol.id, qty=qty, price=price, ordered_price=ol.price,
                                                 price_difference=differs))
        receipt.price_difference = receipt.price_difference or differs
        ol.received_qty = ol.received_qty + qty
    session.add(receipt)
    return receipt


def _advance(session: Session, order: PurchaseOrder) -> None:
    done = all(ln.received_qty >= ln.qty for ln in order.lines)
    transition(session, PURCHASE_ORDER, order, "receive", PO_RECEIVED if done else PO_PARTIAL)
    if done and order.request_id:
        req = lock_row(session, PurchaseRequest, order.request_id)  # before its orders are read (see above)
        open_siblings = session.scalar(select(PurchaseOrder.id).where(
            PurchaseOrder.request_id == order.request_id, PurchaseOrder.id != order.id,
            PurchaseOrder.state.in_(RECEIVABLE + (PO_DRAFT,))).limit(1))
        if open_siblings is None and req is not None and PURCHASE_REQUEST.allows(req.state, "receive"):
            transition(session, PURCHASE_REQUEST, req, "receive")


def close_short(session: Session, order_id: int) -> PurchaseOrder:
    """The supplier will not deliver the rest: treat a partly received order as received."""
    return _transition(session, order_id, "close")
