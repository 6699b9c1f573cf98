"""Logistics analysis of a customer order: per line, what is reserved, what can be reserved now, what is
in production, what must be produced and what must be bought, every figure explained in words, and
a promise date.

Reading is batched so a 50-line order costs a fixed number of queries: one for the balances of
every item involved, one for the open production orders, one per BOM level for the whole order,
one for the routings, one for the supplier offers.

Free stock of an item is on hand minus reservations (of every document) minus what open production
orders that are not this order's still need of it (their BOM times what is left to make), so
components promised to other work are not promised twice. Lines are served in line order; a line's
shortfall that has a BOM is produced (its components are exploded through every level, each node
using free stock first), the rest is bought.

`run_analysis` acts on it: tops up the reservation, asks purchasing for what is to buy (one demand
line per item, source "sales_order" and the order number, so a re-run updates instead of adding),
and creates and releases production orders for the lines to produce (production makes the short
nodes with child orders at release; nodes still short after that, being on hand but promised to
other work, get production orders of their own). What was created is recorded in SalesOrderDemand and counted
on the next run, so re-running never orders the same thing twice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain import bom as dbom
from app.domain.documents import SALES_ORDER
from app.domain.errors import DomainError, Problem
from app.domain.money import ZERO, round_qty
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.production import ORDER_OPEN, Bom, BomLine, ProductionOrder, Routing, RoutingOperation
from app.models.sales import (
    DEMAND_PRODUCTION,
    DEMAND_PURCHASE,
    DOC_SALES_ORDER,
    SalesOrder,
    SalesOrderDemand,
    SalesOrderLine,
)
from app.models.stock import StockBalance
from app.services.base import savepoint, unit_of_work
from app.services.sales.queries import shipped_by_line
from app.services.sales.reserve import top_up_reservations
from app.services.workflow import check

WORK_MINUTES_PER_DAY = Decimal(480)
DEFAULT_SUPPLY_DAYS = 14  # when no supplier offer says otherwise
SOURCE = "sales_order"


@dataclass
class ComponentRow:
    """A component needed to make a line's item (any level), and how it is covered."""

    level: int
    item_id: int
    code: str
    name: str
    required: Decimal
    from_stock: Decimal
    in_production: Decimal = ZERO
    to_produce: Decimal = ZERO
    requested: Decimal = ZERO
    to_buy: Decimal = ZERO
    lead_days: int = 0
    notes: list[Problem] = field(default_factory=list)


@dataclass
class LineAnalysis:
    line_id: int
    line_no: int
    item_id: int | None
    code: str
    name: str
    ordered: Decimal
    shipped: Decimal = ZERO
    reserved: Decimal = ZERO
    available: Decimal = ZERO
    in_production: Decimal = ZERO
    to_produce: Decimal = ZERO
    requested: Decimal = ZERO
    to_buy: Decimal = ZERO
    promise_date: date | None = None
    notes: list[Problem] = field(default_factory=list)
    components: list[ComponentRow] = field(default_factory=list)

    @property
    def open(self) -> Decimal:
        return self.ordered - self.shipped


@dataclass
class OrderAnalysis:
    order_id: int
    number: str
    on_date: date
    lines: list[LineAnalysis] = field(default_factory=list)
    created: list[Problem] = field(default_factory=list)  # what a run created, in words

    def to_buy(self) -> dict[int, Decimal]:
        """item -> total to buy over the lines and their components."""
        out: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for ln in self.lines:
            if ln.to_buy and ln.item_id:
                out[ln.item_id] += ln.to_buy
            for c in ln.components:
                if c.to_buy:
                    out[c.item_id] += c.to_buy
        return dict(out)

    def purchase_need(self) -> dict[int, Decimal]:
        """item -> what the order needs bought now: the part its requests already cover plus what is left
        to buy (free stock that arrived since is taken first, so this shrinks as goods come in)."""
        out: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for ln in self.lines:
            if ln.item_id and (ln.requested or ln.to_buy):
                out[ln.item_id] += ln.requested + ln.to_buy
            for c in ln.components:
                if c.requested or c.to_buy:
                    out[c.item_id] += c.requested + c.to_buy
        return dict(out)

    @property
    def promise_date(self) -> date | None:
        dates = [ln.promise_date for ln in self.lines if ln.promise_date]
        return max(dates) if dates else None


