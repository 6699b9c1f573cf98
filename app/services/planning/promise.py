"""Capable-to-promise: the earliest date a quantity of an item (or a whole configuration) can be
delivered, with the reason in words.

Stock counts net of reservations. What is short of a bought item arrives with the earliest open
purchase order that still has it coming, else after the best supplier offer's lead time ("Processors
arrive on 14.12 from ElektroKomp"). What is short of a made item waits for its own components (every
level, the same way), then for free time at its work centres: the planned load of the last plan run
(CapacityLoad) is taken off the calendar's hours week by week, so a full cell pushes the date to the
next week with room ("assembly needs 2 days of the assembly cell"). Reading is batched like the
logistics analysis (whose BOM loader it reuses): a handful of queries per call, fast enough to
recompute on every change of a configuration.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import bom as dbom
from app.domain.errors import Problem
from app.domain.money import ZERO, round_qty
from app.domain.sla import WorkCalendar
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.planning import CapacityLoad
from app.models.production import WorkCenter
from app.models.purchasing import ON_ORDER_STATES, PurchaseOrder, PurchaseOrderLine
from app.models.stock import StockBalance
from app.services.planning.engine import MINUTES_PER_DAY
from app.services.planning.load import Weeks, calendar, week_minutes
from app.services.sales.analysis import DEFAULT_SUPPLY_DAYS, _load_book


@dataclass
class PromiseResult:
    date: date
    reasons: list[Problem] = field(default_factory=list)

    def text(self, translate=None) -> list[str]:
        return [p.render(translate) for p in self.reasons]


@dataclass
class _Ctx:
    today: date
    cal: WorkCalendar
    book: dict
    items: dict[int, tuple[str, str]]  # id -> (code, name)
    free: dict[int, Decimal]
    arrivals: dict[int, list[tuple[date, Decimal, str]]]  # open purchase orders: (expected, qty, supplier)
    offers: dict
    routes: dict[int, list[tuple[int, Decimal, Decimal]]]  # item -> (work centre, setup, run)
    centres: dict[int, str]
    free_minutes: dict[tuple[int, date], Decimal]
    locale: str = "en"
    reasons: list[Problem] = field(default_factory=list)


def _p(msgid: str, **params) -> Problem:
    return Problem(msgid, params)


def promise(session: Session, needs: dict[int, Decimal], today: date | None = None, locale: str = "en",
            warehouse_id: int | None = None, held: dict[int, Decimal] | None = None) -> PromiseResult:
    """The earliest delivery date of `needs` (item -> quantity) all together, and why; `held`: stock
    already reserved for this demand (an order's own reservations count as its stock)."""
    ctx = _context(session, {i: q for i, q in needs.items() if q and q > 0}, today or date.today(), locale,
                   warehouse_id)
    for item_id, qty in (held or {}).items():
        ctx.free[item_id] = ctx.free.get(item_id, ZERO) + qty
    when = ctx.today
    for item_id, qty in sorted(needs.items()):
        if qty and qty > 0:
            when = max(when, _ready(ctx, item_id, Decimal(qty), 0))
    if not ctx.reasons:
        ctx.reasons.append(_p("Everything is in stock: can ship today"))
    ctx.reasons.append(_p("Earliest delivery %(date)s", date=when.strftime("%d.%m.%Y")))
    return PromiseResult(when, ctx.reasons)


def _context(session: Session, needs: dict[int, Decimal], today: date, locale: str,
             warehouse_id: int | None) -> _Ctx:
    from app.services.purchasing import best_offers

    book = _load_book(session, set(needs), today) if needs else {}
    ids = set(needs) | {ln.component for spec in book.values() for ln in spec.lines if not ln.byproduct}
    items = {}
    for row in session.scalars(select(Item).where(Item.id.in_(sorted(ids)))) if ids else ():
        items[row.id] = (row.code, row.label(locale))
    stmt = (select(StockBalance.item_id, func.sum(StockBalance.qty - StockBalance.reserved))
            .where(StockBalance.item_id.in_(sorted(ids))).group_by(StockBalance.item_id))
    if warehouse_id is not None:
        stmt = stmt.where(StockBalance.warehouse_id == warehouse_id)
    free = {i: q or ZERO for i, q in session.execute(stmt)} if ids else {}
    arrivals: dict[int, list] = defaultdict(list)
    bought = sorted(ids - set(book))
    if bought:
        for item_id, qty, received, expected, supplier in session.execute(
                select(PurchaseOrderLine.item_id, PurchaseOrderLine.qty, PurchaseOrderLine.received_qty,
                       PurchaseOrder.expected_date, Partner.name)
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                .join(Partner, Partner.id == PurchaseOrder.supplier_id)
                .where(PurchaseOrder.state.in_(ON_ORDER_STATES), PurchaseOrderLine.item_id.in_(bought))):
            if qty > received:
                arrivals[item_id].append((max(expected or today, today), qty - received, supplier))
        for rows in arrivals.values():
            rows.sort()
    ctx = _Ctx(today, calendar(session), book, items, free, arrivals, best_offers(session, bought, today),
               _routes(session, set(book), today), {}, {}, locale)
    centres = {wc for ops in ctx.routes.values() for wc, _, _ in ops}
    if centres:
        for wc in session.scalars(select(WorkCenter).where(WorkCenter.id.in_(sorted(centres)))):
            ctx.centres[wc.id] = wc.label(locale)
        for wc, week, load, cap in session.execute(
                select(CapacityLoad.work_center_id, CapacityLoad.week_start, CapacityLoad.load_minutes,
                       CapacityLoad.capacity_minutes)
                .where(CapacityLoad.work_center_id.in_(sorted(centres)), CapacityLoad.week_start >= today
                       - timedelta(days=7))):
            ctx.free_minutes[(wc, week)] = max(cap - load, ZERO)
    return ctx


def _routes(session: Session, made: set[int], today: date) -> dict[int, list[tuple[int, Decimal, Decimal]]]:
    from app.services.planning.engine import ItemData
    from app.services.planning.load import _routes as load_routes

    items = {i: ItemData(i) for i in made}
    load_routes(session, items, today)
    return {i: [(r.work_center_id, r.setup, r.run) for r in it.routes] for i, it in items.items()}


def _code(ctx: _Ctx, item_id: int) -> str:
    code, name = ctx.items.get(item_id, (str(item_id), ""))
    return f"{name} ({code})" if name and name != code else code


def _ready(ctx: _Ctx, item_id: int, qty: Decimal, depth: int) -> date:
    """When `qty` of the item can be on hand for this promise (free stock taken as it is used)."""
    have = max(ctx.free.get(item_id, ZERO), ZERO)
    take = min(have, qty)
    ctx.free[item_id] = have - take
    short = qty - take
    if short <= 0 or depth > dbom.MAX_DEPTH:
        return ctx.today
    spec = ctx.book.get(item_id)
    if spec is None:
        return _arrival(ctx, item_id, short)
    parts = ctx.today
    for ln in spec.lines:
        if not ln.byproduct:
            parts = max(parts, _ready(ctx, ln.component, dbom.gross_qty(ln, short, spec.output_qty), depth + 1))
    return _make(ctx, item_id, short, parts)


def _arrival(ctx: _Ctx, item_id: int, short: Decimal) -> date:
    coming = ZERO
    for expected, qty, supplier in ctx.arrivals.get(item_id, ()):
        coming += qty
        if coming >= short:
            ctx.reasons.append(_p("%(item)s: %(qty)s short, arrive on %(date)s from %(supplier)s (ordered)",
                                  item=_code(ctx, item_id), qty=round_qty(short).normalize(),
                                  date=expected.strftime("%d.%m.%Y"), supplier=supplier))
            return expected
    offer = ctx.offers.get(item_id)
    if offer is None:
        when = ctx.today + timedelta(days=DEFAULT_SUPPLY_DAYS)
        ctx.reasons.append(_p("%(item)s: %(qty)s short, no supplier offer: %(days)s days assumed, arrive on "
                              "%(date)s", item=_code(ctx, item_id), qty=round_qty(short).normalize(),
                              days=DEFAULT_SUPPLY_DAYS, date=when.strftime("%d.%m.%Y")))
        return when
    when = ctx.today + timedelta(days=offer.lead_time_days)
    ctx.reasons.append(_p("%(item)s: %(qty)s short, arrive on %(date)s from %(supplier)s (%(days)s days)",
                          item=_code(ctx, item_id), qty=round_qty(short).normalize(),
                          date=when.strftime("%d.%m.%Y"), supplier=offer.supplier_name, days=offer.lead_time_days))
    return when


def _make(ctx: _Ctx, item_id: int, qty: Decimal, parts: date) -> date:
    """Components there on `parts`; then each operation's work centre, in the first week it has room."""
    start = parts
    ops = ctx.routes.get(item_id) or []
    if not ops:
        done = _add_days(ctx.cal, start, 1)
        ctx.reasons.append(_p("%(item)s: making %(qty)s takes a day (no routing)", item=_code(ctx, item_id),
                              qty=round_qty(qty).normalize()))
        return done
    for wc, setup, run in ops:
        minutes = setup + run * qty
        start = _room(ctx, wc, start, minutes)
        days = max(1, math.ceil(minutes / MINUTES_PER_DAY))
        start = _add_days(ctx.cal, start, days)
        ctx.reasons.append(_p("%(item)s: %(qty)s to make, needs %(days)s days of %(centre)s, done %(date)s",
                              item=_code(ctx, item_id), qty=round_qty(qty).normalize(), days=days,
                              centre=ctx.centres.get(wc, str(wc)), date=start.strftime("%d.%m.%Y")))
    return start


def _room(ctx: _Ctx, wc: int, start: date, minutes: Decimal) -> date:
    """The first day from `start` whose week still has `minutes` free at the work centre (taken)."""
    grid = Weeks(start, 1)
    monday = grid.first
    for _ in range(104):
        key = (wc, monday)
        free = ctx.free_minutes.get(key)
        if free is None:
            free = week_minutes(ctx.cal, monday)
        if free >= minutes:
            ctx.free_minutes[key] = free - minutes
            if monday > grid.first:
                ctx.reasons.append(_p("%(centre)s is fully booked until %(date)s", centre=ctx.centres.get(wc, ""),
                                      date=monday.strftime("%d.%m.%Y")))
            return max(start, monday)
        monday += timedelta(days=7)
    return start


def _add_days(cal: WorkCalendar, start: date, days: int) -> date:
    """The day `days` working days after `start` ends (work starts the working day after the parts are
    there; holidays and weekends skipped)."""
    moment = cal.add_working_minutes(datetime.combine(start, cal.end), days * _day_minutes(cal))
    return moment.date()


def _day_minutes(cal: WorkCalendar) -> int:
    return (datetime.combine(date.min, cal.end) - datetime.combine(date.min, cal.start)).seconds // 60 or 1


def configuration_needs(lines: list[tuple[int | None, Decimal]]) -> dict[int, Decimal]:
    """item -> quantity of a configuration's lines (lines without an item, services, are left out)."""
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item_id, qty in lines:
        if item_id and qty:
            out[item_id] += Decimal(qty)
    return dict(out)




def order_promise(session: Session, order_id: int, locale: str = "en") -> PromiseResult | None:
    """The promise of a customer order's open lines (what is left to ship), from its warehouse's stock plus
    what is reserved for it: the order entry and order pages show it."""
    from app.models.sales import SalesOrder
    from app.services.sales.queries import shipped_by_line
    from app.services.stock.reservations import reserved_for

    order = session.get(SalesOrder, order_id)
    if order is None:
        return None
    shipped = shipped_by_line(session, order_id)
    needs = configuration_needs([(ln.item_id, ln.qty - shipped.get(ln.id, ZERO)) for ln in order.lines
                                 if ln.item is not None and ln.item.kind != "service"])
    held = {i: q for (i, wh), q in reserved_for(session, "sales_order", order_id).items()
            if wh == order.warehouse_id}
    result = promise(session, needs, date.today(), locale, order.warehouse_id, held)
    return result
