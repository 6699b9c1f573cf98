"""Customer orders: create and edit drafts, confirm (reserving stock), cancel, close; attached files.

An order is priced when it is saved: list prices (the order currency's active price list, else the
item's own sale price converted at the order's rate), discounts, VAT rounded per line. Confirming
reserves what the order's batch warehouse has for it (partially when stock is short: the logistics
analysis then says what must be made or bought); the reservation is held under ("sales_order", id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.domain.documents import SALES_ORDER
from app.domain.errors import Collector, DomainError
from app.domain.money import MAX_MONEY, MAX_QTY, ZERO, round_qty
from app.models.catalog import Item
from app.models.core import Currency
from app.models.partners import Partner
from app.models.sales import (
    DOC_CANCELLED,
    DOC_POSTED,
    DOC_SALES_ORDER,
    SALES_PREFIXES,
    SO_CONFIRMED,
    SO_DRAFT,
    SO_IN_FULFILMENT,
    SO_SHIPPED,
    SalesInvoice,
    SalesOrder,
    SalesOrderAttachment,
    SalesOrderDemand,
    SalesOrderLine,
    Shipment,
)
from app.models.stock import VALUATION_FIFO, Warehouse
from app.services.base import current_actor, unit_of_work
from app.services.sales import pricing
from app.services.sales.analysis import SOURCE
from app.services.sales.queries import shipped_by_line
from app.services.sales.reserve import top_up_reservations
from app.services.sequences import next_number
from app.services.workflow import check, refused, transition

DEFAULT_TAX_RATE = Decimal(20)
DEFAULT_MAX_DISCOUNT = Decimal(15)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass
class OrderLineInput:
    """One order line as a user, the TCP or a calculator sends it (unit_price None = from the price list)."""

    item_id: int | None
    qty: Decimal
    unit_price: Decimal | None = None
    discount_pct: Decimal = Decimal(0)
    description: str = ""
    calculator_version_id: int | None = None
    calculator_inputs: dict | None = None
    proposal_line_id: int | None = None
    unit_cost_estimate: Decimal | None = None
    # a priced line's promotion, decided where the price was (a TCP line converted): carried, not re-decided
    promotion_id: int | None = None


@dataclass
class OrderInput:
    partner_id: int
    lines: list[OrderLineInput] = field(default_factory=list)
    currency_code: str | None = None
    order_date: date | None = None
    delivery_address: str = ""
    note: str = ""
    proposal_id: int | None = None
    tax_rate: Decimal | None = None
    warehouse_id: int | None = None
    delivery_terms: str = ""
    delivery_date: date | None = None
    payment_terms_days: int | None = None


def _config(name: str, default: Decimal) -> Decimal:
    try:
        from flask import current_app

        return Decimal(str(current_app.config.get(name, default)))
    except RuntimeError:  # outside an app context
        return default


def default_tax_rate() -> Decimal:
    return _config("SALES_TAX_RATE", DEFAULT_TAX_RATE)


def max_discount() -> Decimal:
    """Discounts above this need a manager's word (the "approve" action) to confirm."""
    return _config("SALES_MAX_DISCOUNT", DEFAULT_MAX_DISCOUNT)


def default_warehouse(session: Session) -> Warehouse | None:
    """The first active batch warehouse: where orders reserve and ship from unless told otherwise."""
    return session.scalar(select(Warehouse).where(Warehouse.active.is_(True), Warehouse.valuation == VALUATION_FIFO)
                          .order_by(Warehouse.id).limit(1))


# --- validation --------------------------------------------------------------------------------------


def _as_decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