def _p(msgid: str, **params) -> Problem:
    return Problem(msgid, params)


# --- loading, batched -------------------------------------------------------------------------------


@dataclass
class _OpenOrder:
    id: int
    number: str
    parent_id: int | None
    item_id: int
    left: Decimal
    bom_id: int | None
    planned_end: date | None


@dataclass
class _Ctx:
    order: SalesOrder
    today: date
    warehouse_id: int | None
    items: dict[int, Item]
    book: dict[int, dbom.BomSpec]
    free: dict[int, Decimal]
    on_hand: dict[int, Decimal]
    reserved_left: dict[int, Decimal]
    ours_left: dict[int, Decimal]  # in production for this order (its orders and their children)
    ours_numbers: dict[int, list[str]]
    ours_end: dict[int, date]
    stock_left: dict[int, Decimal]  # in production for stock (no parent, no customer order)
    stock_numbers: dict[int, list[str]]
    stock_end: dict[int, date]
    requested_left: dict[int, Decimal]
    routing_minutes: dict[int, tuple[Decimal, Decimal]]  # item -> (setup, run per unit)
    offers: dict[int, object]
    shipped: dict[int, Decimal] = field(default_factory=dict)
    locale: str = "en"  # the language item names are shown in


def _load_order(session: Session, order_id: int) -> SalesOrder:
    order = session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).options(
        selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item)))
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    return order


def _load_book(session: Session, item_ids: set[int], on_date: date) -> dict[int, dbom.BomSpec]:
    """The BOMs in force for all these items and everything below them: one pair of queries per level."""
    from app.services.production.engineering import active_boms, spec_of

    book: dict[int, dbom.BomSpec] = {}
    seen: set[int] = set()
    frontier = set(item_ids)
    while frontier:
        boms = active_boms(session, frontier, on_date)
        seen |= frontier
        lines: dict[int, list] = defaultdict(list)
        if boms:
            for ln in session.execute(
                    select(BomLine.id, BomLine.bom_id, BomLine.line_no, BomLine.item_id, BomLine.qty, BomLine.unit_id,
                           BomLine.scrap_pct, BomLine.is_byproduct)
                    .where(BomLine.bom_id.in_([b.id for b in boms.values()]))
                    .order_by(BomLine.bom_id, BomLine.line_no)):
                lines[ln.bom_id].append(ln)
        all_lines = [ln for ls in lines.values() for ln in ls]
        factors, base = _unit_factors(session, all_lines)
        for item_id, b in boms.items():
            book[item_id] = spec_of(b, lines.get(b.id, []), factors, base)
        frontier = {ln.item_id for ln in all_lines if not ln.is_byproduct} - seen
    return book


def _unit_factors(session: Session, lines: list) -> tuple[dict, dict]:
    from app.models.catalog import UnitConversion

    with_units = {ln.item_id for ln in lines if ln.unit_id}
    if not with_units:
        return {}, {}
    factors = {(i, u): fct for i, u, fct in session.execute(
        select(UnitConversion.item_id, UnitConversion.unit_id, UnitConversion.factor)
        .where(UnitConversion.item_id.in_(with_units)))}
    base = dict(session.execute(select(Item.id, Item.unit_id).where(Item.id.in_(with_units))).all())
    return factors, base


