"""Filling the MRP engine from the database in a fixed number of batched queries.

Demand: open customer order lines (what is left to ship, in the week asked for; overdue in week 0),
the forecast beyond the orders of the same week (the larger of the two counts, never both), and what
open production orders still need of their components. Supply: stock on hand, open production
orders (what is left to make, by their planned end), open purchase orders (what is left to receive,
by their expected date) and open purchase request lines (by need-by): a request the plan or the
logistics analysis already made is supply, so a re-run never asks again. BOMs come through the
logistics analysis's loader (every level, in force today, units converted), purchase lead times
from the best supplier offers, routings per work centre, capacity from the working calendar.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.domain import bom as dbom
from app.domain.sla import WorkCalendar
from app.models.catalog import Item
from app.models.core import Unit
from app.models.planning import ForecastLine
from app.models.production import ORDER_OPEN, BomLine, ProductionOrder, Routing, RoutingOperation, WorkCenter
from app.models.purchasing import (
    ON_ORDER_STATES,
    OPEN_REQUEST_STATES,
    PO_DRAFT,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from app.models.sales import DOC_POSTED, SO_OPEN, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from app.models.stock import StockBalance
from app.services.planning.engine import ZERO, Demand, ItemData, PlanData, Receipt, Route
from app.services.sales.analysis import DEFAULT_SUPPLY_DAYS, _load_book

FORECAST = "forecast"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Weeks:
    """Week index <-> Monday of the week, from the current week (past dates fall in week 0)."""

    def __init__(self, today: date, count: int):
        self.first = week_start(today)
        self.count = count

    def index(self, day: date | None) -> int:
        if day is None:
            return 0
        return min(max((day - self.first).days // 7, 0), self.count - 1)

    def monday(self, index: int) -> date:
        return self.first + timedelta(weeks=index)


def calendar(session: Session) -> WorkCalendar:
    """The first working calendar (the service desk's, with its holidays), else Monday-Friday 9-18."""
    from app.models.service import WorkingCalendar
    from app.services.service_desk.requests import work_calendar

    row = session.scalar(select(WorkingCalendar).order_by(WorkingCalendar.id).limit(1))
    return work_calendar(row) if row is not None else WorkCalendar()


def week_minutes(cal: WorkCalendar, monday: date) -> Decimal:
    """Working minutes of one shift over the week's working days (holidays count nothing)."""
    start = datetime.combine(monday, time(0, 0))
    return Decimal(cal.working_minutes(start, start + timedelta(days=7)))


def load(session: Session, today: date, weeks: int, level: bool = True, use_forecast: bool = True) -> PlanData:
    grid = Weeks(today, weeks)
    ids = list(session.scalars(select(Item.id).where(Item.active.is_(True), Item.kind != "service")))
    book = _load_book(session, set(ids), today) if ids else {}
    items = {i: ItemData(i, bom=book.get(i)) for i in ids}
    for i, code, places in session.execute(select(Item.id, Item.code, Unit.decimals).join(Unit, Unit.id == Item.unit_id)
                                           .where(Item.active.is_(True), Item.kind != "service")):
        items[i].code, items[i].places = code, places
    _stock(session, items)
    _routes(session, items, today)
    _offers(session, items, today)
    data = PlanData(weeks=weeks, items=items, level=level)
    orders = _order_demand(session, grid, items)
    data.demands.extend(orders)
    if use_forecast:
        data.demands.extend(_forecast_demand(session, grid, items, orders, _pipeline_demand(session, grid, items)))
    _production(session, grid, items, data)
    _purchases(session, grid, items, data)
    cal = calendar(session)
    capacity = [week_minutes(cal, grid.monday(w)) for w in range(weeks)]
    for wc in session.scalars(select(WorkCenter.id).where(WorkCenter.active.is_(True))):
        data.capacity[wc] = list(capacity)
    days = len(cal.weekdays) or 5
    for it in items.values():
        it.days_per_week = days
    return data


def _stock(session: Session, items: dict[int, ItemData]) -> None:
    for item_id, qty in session.execute(select(StockBalance.item_id, func.sum(StockBalance.qty))
                                        .group_by(StockBalance.item_id)):
        if item_id in items:
            items[item_id].on_hand = qty or ZERO


def _routes(session: Session, items: dict[int, ItemData], today: date) -> None:
    """Per made item, the minutes of its routing in force today, per work centre."""
    best: dict[int, tuple] = {}
    for r in session.execute(select(Routing.id, Routing.item_id, Routing.valid_from, Routing.valid_to)
                             .where(Routing.active.is_(True))):
        if (r.valid_from or date.min) <= today <= (r.valid_to or date.max) and r.item_id in items:
            cur = best.get(r.item_id)
            if cur is None or (r.valid_from or date.min, r.id) > cur:
                best[r.item_id] = (r.valid_from or date.min, r.id)
    by_routing = {rid: item for item, (_, rid) in best.items()}
    if not by_routing:
        return
    minutes: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
    for op in session.execute(select(RoutingOperation.routing_id, RoutingOperation.work_center_id,
                                     RoutingOperation.setup_minutes, RoutingOperation.run_minutes)
                              .where(RoutingOperation.routing_id.in_(list(by_routing)))):
        acc = minutes[by_routing[op.routing_id]][op.work_center_id]
        acc[0] += op.setup_minutes or ZERO
        acc[1] += op.run_minutes or ZERO
    for item_id, per_wc in minutes.items():
        items[item_id].routes = tuple(Route(wc, s, r) for wc, (s, r) in sorted(per_wc.items()))


def _offers(session: Session, items: dict[int, ItemData], today: date) -> None:
    from app.services.purchasing import best_offers

    bought = [i for i, it in items.items() if not it.made]
    for it in items.values():
        it.buy_lead_days = DEFAULT_SUPPLY_DAYS
    for item_id, offer in best_offers(session, bought, today).items():
        it = items[item_id]
        it.buy_lead_days, it.min_qty, it.pack_qty = offer.lead_time_days, offer.min_qty or ZERO, offer.pack_qty
        it.supplier_id, it.supplier_name = offer.supplier_id, offer.supplier_name


def _order_demand(session: Session, grid: Weeks, items: dict[int, ItemData]) -> list[Demand]:
    rows = session.execute(
        select(SalesOrderLine.id, SalesOrderLine.item_id, SalesOrderLine.qty, SalesOrder.number,
               SalesOrder.delivery_date)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.state.in_(SO_OPEN), SalesOrderLine.item_id.is_not(None))).all()
    if not rows:
        return []
    shipped = dict(session.execute(
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.qty))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(SalesOrder, SalesOrder.id == Shipment.order_id)
        .where(Shipment.state == DOC_POSTED, SalesOrder.state.in_(SO_OPEN))
        .group_by(ShipmentLine.order_line_id)).all())
    out = []
    for line_id, item_id, qty, number, due in rows:
        left = qty - (shipped.get(line_id) or ZERO)
        if left > 0 and item_id in items:
            out.append(Demand(item_id, grid.index(due), left, number))
    return out


