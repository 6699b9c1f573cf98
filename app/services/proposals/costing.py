"""Live costing of proposal lines from a chosen source, in a handful of batched queries.

A line is an item (a bought-in part, or a node with a BOM) and a quantity, or a fixed cost (a
manual or calculator line). Nodes are exploded through the BOMs in force (app.domain.bom) and
rolled up with their routings' labour; the bought-in parts are costed by one of five sources:

- fifo: the open FIFO lots net of reservations, oldest first (what the goods would really cost
  if taken now); demand beyond the free stock is priced at the newest lot's cost, with a note;
- average: the balance's value / quantity over every warehouse;
- last_purchase: the unit cost of the latest receipt move that was not reversed;
- best_offer: the product matrix's best offer (purchasing context, imported lazily);
- standard: the item's standard cost.

A part without a cost under the chosen source falls back to its standard cost, and without one
counts as zero; every fallback is a note the page shows, so nobody trusts a margin built on zeros.
All figures are in the base currency and exact (rounded only when priced).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, column, func, literal, select, values
from sqlalchemy.orm import Session, selectinload

from app.domain import bom as dbom
from app.domain import pricing as dp
from app.domain.errors import DomainError, Problem
from app.domain.money import ZERO, exact
from app.models.catalog import Item
from app.models.production import Routing, RoutingOperation
from app.models.proposals import (
    COST_SOURCES,
    SOURCE_AVERAGE,
    SOURCE_BEST_OFFER,
    SOURCE_FIFO,
    SOURCE_LAST_PURCHASE,
    SOURCE_STANDARD,
)
from app.models.stock import StockBalance, StockLot, StockMove, Warehouse
from app.models.types import Quantity
from app.services.production import engineering as eng

MSG_NO_COST = "No cost for %(item)s: counted as zero"
MSG_FALLBACK = "%(item)s has no cost by this source: its standard cost is used"
MSG_SHORTFALL = "%(qty)s of %(item)s beyond the free stock priced at the newest lot's cost"
MSG_UNKNOWN_SOURCE = "Unknown cost source %(source)s"
MESSAGES = (MSG_NO_COST, MSG_FALLBACK, MSG_SHORTFALL, MSG_UNKNOWN_SOURCE)


@dataclass(frozen=True)
class Demand:
    """What to cost: `qty` of an item, or a fixed unit cost (manual and calculator lines)."""

    key: object
    item_id: int | None
    qty: Decimal
    fixed_unit_cost: Decimal | None = None


@dataclass(frozen=True)
class NodePart:
    """One component of a node line: its item, quantity for the line and cost."""

    item_id: int
    qty: Decimal
    cost: Decimal
    has_bom: bool


@dataclass
class LineCost:
    key: object
    cost: Decimal  # exact, whole quantity
    labour: Decimal = ZERO
    node: bool = False
    parts: list[NodePart] = field(default_factory=list)


@dataclass
class Costing:
    source: str
    lines: dict[object, LineCost] = field(default_factory=dict)
    unit_costs: dict[int, Decimal] = field(default_factory=dict)  # bought-in parts, exact
    notes: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((c.cost for c in self.lines.values()), ZERO)


# --- BOMs and routings, batched ----------------------------------------------------------------


def load_books(session: Session, item_ids: set[int], on_date: date | None = None) -> dict[int, dbom.BomSpec]:
    """The BOMs in force for all these items and everything below them, one level per query."""
    book: dict[int, dbom.BomSpec] = {}
    seen: set[int] = set()
    frontier = set(item_ids)
    while frontier:
        boms = eng.active_boms(session, frontier, on_date)
        seen |= frontier
        lines = eng._lines_of(session, [b.id for b in boms.values()])
        all_lines = [ln for ls in lines.values() for ln in ls]
        factors = eng._factors(session, all_lines)
        with_units = {ln.item_id for ln in all_lines if ln.unit_id}
        base = eng._base_units(session, with_units) if with_units else {}
        for item, bom in boms.items():
            book[item] = eng.spec_of(bom, lines.get(bom.id, []), factors, base)
        frontier = {ln.item_id for ln in all_lines if not ln.is_byproduct} - seen
    graph = {parent: {c for c in comps if c in book} for parent, comps in dbom.edges_of(book).items()}
    cycle = dbom.find_cycle(graph)
    if cycle is not None:
        raise DomainError(dbom.MSG_CYCLE_FOUND, path=" → ".join(str(i) for i in cycle))
    return book


def routing_labour(session: Session, item_ids: set[int], on_date: date | None = None) -> dict[int, dbom.Labour]:
    """Each node's routing in force as (set-up per batch, run per unit), labour plus overhead: one query."""
    if not item_ids:
        return {}
    rows = session.scalars(select(Routing).where(Routing.item_id.in_(sorted(item_ids)),
                                                 eng._in_force(Routing, on_date or date.today()))
                           .options(selectinload(Routing.operations).joinedload(RoutingOperation.work_center)))
    return {item_id: eng.labour_of(routing) for item_id, routing in eng._newest(rows).items()}