def _open_orders(session: Session) -> list[_OpenOrder]:
    rows = session.execute(select(ProductionOrder.id, ProductionOrder.number, ProductionOrder.parent_id,
                                  ProductionOrder.item_id, ProductionOrder.qty, ProductionOrder.qty_done,
                                  ProductionOrder.bom_id, ProductionOrder.planned_end)
                           .where(ProductionOrder.state.in_(ORDER_OPEN)))
    return [_OpenOrder(r.id, r.number or f"#{r.id}", r.parent_id, r.item_id, max(r.qty - r.qty_done, ZERO), r.bom_id,
                       r.planned_end) for r in rows]


def _descendants(roots: set[int], orders: list[_OpenOrder]) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for o in orders:
        if o.parent_id is not None:
            children[o.parent_id].append(o.id)
    out, stack = set(), list(roots)
    while stack:
        oid = stack.pop()
        if oid in out:
            continue
        out.add(oid)
        stack.extend(children.get(oid, ()))
    return out


def _committed(session: Session, orders: list[_OpenOrder]) -> dict[int, Decimal]:
    """What open production orders (not this order's) still need of each component, from their BOMs."""
    with_bom = [o for o in orders if o.bom_id and o.left > 0]
    if not with_bom:
        return {}
    bom_ids = sorted({o.bom_id for o in with_bom})
    outputs = dict(session.execute(select(Bom.id, Bom.output_qty).where(Bom.id.in_(bom_ids))).all())
    lines: dict[int, list] = defaultdict(list)
    for ln in session.execute(select(BomLine.bom_id, BomLine.item_id, BomLine.qty, BomLine.scrap_pct)
                              .where(BomLine.bom_id.in_(bom_ids), BomLine.is_byproduct.is_(False))):
        lines[ln.bom_id].append(ln)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for o in with_bom:
        for ln in lines.get(o.bom_id, ()):
            spec = dbom.BomLineSpec(ln.item_id, ln.qty, ln.scrap_pct or ZERO)
            out[ln.item_id] += dbom.gross_qty(spec, o.left, outputs.get(o.bom_id) or Decimal(1))
    return dict(out)


def _routings(session: Session, item_ids: set[int], on_date: date) -> dict[int, tuple[Decimal, Decimal]]:
    if not item_ids:
        return {}
    routings = session.scalars(select(Routing).where(Routing.item_id.in_(sorted(item_ids)), Routing.active.is_(True))
                               .options(selectinload(Routing.operations))).all()
    best: dict[int, Routing] = {}
    for r in routings:
        if (r.valid_from or date.min) <= on_date <= (r.valid_to or date.max):
            cur = best.get(r.item_id)
            if cur is None or (r.valid_from or date.min, r.id) > (cur.valid_from or date.min, cur.id):
                best[r.item_id] = r
    out = {}
    for item_id, r in best.items():
        ops: list[RoutingOperation] = list(r.operations)
        out[item_id] = (sum((op.setup_minutes for op in ops), ZERO), sum((op.run_minutes for op in ops), ZERO))
    return out


def _offers(session: Session, item_ids: set[int], on_date: date) -> dict[int, object]:
    if not item_ids:
        return {}
    from app.services.purchasing import best_offers

    return best_offers(session, item_ids, on_date)


