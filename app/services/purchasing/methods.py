"""The generation methods: sales analysis, invoice analysis, product matrix, ABC and min / max.

Each builder reads its figures in bulk (app.services.purchasing.figures / sources), asks the pure
arithmetic of app.domain.reorder for the net need and its formula, and returns Suggestions; one
writer turns them into purchase request lines (best offer, rounding, reason) and records the run.

Regeneration never duplicates: a method's lines are keyed (method, "wh:<id>", item); a second run
rewrites its own draft lines (removing those no longer needed) and counts every other open
request line (another method's, a customer order's, a request already sent) as "requested".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain import abc as abc_domain
from app.domain.errors import DomainError
from app.domain.money import ZERO
from app.domain.reorder import Stock, cover_need, demand_need, minimum_need, minmax_need, plain, sales_need
from app.models.catalog import Item
from app.models.purchasing import (
    METHOD_ABC,
    METHOD_INVOICES,
    METHOD_MATRIX,
    METHOD_MINMAX,
    METHOD_SALES,
    REQ_DRAFT,
    PurchaseRequest,
    PurchaseRequestLine,
    PurchasingRun,
    ReorderPoint,
    SupplierOffer,
)
from app.services.base import current_actor, unit_of_work
from app.services.purchasing.figures import stock_figures
from app.services.purchasing.offers import OfferChoice, best_offers
from app.services.purchasing.params import MethodParams
from app.services.purchasing.requests import (
    WriteStats,
    load_unit_places,
    new_context,
    refresh_totals,
    serialize_demand,
    upsert_demand,
)
from app.services.purchasing.sources import (
    CONSUMPTION_KINDS,
    WRITEOFF_KINDS,
    Usage,
    bought_items,
    consumption,
    invoiced,
    invoiced_not_shipped,
)


@dataclass
class Suggestion:
    """Buy `need` (net, before the supplier's rounding) of an item for a warehouse, and why."""

    item_id: int
    warehouse_id: int | None
    need: Decimal
    reason: dict


@dataclass
class Plan:
    """A method's suggestions plus what it looked at (for the page: items examined, skipped)."""

    suggestions: list[Suggestion] = field(default_factory=list)
    examined: int = 0
    offers: dict[int, OfferChoice] = field(default_factory=dict)
    abc_rows: list[abc_domain.AbcRow] = field(default_factory=list)


def source_ref(warehouse_id: int | None) -> str:
    return f"wh:{warehouse_id if warehouse_id is not None else '*'}"


def _figures(session: Session, p: MethodParams, item_ids, warehouse_id: int | None) -> dict[int, Stock]:
    return stock_figures(session, item_ids, warehouse_id, exclude_source=(p.method, source_ref(warehouse_id)))


def _lead_time(offers: dict[int, OfferChoice], item_id: int, default: int) -> int:
    offer = offers.get(item_id)
    return offer.lead_time_days if offer is not None else default


def _reason(p: MethodParams, need, extra: dict | None = None) -> dict:
    return {**p.as_reason(), **need.figures, "formula": need.formula, **(extra or {})}


# --- the builders ---------------------------------------------------------------------------------


def plan_sales(session: Session, p: MethodParams) -> Plan:
    """Average daily consumption x (lead time + safety days) - available - on order - requested."""
    kinds = CONSUMPTION_KINDS + (WRITEOFF_KINDS if p.include_writeoffs else ())
    usage = consumption(session, p.date_from, p.date_to, p.warehouse_id, kinds)
    items = bought_items(session, set(usage), p.group_id)
    offers = best_offers(session, items, p.on_date)
    stock = _figures(session, p, items, p.warehouse_id)
    plan = Plan(examined=len(items), offers=offers)
    for item_id in sorted(items):
        lead = _lead_time(offers, item_id, p.default_lead_time)
        need = sales_need(usage[item_id].qty, p.days, lead, p.safety_days, stock[item_id])
        plan.suggestions.append(Suggestion(item_id, p.warehouse_id, need.qty, _reason(p, need)))
    return plan


def plan_invoices(session: Session, p: MethodParams) -> Plan:
    """Invoiced to customers and not shipped, less what is available or coming."""
    owed = invoiced_not_shipped(session, p.date_from, p.date_to)
    items = bought_items(session, set(owed), p.group_id)
    stock = _figures(session, p, items, p.warehouse_id)
    plan = Plan(examined=len(items), offers=best_offers(session, items, p.on_date))
    for item_id in sorted(items):
        need = demand_need(owed[item_id], stock[item_id])
        plan.suggestions.append(Suggestion(item_id, p.warehouse_id, need.qty, _reason(p, need)))
    return plan


def _matrix_items(session: Session, on_date: date) -> set[int]:
    from sqlalchemy import or_

    return set(session.scalars(select(SupplierOffer.item_id).distinct().where(
        SupplierOffer.active.is_(True), SupplierOffer.valid_from <= on_date,
        or_(SupplierOffer.valid_to.is_(None), SupplierOffer.valid_to >= on_date))))


@dataclass(frozen=True)
class Point:
    item_id: int
    warehouse_id: int
    min_qty: Decimal
    max_qty: Decimal


def _points(session: Session, p: MethodParams, item_ids: set[int] | None = None) -> list[Point]:
    stmt = select(ReorderPoint.item_id, ReorderPoint.warehouse_id, ReorderPoint.min_qty, ReorderPoint.max_qty) \
        .where(ReorderPoint.active.is_(True))
    if p.warehouse_id is not None:
        stmt = stmt.where(ReorderPoint.warehouse_id == p.warehouse_id)
    points = [Point(*row) for row in session.execute(stmt.order_by(ReorderPoint.warehouse_id, ReorderPoint.item_id))]
    return [rp for rp in points if item_ids is None or rp.item_id in item_ids]


def plan_matrix(session: Session, p: MethodParams) -> Plan:
    """Every item of the product matrix below its minimum (the reorder point's min; 0 without one)."""
    items = bought_items(session, _matrix_items(session, p.on_date), p.group_id)
    minimum: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for rp in _points(session, p, set(items)):  # all warehouses together: the minimums add up
        minimum[rp.item_id] += rp.min_qty
    stock = _figures(session, p, items, p.warehouse_id)
    plan = Plan(examined=len(items), offers=best_offers(session, items, p.on_date))
    for item_id in sorted(items):
        need = minimum_need(minimum.get(item_id, ZERO), stock[item_id])
        plan.suggestions.append(Suggestion(item_id, p.warehouse_id, need.qty, _reason(p, need)))
    return plan


def plan_minmax(session: Session, p: MethodParams) -> Plan:
    """Reorder points: below min, order up to max (per item and warehouse)."""
    points = _points(session, p)
    items = bought_items(session, {rp.item_id for rp in points}, p.group_id)
    by_wh: dict[int, list[Point]] = defaultdict(list)
    for rp in points:
        if rp.item_id in items:
            by_wh[rp.warehouse_id].append(rp)
    plan = Plan(examined=sum(len(v) for v in by_wh.values()), offers=best_offers(session, items, p.on_date))
    for wh_id, rps in sorted(by_wh.items()):
        stock = stock_figures(session, [rp.item_id for rp in rps], wh_id,
                              exclude_source=(p.method, source_ref(wh_id)))
        for rp in rps:
            need = minmax_need(rp.min_qty, rp.max_qty, stock[rp.item_id])
            plan.suggestions.append(Suggestion(rp.item_id, wh_id, need.qty, _reason(p, need)))
    return plan


def abc_usage(session: Session, p: MethodParams) -> tuple[dict[int, Usage], dict[int, ItemInfo]]:
    """Per item usage over the period from the chosen source, and the items themselves."""
    if p.source == "invoices":
        usage = invoiced(session, p.date_from, p.date_to)
    else:
        usage = consumption(session, p.date_from, p.date_to, p.warehouse_id, count_documents=True)
    items = _items(session, set(usage), p.group_id)
    return {k: v for k, v in usage.items() if k in items}, items


@dataclass(frozen=True)
class ItemInfo:
    """What ABC needs of an item, read as plain columns (10,000 ORM objects would cost more than the scan)."""

    id: int
    code: str
    name: str
    name_ru: str
    name_es: str
    sale_price: Decimal | None
    standard_cost: Decimal | None

    def label(self, locale: str = "en") -> str:
        return getattr(self, f"name_{locale}", "") or self.name


def _items(session: Session, ids: set[int], group_id: int | None) -> dict[int, ItemInfo]:
    from app.services.purchasing.bulk import rows_for_ids
    from app.services.stock.reports import group_subtree

    stmt = select(Item.id, Item.code, Item.name, Item.name_ru, Item.name_es, Item.sale_price, Item.standard_cost)
    if group_id is not None:
        stmt = stmt.where(Item.group_id.in_(group_subtree(group_id)))
    return {row[0]: ItemInfo(*row) for row in rows_for_ids(session, stmt, Item.id, ids)}


def measure(criterion: str, usage: Usage, item: ItemInfo) -> Decimal:
    """The ABC measure of one item: revenue, quantity, margin or number of documents."""
    if criterion == "quantity":
        return usage.qty
    if criterion == "orders":
        return Decimal(usage.documents)
    revenue = usage.revenue
    if revenue is None:  # ledger: the sale price when the item has one, else the cost that left
        revenue = usage.qty * item.sale_price if item.sale_price else usage.cost
    if criterion == "revenue":
        return revenue
    cost = usage.cost if usage.cost else usage.qty * (item.standard_cost or ZERO)
    return revenue - cost


def classify(session: Session, p: MethodParams) -> tuple[list[abc_domain.AbcRow], dict[int, Usage],
                                                         dict[int, ItemInfo]]:
    usage, items = abc_usage(session, p)
    values = {item_id: measure(p.criterion, u, items[item_id]) for item_id, u in usage.items()}
    return abc_domain.classify(values, p.threshold_a, p.threshold_b), usage, items


def plan_abc(session: Session, p: MethodParams) -> Plan:
    """ABC over the period; per class keep `cover days` of average consumption, or skip the class."""
    rows, usage, _ = classify(session, p)
    bought = bought_items(session, {r.key for r in rows}, p.group_id)
    wanted = [r for r in rows if r.key in bought]
    stock = _figures(session, p, bought, p.warehouse_id)
    plan = Plan(examined=len(wanted), offers=best_offers(session, bought, p.on_date), abc_rows=rows)
    for row in wanted:
        cover = p.cover_days.get(row.klass)
        if cover is None:
            continue
        daily = (usage[row.key].qty / Decimal(p.days)).quantize(Decimal("0.0001"))
        need = cover_need(daily, cover, stock[row.key])
        extra = {"abc_class": row.klass, "criterion": p.criterion, "abc_value": plain(row.value.quantize(
            Decimal("0.01"))), "abc_share": plain(row.cumulative), "consumed": plain(usage[row.key].qty),
            "days": str(p.days)}
        plan.suggestions.append(Suggestion(row.key, p.warehouse_id, need.qty, _reason(p, need, extra)))
    return plan


PLANNERS = {METHOD_SALES: plan_sales, METHOD_INVOICES: plan_invoices, METHOD_MATRIX: plan_matrix,
            METHOD_ABC: plan_abc, METHOD_MINMAX: plan_minmax}


# --- writing --------------------------------------------------------------------------------------


def _own_lines(session: Session, method: str, warehouse_ids: set[int | None]) -> dict[tuple, PurchaseRequestLine]:
    """(warehouse, item) -> this method's draft line, for every warehouse the plan touches."""
    refs = {source_ref(w) for w in warehouse_ids}
    lines = session.scalars(
        select(PurchaseRequestLine).join(PurchaseRequest)
        .where(PurchaseRequestLine.source == method, PurchaseRequestLine.source_ref.in_(refs),
               PurchaseRequest.state == REQ_DRAFT)
        .options(selectinload(PurchaseRequestLine.request)))
    return {(ln.request.warehouse_id, ln.item_id): ln for ln in lines}


def write_plan(session: Session, method: str, plan: Plan, warehouse_ids: set[int | None],
               today: date) -> WriteStats:
    """Turn suggestions into request lines; this method's old draft lines not suggested again go."""
    ctx = new_context(today)
    load_unit_places(session, ctx, {s.item_id for s in plan.suggestions})
    own = _own_lines(session, method, warehouse_ids)
    seen = set()
    for s in plan.suggestions:
        seen.add((s.warehouse_id, s.item_id))
        if s.need <= 0 and (s.warehouse_id, s.item_id) not in own:
            continue
        upsert_demand(session, ctx, item_id=s.item_id, need=s.need, warehouse_id=s.warehouse_id, reason=s.reason,
                      source=method, source_ref=source_ref(s.warehouse_id), need_by=None,
                      offer=plan.offers.get(s.item_id), drafts_only=True,
                      known=[own[key]] if (key := (s.warehouse_id, s.item_id)) in own else [])
    for key, line in own.items():
        if key not in seen:
            ctx.stats.touched.add(line.request_id)
            session.delete(line)
            ctx.stats.lines_removed += 1
    refresh_totals(session, ctx.stats.touched)
    return ctx.stats


@dataclass
class RunSummary:
    run_id: int
    methods: list[str]
    examined: int
    suggested: int
    stats: WriteStats
    value_base: Decimal


def generate(session: Session, params: list[MethodParams], trigger: str = "manual") -> RunSummary:
    """Run methods one after another in one transaction and record the run for the dashboard."""
    if not params:
        raise DomainError("Choose at least one method")
    with unit_of_work(session):
        serialize_demand(session)  # before reading the figures: a concurrent run's lines count
        totals = WriteStats()
        examined = suggested = 0
        per_method = {}
        for p in params:
            plan = PLANNERS[p.method](session, p)
            warehouses = {s.warehouse_id for s in plan.suggestions} | {p.warehouse_id}
            stats = write_plan(session, p.method, plan, warehouses, p.on_date)
            examined += plan.examined
            suggested += sum(1 for s in plan.suggestions if s.need > 0)
            per_method[p.method] = {"examined": plan.examined, "created": stats.lines_created,
                                    "updated": stats.lines_updated, "removed": stats.lines_removed}
            for attr in ("requests_created", "lines_created", "lines_updated", "lines_removed", "kept"):
                setattr(totals, attr, getattr(totals, attr) + getattr(stats, attr))
            totals.touched |= stats.touched
        value = _value_of(session, totals.touched)
        run = PurchasingRun(trigger=trigger, methods=",".join(p.method for p in params),
                            username=current_actor().username, requests_created=totals.requests_created,
                            lines_created=totals.lines_created, lines_updated=totals.lines_updated,
                            value_base=value, details={"per_method": per_method, "removed": totals.lines_removed,
                                                       "requests": sorted(totals.touched)})
        session.add(run)
        session.flush()
        return RunSummary(run.id, [p.method for p in params], examined, suggested, totals, value)


def _value_of(session: Session, request_ids: set[int]) -> Decimal:
    if not request_ids:
        return ZERO
    from sqlalchemy import func

    return session.scalar(select(func.sum(PurchaseRequest.total_base))
                          .where(PurchaseRequest.id.in_(request_ids))) or ZERO


def preview(session: Session, p: MethodParams) -> Plan:
    """The method's suggestions without writing anything (the page shows them before generating)."""
    return PLANNERS[p.method](session, p)