def _header(session: Session, data: OrderInput, problems: Collector) -> dict:
    out: dict = {}
    partner = session.get(Partner, data.partner_id) if data.partner_id else None
    if partner is None:
        problems.add("Choose the client", field="partner")
    elif not partner.active or partner.merged_into_id:
        problems.add("%(partner)s is not an active client", field="partner", partner=partner.name)
    out["partner"] = partner
    on = data.order_date or date.today()
    out["order_date"] = on
    currency = None
    if data.currency_code:
        currency = session.scalar(select(Currency).where(Currency.code == data.currency_code.upper()))
        if currency is None:
            problems.add("Unknown currency %(code)s", field="currency", code=data.currency_code)
    else:
        currency = pricing.base_currency(session)
        if currency is None:
            problems.add("Set up the base currency first", field="currency")
    out["currency"] = currency
    out["rate"] = None
    if currency is not None:
        out["rate"] = pricing.rate_on(session, currency, on)
        if out["rate"] is None:
            problems.add("No exchange rate of %(code)s on %(date)s", field="currency", code=currency.code, date=on)
    tax = default_tax_rate() if data.tax_rate is None else _as_decimal(data.tax_rate)
    if tax is None or tax < 0 or tax >= 100:
        problems.add("The tax rate must be between 0 and 100%%", field="tax_rate")
    out["tax_rate"] = tax
    wh = session.get(Warehouse, data.warehouse_id) if data.warehouse_id else default_warehouse(session)
    if data.warehouse_id and (wh is None or not wh.active):
        problems.add("Choose an active warehouse", field="warehouse")
    elif wh is not None and not wh.is_fifo:
        problems.add("Orders reserve stock in batch (FIFO) warehouses; %(warehouse)s is not one",
                     field="warehouse", warehouse=wh.code)
    out["warehouse"] = wh
    terms = 10 if data.payment_terms_days is None else data.payment_terms_days
    if not isinstance(terms, int) or terms < 0 or terms > 365:
        problems.add("Payment terms must be 0 to 365 days", field="payment_terms_days")
    out["payment_terms_days"] = terms
    return out


def _lines(session: Session, data: OrderInput, head: dict, problems: Collector) -> list[SalesOrderLine]:
    ids = {raw.item_id for raw in data.lines if raw.item_id}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(sorted(ids))))} if ids else {}
    currency, rate = head["currency"], head["rate"]
    prices: dict = {}
    head["price_list"] = None
    if currency is not None:
        from app.services.sales.prices import order_prices, price_list_used

        head["price_list"] = price_list_used(session, head["partner"], currency)
        prices = order_prices(session, head["partner"], currency, rate, items, head["order_date"])
    offers = _offers(session, head, items, prices)
    tax = head["tax_rate"] if head["tax_rate"] is not None else ZERO
    out = []
    for n, raw in enumerate(data.lines, start=1):
        line = _line(raw, n, items, prices, rate, tax, currency, problems)
        if line is not None:
            out.append(_promoted(line, raw, offers, tax))
    return out


def _offers(session: Session, head: dict, items: dict[int, Item], prices: dict) -> dict:
    """The winning promotion per item (app.services.marketing.promotions decides; list prices only)."""
    from app.services.marketing.promotions import best_offers

    partner = head["partner"]
    if partner is None or not prices or head["order_date"] is None:
        return {}
    return best_offers(session, partner.id, items, {i: p.price for i, p in prices.items()}, head["rate"],
                       head["order_date"])


def _promoted(line: SalesOrderLine, raw: OrderLineInput, offers: dict, tax: Decimal) -> SalesOrderLine:
    """A list-priced line takes its promotion's discount when larger than the manual one (never both)."""
    from app.services.marketing.promotions import choose

    if raw.unit_price is not None:
        line.promotion_id = raw.promotion_id
        return line
    if line.item_id is None or line.item_id not in offers:
        return line
    pct, promo_id = choose(line.discount_pct, offers[line.item_id])
    if promo_id is not None:
        amounts = pricing.line_amounts(line.qty, line.unit_price, pct, tax)
        line.discount_pct, line.promotion_id = pct, promo_id
        line.amount_net, line.amount_tax, line.amount_total = amounts.net, amounts.tax, amounts.total
    return line