def _context(session: Session, order: SalesOrder, today: date) -> _Ctx:
    from app.services.stock.reservations import reserved_for

    wh = order.warehouse_id
    line_items = {ln.item_id for ln in order.lines if ln.item_id}
    book = _load_book(session, line_items, today)
    all_ids = line_items | {c.component for spec in book.values() for c in spec.lines}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(sorted(all_ids))))} if all_ids else {}
    balances = {}
    if wh is not None and all_ids:
        balances = {i: (q, r) for i, q, r in session.execute(
            select(StockBalance.item_id, StockBalance.qty, StockBalance.reserved)
            .where(StockBalance.warehouse_id == wh, StockBalance.item_id.in_(sorted(all_ids))))}
    demand = session.execute(select(SalesOrderDemand.kind, SalesOrderDemand.item_id, SalesOrderDemand.qty,
                                    SalesOrderDemand.production_order_id)
                             .where(SalesOrderDemand.order_id == order.id)).all()
    orders = _open_orders(session)
    linked_anywhere = set()
    if orders:
        linked_anywhere = set(session.scalars(select(SalesOrderDemand.production_order_id).where(
            SalesOrderDemand.production_order_id.in_([o.id for o in orders]))))
    ours = _descendants({d.production_order_id for d in demand if d.production_order_id}, orders)
    committed = _committed(session, [o for o in orders if o.id not in ours])
    ctx = _Ctx(order=order, today=today, warehouse_id=wh, items=items, book=book, free={}, on_hand={},
               reserved_left=defaultdict(lambda: ZERO), ours_left=defaultdict(lambda: ZERO),
               ours_numbers=defaultdict(list), ours_end={}, stock_left=defaultdict(lambda: ZERO),
               stock_numbers=defaultdict(list), stock_end={}, requested_left=defaultdict(lambda: ZERO),
               routing_minutes=_routings(session, set(book), today), offers={})
    for i in all_ids:
        q, r = balances.get(i, (ZERO, ZERO))
        ctx.on_hand[i] = q
        ctx.free[i] = q - r - committed.get(i, ZERO)
    for (item_id, w), qty in reserved_for(session, DOC_SALES_ORDER, order.id).items():
        if w == wh:
            ctx.reserved_left[item_id] += qty
    for o in orders:
        if o.left <= 0:
            continue
        if o.id in ours:
            ctx.ours_left[o.item_id] += o.left
            ctx.ours_numbers[o.item_id].append(o.number)
            ctx.ours_end[o.item_id] = max(ctx.ours_end.get(o.item_id, today), o.planned_end or today)
        elif o.parent_id is None and o.id not in linked_anywhere:
            ctx.stock_left[o.item_id] += o.left
            ctx.stock_numbers[o.item_id].append(o.number)
            ctx.stock_end[o.item_id] = max(ctx.stock_end.get(o.item_id, today), o.planned_end or today)
    for d in demand:
        if d.kind == DEMAND_PURCHASE:
            ctx.requested_left[d.item_id] += d.qty
    ctx.shipped = shipped_by_line(session, order.id)
    buyable = {i for i in all_ids if i not in book}
    ctx.offers = _offers(session, buyable, today)
    return ctx


# --- the figures ------------------------------------------------------------------------------------


def _take(pool: dict[int, Decimal], item_id: int, want: Decimal) -> Decimal:
    got = min(want, max(pool.get(item_id, ZERO), ZERO))
    if got > 0:
        pool[item_id] = pool[item_id] - got
    return got


def _routing_days(ctx: _Ctx, item_id: int, qty: Decimal) -> int:
    setup, run = ctx.routing_minutes.get(item_id, (ZERO, ZERO))
    with localcontext() as lc:
        lc.prec = 40
        minutes = setup + run * qty
    # at least a day to make anything, even without a routing
    return max(1, math.ceil(minutes / WORK_MINUTES_PER_DAY)) if qty > 0 else 0


def _supply_days(ctx: _Ctx, item_id: int) -> tuple[int, Problem]:
    offer = ctx.offers.get(item_id)
    code = ctx.items[item_id].code if item_id in ctx.items else str(item_id)
    if offer is None:
        return DEFAULT_SUPPLY_DAYS, _p("No supplier offer for %(item)s: %(days)s days assumed", item=code,
                                       days=DEFAULT_SUPPLY_DAYS)
    return offer.lead_time_days, _p("Best offer for %(item)s: %(supplier)s, %(price)s %(currency)s, %(days)s days",
                                    item=code, supplier=offer.supplier_name, price=offer.price,
                                    currency=offer.currency_code, days=offer.lead_time_days)