# --- unit costs by source ----------------------------------------------------------------------


def _standard(session: Session, ids: set[int]) -> dict[int, Decimal]:
    return eng._standard_costs(session, ids) if ids else {}


def _last_receipt(session: Session, ids: set[int]) -> dict[int, Decimal]:
    """Unit cost of each item's latest receipt move that was not reversed: two indexed queries.

    The newest three receipts per item are ranked in SQL; the reversals among these items' moves
    (few: a cancelled receipt) are read by item, so no query walks the ledger per row.
    """
    if not ids:
        return {}
    wanted = sorted(ids)
    ranked = (select(StockMove.id, StockMove.item_id, StockMove.qty, StockMove.value,
                     func.row_number().over(partition_by=StockMove.item_id,
                                            order_by=(StockMove.move_date.desc(), StockMove.id.desc())).label("rn"))
              .where(StockMove.item_id.in_(wanted), StockMove.doc_type == "receipt", StockMove.qty > 0,
                     StockMove.reversal_of_id.is_(None))
              .subquery())
    rows = session.execute(select(ranked.c.id, ranked.c.item_id, ranked.c.qty, ranked.c.value)
                           .where(ranked.c.rn <= 3).order_by(ranked.c.item_id, ranked.c.rn)).all()
    reversed_ids = set(session.scalars(select(StockMove.reversal_of_id).where(
        StockMove.item_id.in_(wanted), StockMove.reversal_of_id.is_not(None))))
    out: dict[int, Decimal] = {}
    for move_id, item_id, qty, value in rows:
        if item_id not in out and move_id not in reversed_ids and qty:
            out[item_id] = dp.ratio(value, qty)
    return out


def _needed_lots(demand: dict[int, Decimal]):
    """The open FIFO lots that the reservations and the demand reach.

    A window sum per item and warehouse gives the quantity in the older lots; a lot is needed
    while that is below what is reserved there plus the demand. So a click reads the few lots it
    uses, not an item's whole history of receipts. When the demand exceeds the free stock every
    lot is reached, so the newest one, which prices the shortfall, is always among them.
    """
    before = func.sum(StockLot.qty_remaining).over(
        partition_by=(StockLot.item_id, StockLot.warehouse_id),
        order_by=(StockLot.received_on, StockLot.id)) - StockLot.qty_remaining
    wanted = values(column("item_id", Integer), column("qty", Quantity()), name="wanted").data(
        [(i, q) for i, q in demand.items()]).cte("wanted")
    lots = (select(StockLot.item_id, StockLot.warehouse_id, StockLot.received_on, StockLot.id,
                   StockLot.qty_remaining, StockLot.value_remaining, before.label("before"),
                   (func.coalesce(StockBalance.reserved, literal(ZERO, Quantity())) + wanted.c.qty).label("reach"))
            .join(wanted, wanted.c.item_id == StockLot.item_id)
            .join(Warehouse, Warehouse.id == StockLot.warehouse_id)
            .outerjoin(StockBalance, (StockBalance.item_id == StockLot.item_id)
                       & (StockBalance.warehouse_id == StockLot.warehouse_id))
            .where(StockLot.qty_remaining > 0, Warehouse.valuation == "fifo")
            .subquery())
    return (select(lots.c.item_id, lots.c.warehouse_id, lots.c.received_on, lots.c.id, lots.c.qty_remaining,
                   lots.c.value_remaining)
            .where(lots.c.before < lots.c.reach)
            .order_by(lots.c.item_id, lots.c.received_on, lots.c.id))


def _fifo(session: Session, demand: dict[int, Decimal], codes: dict[int, str],
          notes: list[Problem]) -> dict[int, Decimal]:
    """Unit cost of each item's demand from its free FIFO layers (two queries for all items)."""
    ids = sorted(demand)
    if not ids:
        return {}
    lots = session.execute(_needed_lots(demand))
    layers: dict[int, dict[int, list[dp.Layer]]] = {}
    for item_id, wh_id, received, lot_id, qty, value in lots:
        layers.setdefault(item_id, {}).setdefault(wh_id, []).append(dp.Layer(qty, value, (received, lot_id)))
    reserved = {(i, w): r for i, w, r in session.execute(
        select(StockBalance.item_id, StockBalance.warehouse_id, StockBalance.reserved)
        .where(StockBalance.item_id.in_(ids), StockBalance.reserved > 0))}
    out: dict[int, Decimal] = {}
    for item_id, qty in demand.items():
        stores = layers.get(item_id)
        if not stores or qty <= 0:
            continue
        result = dp.fifo_cost(((lays, reserved.get((item_id, wh), ZERO)) for wh, lays in stores.items()), qty)
        value = result.value
        if result.shortfall > 0 and result.last_unit_cost is not None:
            with exact():
                value += result.shortfall * result.last_unit_cost
            notes.append(Problem(MSG_SHORTFALL, {"qty": result.shortfall, "item": codes.get(item_id, item_id)}))
        out[item_id] = dp.ratio(value, qty)
    return out