def _line(raw: OrderLineInput, n: int, items: dict[int, Item], prices: dict, rate, tax: Decimal,
          currency, problems: Collector) -> SalesOrderLine | None:
    item = items.get(raw.item_id) if raw.item_id else None
    ok = True
    if raw.item_id and (item is None or not item.active):
        problems.add("Choose an active item", line=n)
        ok = False
    if not raw.item_id and not (raw.description or "").strip():
        problems.add("Choose an item or describe the line", line=n)
        ok = False
    qty = _as_decimal(raw.qty)
    if qty is None or qty <= 0 or qty > MAX_QTY:
        problems.add("Quantity must be positive", line=n)
        ok = False
    elif qty != round_qty(qty):
        problems.add("Too many decimal places in %(value)s (at most %(places)s)", line=n, value=qty, places=6)
        ok = False
    discount = _as_decimal(raw.discount_pct if raw.discount_pct is not None else 0)
    if discount is None or discount < 0 or discount > 100:
        problems.add("The discount must be between 0 and 100%%", line=n)
        ok = False
    price = _as_decimal(raw.unit_price) if raw.unit_price is not None else None
    if raw.unit_price is not None and (price is None or price < 0 or price > MAX_MONEY):
        problems.add("The price must be zero or positive", line=n)
        ok = False
    found = None
    if raw.unit_price is None and ok:
        found = prices.get(item.id) if item is not None else None  # prices.LinePrice
        price = found.price if found is not None else None
        if price is None:
            problems.add("No price for %(item)s in %(currency)s: enter it", line=n,
                         item=item.code if item else raw.description, currency=currency.code if currency else "")
            ok = False
    if raw.calculator_inputs is not None and not isinstance(raw.calculator_inputs, dict):
        problems.add("Calculator inputs must be a set of named values", line=n)
        ok = False
    if not ok:
        return None
    amounts = pricing.line_amounts(qty, price, discount, tax)
    return SalesOrderLine(
        line_no=n, item_id=item.id if item else None, item=item, description=(raw.description or "").strip(),
        qty=qty, unit_price=price, base_price=found.base_price if found else None,
        price_rate=found.rate if found else None, discount_pct=discount, amount_net=amounts.net, amount_tax=amounts.tax,
        amount_total=amounts.total, unit_cost_estimate=_as_decimal(raw.unit_cost_estimate),
        calculator_version_id=raw.calculator_version_id, calculator_inputs=raw.calculator_inputs,
        proposal_line_id=raw.proposal_line_id,
    )


def _apply_header(order: SalesOrder, data: OrderInput, head: dict) -> None:
    order.partner_id = head["partner"].id
    order.order_date = head["order_date"]
    order.currency_id = head["currency"].id
    order.rate = head["rate"]
    order.tax_rate = head["tax_rate"]
    order.price_list_id = head["price_list"].id if head.get("price_list") else None
    order.warehouse_id = head["warehouse"].id if head["warehouse"] else None
    order.delivery_address = (data.delivery_address or "").strip() or _default_address(head["partner"])
    order.delivery_terms = (data.delivery_terms or "").strip()
    order.delivery_date = data.delivery_date
    order.payment_terms_days = head["payment_terms_days"]
    order.note = data.note or ""
    order.proposal_id = data.proposal_id


def _default_address(partner: Partner) -> str:
    delivery = [a for a in partner.addresses if a.kind == "delivery"]
    best = next((a for a in delivery if a.is_default), delivery[0] if delivery else None)
    return repr(best) if best is not None else ""


def _set_totals(order: SalesOrder) -> None:
    order.amount_net, order.amount_tax, order.amount_total = pricing.totals(order.lines)


def build_order(session: Session, data: OrderInput) -> tuple[dict, list[SalesOrderLine]]:
    """Validate an order's input; return its header values and priced lines, or raise every problem."""
    problems = Collector()
    head = _header(session, data, problems)
    lines = _lines(session, data, head, problems)
    problems.raise_if_any()
    return head, lines