def _explode(ctx: _Ctx, item_id: int, qty: Decimal, level: int, rows: list[ComponentRow]) -> int:
    """Cover `qty` of item's components (every level); return the days until they are all there."""
    spec = ctx.book.get(item_id)
    if spec is None or qty <= 0 or level > dbom.MAX_DEPTH:
        return 0
    longest = 0
    for line in spec.lines:
        if line.byproduct:
            continue
        need = round_qty(dbom.gross_qty(line, qty, spec.output_qty))
        c = line.component
        it = ctx.items.get(c)
        row = ComponentRow(level, c, it.code if it else str(c), it.label(ctx.locale) if it else "", need,
                           _take(ctx.free, c, need))
        short = need - row.from_stock
        rows.append(row)
        if short <= 0:
            row.notes.append(_p("%(item)s: %(qty)s from free stock", item=row.code, qty=need))
            continue
        if c in ctx.book:
            row.in_production = _take(ctx.ours_left, c, short)
            row.to_produce = short - row.in_production
            row.notes.append(_p("%(item)s: need %(required)s, free stock %(free)s; %(in_production)s in production "
                                "for this order, %(to_produce)s to make (a child production order at release)",
                                item=row.code, required=need, free=row.from_stock, in_production=row.in_production,
                                to_produce=row.to_produce))
            row.lead_days = _explode(ctx, c, short, level + 1, rows) + _routing_days(ctx, c, short)
        else:
            row.requested = _take(ctx.requested_left, c, short)
            row.to_buy = short - row.requested
            days, note = _supply_days(ctx, c)
            row.lead_days = days
            row.notes.append(_p("%(item)s: need %(required)s, free stock %(free)s; %(requested)s already requested "
                                "from suppliers for this order, %(to_buy)s to buy", item=row.code, required=need,
                                free=row.from_stock, requested=row.requested, to_buy=row.to_buy))
            row.notes.append(note)
        longest = max(longest, row.lead_days)
    return longest


def _analyse_line(ctx: _Ctx, ln: SalesOrderLine) -> LineAnalysis:
    item = ln.item
    name = ln.description or (item.label(ctx.locale) if item else "")
    out = LineAnalysis(ln.id, ln.line_no, ln.item_id, item.code if item else "", name, ln.qty,
                       shipped=ctx.shipped.get(ln.id, ZERO))
    if item is None or item.kind == "service":
        out.notes.append(_p("A service: nothing to reserve, make or buy"))
        out.promise_date = ctx.today
        return out
    out.notes.append(_p("Ordered %(ordered)s, shipped %(shipped)s: %(open)s still to deliver", ordered=ln.qty,
                        shipped=out.shipped, open=out.open))
    need = out.open
    out.reserved = _take(ctx.reserved_left, item.id, need)
    need -= out.reserved
    if out.reserved:
        out.notes.append(_p("%(qty)s reserved for this order in the warehouse", qty=out.reserved))
    out.available = _take(ctx.free, item.id, need)
    need -= out.available
    if out.available:
        out.notes.append(_p("%(qty)s more free in the warehouse (on hand %(on_hand)s): can be reserved now",
                            qty=out.available, on_hand=ctx.on_hand.get(item.id, ZERO)))
    dates = [ctx.today]
    if need > 0 and item.id in ctx.book:
        ours = _take(ctx.ours_left, item.id, need)
        for_stock = _take(ctx.stock_left, item.id, need - ours)
        out.in_production = ours + for_stock
        out.to_produce = need - out.in_production
        if ours:
            out.notes.append(_p("%(qty)s in production for this order: %(orders)s", qty=ours,
                                orders=", ".join(ctx.ours_numbers[item.id])))
            dates.append(ctx.ours_end.get(item.id, ctx.today))
        if for_stock:
            out.notes.append(_p("%(qty)s in production for stock: %(orders)s", qty=for_stock,
                                orders=", ".join(ctx.stock_numbers[item.id])))
            dates.append(ctx.stock_end.get(item.id, ctx.today))
        make = out.to_produce + ours
        days = _explode(ctx, item.id, make, 1, out.components)
        if out.to_produce:
            total = days + _routing_days(ctx, item.id, out.to_produce)
            out.notes.append(_p("%(qty)s to produce: components in %(parts)s days, production %(work)s days",
                                qty=out.to_produce, parts=days, work=_routing_days(ctx, item.id, out.to_produce)))
            dates.append(ctx.today + timedelta(days=total))
        elif ours:
            dates.append(ctx.today + timedelta(days=days))
    elif need > 0:
        out.requested = _take(ctx.requested_left, item.id, need)
        out.to_buy = need - out.requested
        days, note = _supply_days(ctx, item.id)
        out.notes.append(_p("%(item)s has no bill of materials: %(requested)s already requested, %(qty)s to buy",
                            item=item.code, requested=out.requested, qty=out.to_buy))
        out.notes.append(note)
        dates.append(ctx.today + timedelta(days=days))
    out.promise_date = max(dates)
    out.notes.append(_p("Promise date %(date)s", date=out.promise_date))
    return out