def _best_offer(session: Session, demand: dict[int, Decimal], on_date: date,
                notes: list[Problem]) -> dict[int, Decimal]:
    """The product matrix's best offer per item (one batched query)."""
    from app.services.purchasing import best_offers

    choices = best_offers(session, list(demand), on_date, dict(demand))
    return {i: c.price_base for i, c in choices.items() if c is not None and c.price_base is not None}


def unit_costs(session: Session, demand: dict[int, Decimal], source: str, on_date: date,
               notes: list[Problem]) -> dict[int, Decimal]:
    """Unit cost of every bought-in part, with fallbacks to the standard cost noted."""
    if source not in COST_SOURCES:
        raise DomainError(MSG_UNKNOWN_SOURCE, source=source)
    rows = session.execute(select(Item.id, Item.code, Item.kind).where(Item.id.in_(sorted(demand)))).all()
    codes = {i: code for i, code, _ in rows}
    # a service (a licence, a firmware package) has no stock: its standard cost is its cost, no note needed
    services = {i for i, _, kind in rows if kind == "service"}
    ids = set(demand) - services
    demand = {i: q for i, q in demand.items() if i not in services}
    if source == SOURCE_FIFO:
        costs = _fifo(session, demand, codes, notes)
    elif source == SOURCE_AVERAGE:
        costs = eng._average(session, ids, None) if ids else {}
    elif source == SOURCE_LAST_PURCHASE:
        costs = _last_receipt(session, ids)
    elif source == SOURCE_BEST_OFFER:
        costs = _best_offer(session, demand, on_date, notes)
    else:
        costs = _standard(session, ids)
    missing = ids - set(costs)
    if missing and source != SOURCE_STANDARD:
        standard = _standard(session, missing)
        for item_id in sorted(missing, key=lambda i: codes.get(i, "")):
            if item_id in standard:
                costs[item_id] = standard[item_id]
                notes.append(Problem(MSG_FALLBACK, {"item": codes.get(item_id, item_id)}))
        missing -= set(standard)
    if services:
        standard = _standard(session, services)
        costs.update(standard)
        missing |= services - set(standard)
    for item_id in sorted(missing, key=lambda i: codes.get(i, "")):
        notes.append(Problem(MSG_NO_COST, {"item": codes.get(item_id, item_id)}))
    return costs


# --- lines -------------------------------------------------------------------------------------


def _leaf_demand(book: dict[int, dbom.BomSpec], demands: Iterable[Demand]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    with exact():
        for d in demands:
            if d.item_id is None or d.fixed_unit_cost is not None or d.qty <= 0:
                continue
            if d.item_id in book:
                for item, qty in dbom.explode(book, d.item_id, d.qty).leaves().items():
                    out[item] += qty
            else:
                out[d.item_id] += d.qty
    return dict(out)


def cost_demands(session: Session, demands: list[Demand], source: str, on_date: date | None = None) -> Costing:
    """Cost every line: parts by the source, nodes rolled up through their BOMs with routing labour."""
    on_date = on_date or date.today()
    result = Costing(source)
    item_ids = {d.item_id for d in demands if d.item_id is not None and d.fixed_unit_cost is None}
    book = load_books(session, item_ids, on_date) if item_ids else {}
    leaf = _leaf_demand(book, demands)
    result.unit_costs = unit_costs(session, leaf, source, on_date, result.notes)
    labour = routing_labour(session, set(book), on_date)
    with exact():
        for d in demands:
            if d.fixed_unit_cost is not None or d.item_id is None:
                result.lines[d.key] = LineCost(d.key, d.qty * (d.fixed_unit_cost or ZERO))
            elif d.item_id in book:
                node = dbom.roll_up(book, d.item_id, d.qty, result.unit_costs, labour)
                labour_total = sum((n.labour for n in node.walk()), ZERO)
                parts = [NodePart(c.item, c.qty, c.total, bool(c.children)) for c in node.children]
                result.lines[d.key] = LineCost(d.key, node.total, labour_total, True, parts)
            else:
                result.lines[d.key] = LineCost(d.key, d.qty * result.unit_costs.get(d.item_id, ZERO))
    return result


def item_group_chains(session: Session, item_ids: set[int]) -> dict[int, list[int]]:
    """Each item's group and its ancestors (nearest first), for the pricing rules: two queries."""
    from app.models.catalog import ItemGroup

    if not item_ids:
        return {}
    groups = dict(session.execute(select(Item.id, Item.group_id).where(Item.id.in_(sorted(item_ids)))).all())
    parents = dict(session.execute(select(ItemGroup.id, ItemGroup.parent_id)).all()) if any(groups.values()) else {}
    out = {}
    for item_id, gid in groups.items():
        chain: list[int] = []
        while gid is not None and gid not in chain and len(chain) < 32:
            chain.append(gid)
            gid = parents.get(gid)
        out[item_id] = chain
    return out