def create_order(session: Session, data: OrderInput) -> SalesOrder:
    """Save a draft order (validated and priced); DomainError lists every problem, nothing is written."""
    with unit_of_work(session):
        head, lines = build_order(session, data)
        order = SalesOrder(number=next_number(session, DOC_SALES_ORDER, head["order_date"],
                                              prefix=SALES_PREFIXES[DOC_SALES_ORDER]), state=SO_DRAFT)
        _apply_header(order, data, head)
        actor = current_actor()
        order.manager_id = actor.user_id
        order.lines = lines
        _set_totals(order)
        session.add(order)
        session.flush()
    return order


def _lock(session: Session, order_id: int) -> SalesOrder:
    order = session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).with_for_update()
                           .options(selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item))
                           .execution_options(populate_existing=True))
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    return order


def has_documents(session: Session, order_id: int) -> bool:
    """Whether invoices or shipments were made from the order (its lines are then fixed)."""
    inv = session.scalar(select(func.count()).select_from(SalesInvoice).where(
        SalesInvoice.order_id == order_id, SalesInvoice.state != DOC_CANCELLED))
    ship = session.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.order_id == order_id, Shipment.state != DOC_CANCELLED))
    return bool(inv or ship)


def update_order(session: Session, order_id: int, data: OrderInput) -> SalesOrder:
    """Replace a draft order's header and lines (re-priced); refused once it is confirmed or invoiced."""
    with unit_of_work(session):
        order = _lock(session, order_id)
        check(SALES_ORDER, order, "edit")
        if has_documents(session, order.id):
            raise DomainError("The order has invoices or shipments: its lines can't change")
        head, lines = build_order(session, data)
        _apply_header(order, data, head)
        order.lines.clear()
        session.flush()
        order.lines.extend(lines)
        _set_totals(order)
    return order


def _discount_problems(order: SalesOrder, override: bool, problems: Collector) -> None:
    limit = max_discount()
    if override:
        return
    for line in order.lines:
        if line.discount_pct > limit and line.promotion_id is None:  # a promotion's discount was approved
            problems.add("A discount of %(pct)s%% is above the %(limit)s%% limit: a manager must confirm the order",
                         line=line.line_no, pct=line.discount_pct, limit=limit)


def confirm_order(session: Session, order_id: int, override: bool = False) -> SalesOrder:
    """Confirm a draft order and reserve what the batch warehouse has for its item lines.

    Reserves per item up to the ordered quantity (less when stock is short); `override` is a
    manager's word for discounts above the limit (the view passes it only with the approve permission).
    """

    with unit_of_work(session):
        order = _lock(session, order_id)
        problems = Collector()
        problems.extend(refused(SALES_ORDER, order, "confirm"))
        if not order.lines:
            problems.add("The order has no lines: add what the client buys before confirming")
        if order.warehouse_id is None and any(_stocked(line) for line in order.lines):
            problems.add("Choose the warehouse the order ships from", field="warehouse")
        _discount_problems(order, override, problems)
        problems.raise_if_any()
        transition(session, SALES_ORDER, order, "confirm")
        top_up_reservations(session, order)
    return order


def _stocked(line: SalesOrderLine) -> bool:
    return line.item is not None and line.item.kind != "service"


def cancel_order(session: Session, order_id: int) -> SalesOrder:
    """Cancel an order that has shipped nothing; its reservations are released."""
    from app.services.stock.reservations import release

    with unit_of_work(session):
        order = _lock(session, order_id)
        check(SALES_ORDER, order, "cancel")
        shipped = session.scalar(select(func.count()).select_from(Shipment).where(
            Shipment.order_id == order.id, Shipment.state == DOC_POSTED))
        invoiced = session.scalar(select(func.count()).select_from(SalesInvoice).where(
            SalesInvoice.order_id == order.id, SalesInvoice.state == DOC_POSTED))
        problems = Collector()
        if shipped:
            problems.add("Goods were shipped on this order: cancel the shipments first")
        if invoiced:
            problems.add("The order has invoices: cancel them first")
        problems.raise_if_any()
        release(session, DOC_SALES_ORDER, order.id)
        _withdraw_purchase_suggestions(session, order)
        transition(session, SALES_ORDER, order, "cancel")
    return order