def analyse(session: Session, order_id: int, today: date | None = None, locale: str = "en") -> OrderAnalysis:
    """The logistics analysis of an order (reads only); item names in `locale`."""
    order = _load_order(session, order_id)
    on = today or date.today()
    ctx = _context(session, order, on)
    ctx.locale = locale
    result = OrderAnalysis(order.id, order.number, on)
    result.lines = [_analyse_line(ctx, ln) for ln in order.lines]
    return result


# --- acting on it -----------------------------------------------------------------------------------


def _record_purchases(session: Session, order: SalesOrder, result: OrderAnalysis) -> None:
    """Make the order's purchase request lines follow what it needs bought now (purchasing.follow_need):
    new needs are requested, draft lines shrink or go when stock arrived or the order needs less, a
    sent line that asks too much says so to the buyer."""
    from app.models.purchasing import REQ_DRAFT
    from app.services.purchasing.requests import follow_need

    needed = result.purchase_need()
    existing = {d.item_id: d for d in session.scalars(select(SalesOrderDemand).where(
        SalesOrderDemand.order_id == order.id, SalesOrderDemand.kind == DEMAND_PURCHASE))}
    for item_id in sorted(set(needed) | set(existing)):
        row, total = existing.get(item_id), needed.get(item_id, ZERO)
        if row is not None and row.qty == total:
            continue
        reason = {"kind": SOURCE, "order": order.number, "client": order.partner.name, "qty": str(total)}
        line = follow_need(session, item_id=item_id, need=total, warehouse_id=order.warehouse_id, reason=reason,
                           source=SOURCE, source_ref=order.number, need_by=order.delivery_date)
        code = _code(session, item_id)
        if line is None:
            if row is not None:
                session.delete(row)
                result.created.append(_p("Purchase request line for %(item)s withdrawn: no longer needed",
                                         item=code))
            continue
        sent = line.request.state != REQ_DRAFT
        if row is None:
            row = SalesOrderDemand(order_id=order.id, kind=DEMAND_PURCHASE, item_id=item_id, qty=total)
            session.add(row)
        # a sent line is what the supplier will deliver: it keeps covering the order in full
        row.qty, row.purchase_line_id, row.reference = line.qty if sent else total, line.id, line.request.number
        if sent:
            if line.excess:
                result.created.append(_p("Purchase request %(number)s asks %(excess)s of %(item)s more than "
                                         "the order needs now", number=line.request.number, excess=line.excess,
                                         item=code))
            continue
        result.created.append(_p("Purchase request %(number)s: %(qty)s of %(item)s", number=line.request.number,
                                 qty=total, item=code))


def _code(session: Session, item_id: int) -> str:
    return session.scalar(select(Item.code).where(Item.id == item_id)) or str(item_id)


