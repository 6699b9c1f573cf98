"""Shipments: goods leaving for a client, part or all of an order, and how they travel.

Posting a shipment issues the goods through the stock ledger from the order's reservation (the
ledger takes the reserved quantity first and consumes FIFO lots), so what was held for the client
is what leaves. Shipping more than is left on the order line, or more than the order holds in the
warehouse, is refused: the logistics analysis says how to get the rest. Cancelling a posted
shipment reverses its moves and holds the goods for the order again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain import move_kinds
from app.domain.documents import SALES_ORDER, SHIPMENT
from app.domain.errors import Collector, DomainError
from app.domain.money import MAX_MONEY, ZERO, exact, read_decimal, round_qty
from app.models.partners import Partner
from app.models.sales import (
    DOC_DRAFT,
    DOC_POSTED,
    DOC_SALES_ORDER,
    DOC_SHIPMENT,
    SALES_PREFIXES,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.services.base import unit_of_work
from app.services.sales import pricing
from app.services.sales.orders import refresh_state
from app.services.sales.queries import shipped_by_line  # noqa: F401  (re-exported)
from app.services.sales.reserve import top_up_reservations
from app.services.sequences import next_number
from app.services.stock.ledger import DocRef, MoveRequest, post_moves, reverse_moves
from app.services.stock.reservations import reserved_for
from app.services.workflow import refused, transition

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class ShipmentLineInput:
    order_line_id: int
    qty: object


@dataclass
class TransportInput:
    """How the goods travel: carrier (a partner marked as carrier), vehicle, driver, where and when, cost."""

    carrier_id: int | None = None
    vehicle: str = ""
    driver: str = ""
    delivery_address: str = ""
    delivery_date: date | None = None
    window_from: str = ""
    window_to: str = ""
    transport_cost: object = None
    note: str = ""


@dataclass
class ShipmentInput:
    order_id: int
    lines: list[ShipmentLineInput] | None = None  # None: everything reserved and not yet shipped
    ship_date: date | None = None
    transport: TransportInput = field(default_factory=TransportInput)


def _lock_order(session: Session, order_id: int) -> SalesOrder:
    order = session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).with_for_update()
                           .options(selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item))
                           .execution_options(populate_existing=True))
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    return order


def _qty(raw: object) -> Decimal | None:
    value = read_decimal(raw)
    if value is None or not value.is_finite() or value <= 0 or value != round_qty(value):
        return None
    return value


def _transport_problems(session: Session, t: TransportInput, problems: Collector) -> Decimal:
    if t.carrier_id:
        carrier = session.get(Partner, t.carrier_id)
        if carrier is None or not carrier.is_carrier:
            problems.add("The carrier must be a partner marked as a carrier", field="carrier")
    for name, value in (("window_from", t.window_from), ("window_to", t.window_to)):
        if value and not _TIME.match(value):
            problems.add("Give the delivery window as HH:MM, not %(value)s", field=name, value=value)
    if t.window_from and t.window_to and _TIME.match(t.window_from) and _TIME.match(t.window_to) \
            and t.window_from >= t.window_to:
        problems.add("The delivery window must end after it starts", field="window_to")
    cost = ZERO
    if t.transport_cost not in (None, ""):
        cost = read_decimal(t.transport_cost)
        if cost is None or not cost.is_finite() or cost < 0 or cost > MAX_MONEY:
            problems.add("The transport cost must be zero or positive", field="transport_cost")
            cost = ZERO
    return cost


def _apply_transport(ship: Shipment, t: TransportInput, cost: Decimal, order: SalesOrder) -> None:
    ship.carrier_id = t.carrier_id or None
    ship.vehicle = (t.vehicle or "").strip()[:100]
    ship.driver = (t.driver or "").strip()[:200]
    ship.delivery_address = (t.delivery_address or "").strip() or order.delivery_address
    ship.delivery_date = t.delivery_date
    ship.window_from = t.window_from or ""
    ship.window_to = t.window_to or ""
    ship.transport_cost = cost
    ship.note = t.note or ""


def _plan_lines(session: Session, order: SalesOrder, lines: list[ShipmentLineInput] | None,
                problems: Collector) -> list[tuple[SalesOrderLine, Decimal]]:
    shipped = shipped_by_line(session, order.id)
    by_id = {ln.id: ln for ln in order.lines}
    if lines is None:
        held = reserved_for(session, DOC_SALES_ORDER, order.id)
        left_held = {item: q for (item, wh), q in held.items() if wh == order.warehouse_id}
        out = []
        for ln in order.lines:
            if ln.item is None or ln.item.kind == "service":
                continue
            take = min(ln.qty - shipped.get(ln.id, ZERO), left_held.get(ln.item_id, ZERO))
            if take > 0:
                out.append((ln, take))
                left_held[ln.item_id] -= take
        return out
    out = []
    for n, raw in enumerate(lines, start=1):
        ln = by_id.get(raw.order_line_id)
        if ln is None:
            problems.add("The line is not on this order", line=n)
            continue
        if ln.item is None or ln.item.kind == "service":
            problems.add("%(item)s is a service: it goes on an act, not a shipment", line=ln.line_no,
                         item=ln.item.code if ln.item else ln.description)
            continue
        qty = _qty(raw.qty)
        if qty is None:
            problems.add("Quantity must be positive", line=ln.line_no)
            continue
        left = ln.qty - shipped.get(ln.id, ZERO)
        if qty > left:
            problems.add("Only %(left)s of %(item)s are left to ship on the order, not %(qty)s", line=ln.line_no,
                         left=left, item=ln.item.code, qty=qty)
            continue
        out.append((ln, qty))
    return out


def _reservation_problems(session: Session, order: SalesOrder, pairs, warehouse_id: int, problems: Collector) -> None:
    held = reserved_for(session, DOC_SALES_ORDER, order.id)
    per_item: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for ln, qty in pairs:
        per_item[ln.item_id] += qty
    codes = {ln.item_id: ln.item.code for ln, _ in pairs}
    for item_id, qty in per_item.items():
        have = held.get((item_id, warehouse_id), ZERO)
        if qty > have:
            problems.add("Only %(reserved)s of %(item)s are reserved for the order, not %(qty)s: "
                         "run the logistics analysis or wait for the goods",
                         reserved=have, item=codes[item_id], qty=qty)


def _share(ln: SalesOrderLine, qty: Decimal) -> Decimal:
    with exact():
        return pricing.round_kopek(ln.amount_total * qty / ln.qty)


def _create(session: Session, data: ShipmentInput) -> Shipment:
    order = _lock_order(session, data.order_id)
    problems = Collector()
    problems.extend(refused(SALES_ORDER, order, "ship"))
    cost = _transport_problems(session, data.transport, problems)
    pairs = _plan_lines(session, order, data.lines, problems)
    if not problems and not pairs:
        problems.add("Nothing reserved is left to ship on this order")
    if order.warehouse_id is not None:
        _reservation_problems(session, order, pairs, order.warehouse_id, problems)
    problems.raise_if_any()
    on = data.ship_date or date.today()
    ship = Shipment(number=next_number(session, DOC_SHIPMENT, on, prefix=SALES_PREFIXES[DOC_SHIPMENT]),
                    order_id=order.id, partner_id=order.partner_id, warehouse_id=order.warehouse_id, ship_date=on,
                    state=DOC_DRAFT)
    _apply_transport(ship, data.transport, cost, order)
    ship.lines = [ShipmentLine(line_no=n, order_line_id=ln.id, item_id=ln.item_id, qty=qty)
                  for n, (ln, qty) in enumerate(pairs, start=1)]
    ship.amount_total = sum((_share(ln, qty) for ln, qty in pairs), ZERO)
    session.add(ship)
    session.flush()
    return ship


def create_shipment(session: Session, data: ShipmentInput) -> Shipment:
    """Save a draft shipment (checked against the order and its reservation; nothing leaves yet)."""
    with unit_of_work(session):
        return _create(session, data)


def _post(session: Session, ship: Shipment) -> Shipment:
    order = _lock_order(session, ship.order_id)
    problems = Collector()
    problems.extend(refused(SHIPMENT, ship, "post") + refused(SALES_ORDER, order, "ship"))
    problems.raise_if_any()
    wanted = [ShipmentLineInput(sl.order_line_id, sl.qty) for sl in ship.lines]
    pairs = _plan_lines(session, order, wanted, problems)
    _reservation_problems(session, order, pairs, ship.warehouse_id, problems)
    problems.raise_if_any()
    ref = DocRef(DOC_SHIPMENT, ship.id, ship.number, ship.ship_date)
    requests = [MoveRequest(item_id=sl.item_id, warehouse_id=ship.warehouse_id, qty=-sl.qty, kind=move_kinds.SALE,
                            reservation=(DOC_SALES_ORDER, order.id), line_no=sl.line_no, doc_line_id=sl.id)
                for sl in ship.lines]
    posted = post_moves(session, ref, requests)
    for sl, pm in zip(ship.lines, posted, strict=True):
        sl.cost = -pm.value
    transition(session, SHIPMENT, ship, "post")
    session.flush()
    refresh_state(session, order)
    return ship


def _load(session: Session, shipment_id: int) -> Shipment:
    ship = session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update()
                          .options(selectinload(Shipment.lines).selectinload(ShipmentLine.item))
                          .execution_options(populate_existing=True))
    if ship is None:
        raise DomainError("Shipment %(id)s not found", id=shipment_id)
    return ship


def post_shipment(session: Session, shipment_id: int) -> Shipment:
    """Ship: issue the goods from the order's reservation (FIFO lots) and move the order on."""
    with unit_of_work(session):
        return _post(session, _load(session, shipment_id))