def _pipeline_demand(session: Session, grid: Weeks, items: dict[int, ItemData]) -> list[Demand]:
    """Open proposals' lines times their learned win probability, in the week they are expected."""
    from app.services.planning.pipeline import load_pipeline, weighted_demand

    return [Demand(item_id, grid.index(due), qty, peg)
            for item_id, due, qty, peg in weighted_demand(load_pipeline(session, grid.first))
            if item_id in items]


def _forecast_demand(session: Session, grid: Weeks, items: dict[int, ItemData], orders: list[Demand],
                     pipeline: list[Demand] = ()) -> list[Demand]:
    """Per week, what forecast + pipeline expect beyond that week's orders: the larger of the two counts,
    never both. Orders use up the forecast first (they are what it predicted), then the pipeline, so a
    proposal's own demand stays pegged to it by name. A month's forecast is shared over its Mondays;
    a week's forecast line (period_start a Monday, period "week") falls in that week only."""
    end = grid.monday(grid.count)
    rows = session.execute(select(ForecastLine.item_id, ForecastLine.period_start, ForecastLine.qty,
                                  ForecastLine.override_qty, ForecastLine.period)
                           .where(ForecastLine.period_start >= grid.first - timedelta(days=31),
                                  ForecastLine.period_start < end)).all()
    booked: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for d in orders:
        booked[(d.item_id, d.week)] += d.qty
    expected: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for item_id, start, qty, override, period in rows:
        value = override if override is not None else qty
        if item_id not in items or not value:
            continue
        weeks = ([grid.index(start)] if period == "week" and grid.first <= start < end
                 else [w for w in range(grid.count) if _same_month(grid.monday(w), start)] if period != "week" else [])
        for w in weeks:
            expected[(item_id, w)] += value / len(weeks)
    out = []
    for key, value in expected.items():
        extra = value - booked[key]
        booked[key] = max(-extra, ZERO)  # orders beyond the forecast go on to the pipeline
        if extra > 0:
            out.append(Demand(key[0], key[1], extra, FORECAST))
    for d in pipeline:
        left = booked[(d.item_id, d.week)]
        take = min(left, d.qty)
        booked[(d.item_id, d.week)] = left - take
        if d.qty > take:
            out.append(Demand(d.item_id, d.week, d.qty - take, d.origin))
    return out