def _produce(session: Session, order: SalesOrder, item_id: int, qty: Decimal, line_id: int | None, code: str,
             planned_end: date | None, result: OrderAnalysis) -> None:
    """Create and release one production order for the order. A refused release keeps the order a recorded
    draft (its refusal is undone alone, in a savepoint) that the next run counts, never a second order."""
    from app.services.production import OrderInput as ProductionInput
    from app.services.production import create_order as create_production_order
    from app.services.production import release_order

    po = create_production_order(session, ProductionInput(
        item_id=item_id, qty=qty, component_warehouse_id=order.warehouse_id, order_date=result.on_date,
        planned_start=result.on_date, planned_end=planned_end, note=f"{order.number} {order.partner.name}"))
    row = SalesOrderDemand(order_id=order.id, order_line_id=line_id, kind=DEMAND_PRODUCTION,
                           item_id=item_id, qty=qty, production_order_id=po.id)
    session.add(row)
    try:
        with savepoint(session):
            release_order(session, po.id)
    except DomainError as exc:  # the draft stays, recorded: production managers see why
        result.created.extend(exc.problems)
    session.refresh(po)
    row.reference = po.number or ""
    result.created.append(_p("Production order %(number)s: %(qty)s of %(item)s", number=po.number or f"#{po.id}",
                             qty=qty, item=code))


def _short_nodes(analysis: OrderAnalysis) -> dict[int, tuple[Decimal, int, str]]:
    """Nodes still to make after the line orders were released: item -> (qty, first line id, code)."""
    out: dict[int, tuple[Decimal, int, str]] = {}
    for ln in analysis.lines:
        for c in ln.components:
            if c.to_produce > 0:
                qty, line_id, code = out.get(c.item_id, (ZERO, ln.line_id, c.code))
                out[c.item_id] = (qty + c.to_produce, line_id, code)
    return out


def run_analysis(session: Session, order_id: int, today: date | None = None, locale: str = "en") -> OrderAnalysis:
    """Act on the analysis: reserve what is free, request what is to buy, create the production orders.

    Safe to repeat: what was created before is counted as requested / in production.
    """
    on = today or date.today()

    with unit_of_work(session):
        order = _lock_open_order(session, order_id)
        top_up_reservations(session, order)
        session.flush()
        result = analyse(session, order.id, on)
        from app.services.projects.processes import on_shortages

        on_shortages(session, order, result.to_buy())  # what is newly short: business processes may act on it
        _record_purchases(session, order, result)
        order.analysed_at = utcnow()
        for ln in result.lines:
            if ln.to_produce > 0:
                _produce(session, order, ln.item_id, ln.to_produce, ln.line_id, ln.code, ln.promise_date, result)
        final = analyse(session, order.id, on, locale)
        # multi-stage: a release makes child orders for the nodes its warehouse lacks, judging by what is on
        # hand; nodes that are on hand but promised to other work are still short here, so they get orders too
        for _ in range(dbom.MAX_DEPTH):
            nodes = _short_nodes(final)
            if not nodes:
                break
            for item_id, (qty, line_id, code) in sorted(nodes.items()):
                _produce(session, order, item_id, qty, line_id, code, None, result)
            final = analyse(session, order.id, on, locale)
        final.created = result.created
        promised = {ln.line_id: ln.promise_date for ln in final.lines}
        for line in session.scalars(select(SalesOrderLine).where(SalesOrderLine.order_id == order_id)):
            line.promise_date = promised.get(line.id)
    return final


def _lock_open_order(session: Session, order_id: int) -> SalesOrder:
    """Lock the order, then re-read it and check it can be acted on (confirmed, with a warehouse)."""
    order = session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).with_for_update()
                           .options(selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item))
                           .execution_options(populate_existing=True))
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    check(SALES_ORDER, order, "analyse")
    if order.warehouse_id is None:
        raise DomainError("Choose the warehouse the order ships from")
    return order