def ship_order(session: Session, data: ShipmentInput) -> Shipment:
    """Create and post a shipment in one go (the "ship" command): all or nothing."""
    with unit_of_work(session):
        ship = _create(session, data)
        return _post(session, ship)


def check_transport(session: Session, state: str, data: TransportInput) -> Decimal:
    """The rules of a transport change, shared by update_transport and the shipment's edit form:
    a cancelled shipment keeps its transport; otherwise every problem of the new one is named at once.
    Returns the transport cost as a Decimal."""
    if not SHIPMENT.allows(state, "transport"):
        raise DomainError(SHIPMENT.refusal(state, "transport"))
    problems = Collector()
    cost = _transport_problems(session, data, problems)
    problems.raise_if_any()
    return cost


def update_transport(session: Session, shipment_id: int, data: TransportInput) -> Shipment:
    """Change how a shipment travels (also after posting: transport is not stock)."""
    with unit_of_work(session):
        ship = _load(session, shipment_id)
        cost = check_transport(session, ship.state, data)
        _apply_transport(ship, data, cost, ship.order)
    return ship


def cancel_shipment(session: Session, shipment_id: int, on_date: date | None = None) -> Shipment:
    """Cancel a shipment: a draft is just dropped; a posted one is reversed and its goods held again."""
    with unit_of_work(session):
        ship = _load(session, shipment_id)
        was_posted = ship.state == DOC_POSTED
        transition(session, SHIPMENT, ship, "cancel")
        if was_posted:
            on = on_date or date.today()
            reverse_moves(session, DocRef(DOC_SHIPMENT, ship.id, ship.number, ship.ship_date),
                          DocRef(DOC_SHIPMENT, ship.id, ship.number, on))
            session.flush()
            order = _lock_order(session, ship.order_id)
            refresh_state(session, order)
            top_up_reservations(session, order)
    return ship