def _withdraw_purchase_suggestions(session: Session, order: SalesOrder) -> int:
    """Remove what the order's analysis asked purchasing to buy, while the request is still a draft.

    A draft request line is only a suggestion nobody has acted on; once the request is sent the
    supplier knows about it, so those lines stay for the buyer to cancel with the supplier.
    """
    from app.models.purchasing import REQ_DRAFT, PurchaseRequest, PurchaseRequestLine
    from app.services.purchasing.requests import refresh_totals

    lines = session.scalars(
        select(PurchaseRequestLine).join(PurchaseRequest)
        .where(PurchaseRequestLine.source == SOURCE, PurchaseRequestLine.source_ref == order.number,
               PurchaseRequest.state == REQ_DRAFT)).all()
    touched = {line.request_id for line in lines}
    for line in lines:
        session.delete(line)
    session.flush()
    refresh_totals(session, touched)
    return len(lines)


def open_production_orders(session: Session, order_id: int) -> list[str]:
    """Numbers of the production orders the order's analysis created that are still open.

    Cancelling a customer order does not stop the shop floor by itself: what is made may go to
    stock or another order, so the production manager decides; the cancel message names them.
    """
    from app.models.production import ORDER_OPEN, ProductionOrder

    rows = session.execute(
        select(ProductionOrder.number, ProductionOrder.id).join(
            SalesOrderDemand, SalesOrderDemand.production_order_id == ProductionOrder.id)
        .where(SalesOrderDemand.order_id == order_id, ProductionOrder.state.in_(ORDER_OPEN))
        .distinct().order_by(ProductionOrder.id)).all()
    return [number or f"#{pk}" for number, pk in rows]


def close_order(session: Session, order_id: int) -> SalesOrder:
    """Close a shipped order (nothing more will happen on it)."""
    with unit_of_work(session):
        order = _lock(session, order_id)
        transition(session, SALES_ORDER, order, "close")
    return order


def refresh_state(session: Session, order: SalesOrder) -> None:
    """After a shipment is posted or cancelled: in fulfilment while part is shipped, shipped when all is."""

    if not SALES_ORDER.allows(order.state, "fulfil"):
        return
    shipped = shipped_by_line(session, order.id)
    goods = [line for line in order.lines if _stocked(line)]
    if not any(shipped.get(line.id, ZERO) for line in goods):
        new_state = SO_CONFIRMED
    elif all(shipped.get(line.id, ZERO) >= line.qty for line in goods):
        new_state = SO_SHIPPED
        _withdraw_purchase_suggestions(session, order)  # all delivered: nothing left to buy for it
    else:
        new_state = SO_IN_FULFILMENT
    if new_state != order.state:
        transition(session, SALES_ORDER, order, "fulfil", new_state)


# --- attachments ---------------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A file name safe for a Content-Disposition header and a file system: no paths, no control chars."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;').strip(" .")
    return cleaned[:200] or "file"


def attach_file(session: Session, order_id: int, filename: str, mimetype: str, content: bytes) -> SalesOrderAttachment:
    """Keep a file with the order (in the database, so backups carry it); refused above the size limit."""
    with unit_of_work(session):
        order = session.get(SalesOrder, order_id)
        if order is None:
            raise DomainError("Order %(id)s not found", id=order_id)
        problems = Collector()
        if not content:
            problems.add("The file is empty")
        elif len(content) > MAX_ATTACHMENT_BYTES:
            problems.add("The file is too large: %(size)s MB at most", size=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        problems.raise_if_any()
        row = SalesOrderAttachment(order_id=order.id, filename=safe_filename(filename),
                                   mimetype=(mimetype or "application/octet-stream")[:100], size=len(content),
                                   content=content, uploaded_by=current_actor().username)
        session.add(row)
        session.flush()
    return row


def delete_attachment(session: Session, attachment_id: int) -> None:
    with unit_of_work(session):
        row = session.get(SalesOrderAttachment, attachment_id)
        if row is None:
            raise DomainError("File %(id)s not found", id=attachment_id)
        session.delete(row)