def _same_month(monday: date, period_start: date) -> bool:
    return (monday.year, monday.month) == (period_start.year, period_start.month)


def _production(session: Session, grid: Weeks, items: dict[int, ItemData], data: PlanData) -> None:
    """Open production orders: what is left to make arrives at their end, their components are needed at
    their start (by the BOM version the order was made with)."""
    rows = session.execute(select(ProductionOrder.id, ProductionOrder.number, ProductionOrder.item_id,
                                  ProductionOrder.qty, ProductionOrder.qty_done, ProductionOrder.bom_id,
                                  ProductionOrder.planned_start, ProductionOrder.planned_end)
                           .where(ProductionOrder.state.in_(ORDER_OPEN))).all()
    bom_ids = sorted({r.bom_id for r in rows if r.bom_id})
    lines: dict[int, list] = defaultdict(list)
    outputs: dict[int, Decimal] = {}
    if bom_ids:
        from app.models.production import Bom

        outputs = dict(session.execute(select(Bom.id, Bom.output_qty).where(Bom.id.in_(bom_ids))).all())
        for ln in session.execute(select(BomLine.bom_id, BomLine.item_id, BomLine.qty, BomLine.scrap_pct)
                                  .where(BomLine.bom_id.in_(bom_ids), BomLine.is_byproduct.is_(False))):
            lines[ln.bom_id].append(dbom.BomLineSpec(ln.item_id, ln.qty, ln.scrap_pct or ZERO))
    for r in rows:
        left = r.qty - r.qty_done
        if left <= 0:
            continue
        ref = r.number or f"#{r.id}"
        if r.item_id in items:
            data.receipts.append(Receipt(r.item_id, grid.index(r.planned_end or r.planned_start), left, ref))
        for spec in lines.get(r.bom_id, ()):
            if spec.component in items:
                qty = dbom.gross_qty(spec, left, outputs.get(r.bom_id) or Decimal(1))
                data.demands.append(Demand(spec.component, grid.index(r.planned_start), qty, ref))


def _purchases(session: Session, grid: Weeks, items: dict[int, ItemData], data: PlanData) -> None:
    for item_id, qty, received, number, expected in session.execute(
            select(PurchaseOrderLine.item_id, PurchaseOrderLine.qty, PurchaseOrderLine.received_qty,
                   PurchaseOrder.number, PurchaseOrder.expected_date)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(or_(PurchaseOrder.state.in_(ON_ORDER_STATES),
                       # a draft order made from a request: the request line still counts, not both
                       and_(PurchaseOrder.state == PO_DRAFT, PurchaseOrder.request_id.is_(None))))):
        if item_id in items and qty > received:
            data.receipts.append(Receipt(item_id, grid.index(expected), qty - received, number))
    for item_id, qty, number, need_by in session.execute(
            select(PurchaseRequestLine.item_id, PurchaseRequestLine.qty, PurchaseRequest.number,
                   PurchaseRequestLine.need_by)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
            .where(PurchaseRequest.state.in_(OPEN_REQUEST_STATES))):
        if item_id in items and qty > 0:
            data.receipts.append(Receipt(item_id, grid.index(need_by), qty, number))
