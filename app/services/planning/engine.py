"""The MRP engine: net requirements per week, exploded through BOMs, with pegging and capacity levelling.

Pure Decimal arithmetic on plain data (no database): app.services.planning.load fills a PlanData,
`plan` returns a PlanResult, app.services.planning.store writes the difference to the tables. Keeping
it pure is what makes 10,000 items x 5 levels x 52 weeks fit in seconds and lets a net-change run
recompute only the items an event touched (and everything below them) while reusing the previous
result for the rest.

Buckets are weeks (index 0 = the current week). Items are planned in low-level-code order (an item
after every parent that uses it), lot for lot: a week's shortage becomes one planned order whose
receipt is that week and whose start is `lead` weeks earlier (never before week 0: then it is late).
Supply is taken in time order (stock, then receipts as they arrive) by demand in time order, so
every planned quantity is pegged to the demands it serves; a component's pegs are its parent's pegs
carried down the BOM (same origins, quantities times the BOM line), so a purchase of processors says
which customer order or forecast it is for.

Capacity: made items load their work centres (setup + run x qty) in the start week. With levelling
on, an order that would overload a centre moves to the latest earlier week that has room for it
(work moved earlier, never later: the due date holds); if no week has room it stays and the week is
flagged overloaded.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, localcontext

from app.domain import bom as dbom

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MAKE, BUY = "make", "buy"
PARENT = "@"  # a peg to a parent planned order: "@<item>:<due week>"
STOCK = "stock"  # the peg of what a lot brings beyond the demand (minimum, pack)
MINUTES_PER_DAY = Decimal(480)
LEVEL_WEEKS = 4  # how far levelling may pull work earlier (stock held longer beyond that costs more)


@dataclass(frozen=True)
class Route:
    """A made item's work: minutes per work centre (setup once per order, run per unit)."""

    work_center_id: int
    setup: Decimal
    run: Decimal


@dataclass
class ItemData:
    """What the engine needs of one item."""

    id: int
    code: str = ""
    on_hand: Decimal = ZERO
    bom: dbom.BomSpec | None = None  # made when present
    routes: tuple[Route, ...] = ()
    buy_lead_days: int = 14
    min_qty: Decimal = ZERO
    pack_qty: Decimal | None = None
    supplier_id: int | None = None
    supplier_name: str = ""
    days_per_week: int = 5
    places: int = 4  # decimals of the item's unit: a planned lot of pieces is whole

    @property
    def made(self) -> bool:
        return self.bom is not None


@dataclass(frozen=True)
class Demand:
    """Gross demand of an item in a week, with its origin (an order number, "forecast", an MO)."""

    item_id: int
    week: int
    qty: Decimal
    origin: str


@dataclass(frozen=True)
class Receipt:
    """A scheduled receipt: an open production order, purchase order or purchase request line."""

    item_id: int
    week: int
    qty: Decimal
    ref: str


@dataclass
class PlanData:
    weeks: int
    items: dict[int, ItemData]
    demands: list[Demand] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    capacity: dict[int, list[Decimal]] = field(default_factory=dict)  # work centre -> minutes per week
    level: bool = True


@dataclass
class PlannedOrder:
    item_id: int
    kind: str
    due_week: int
    start_week: int
    qty: Decimal
    pegs: dict[str, Decimal]
    late: bool = False
    moved: int = 0  # weeks moved earlier by levelling

    def key(self) -> tuple[int, str, int]:
        return (self.item_id, self.kind, self.due_week)


@dataclass(frozen=True)
class Reschedule:
    """An open order (production, purchase, request line) due in `week` whose quantity is first needed in
    `need_week`: earlier means expedite it, later means it can wait; None: not needed in the horizon."""

    item_id: int
    ref: str
    week: int
    need_week: int | None


def reschedules(item: ItemData, demands: list[tuple[int, Decimal, str]], receipts: list[Receipt],
                weeks: int) -> list[Reschedule]:
    """Each scheduled receipt against the week the item's demand first needs it: stock goes first, then
    the receipts in their due order; a receipt is needed in the week the demand outgrows what came before it."""
    if not receipts:
        return []
    need = [ZERO] * weeks
    for week, qty, _ in demands:
        need[min(max(week, 0), weeks - 1)] += qty
    out, covered, cum, w = [], item.on_hand, ZERO, 0
    for r in sorted(receipts, key=lambda r: (r.week, r.ref)):
        while w < weeks and cum + need[w] <= covered:
            cum += need[w]
            w += 1
        need_week = w if w < weeks else None
        if need_week != r.week:
            out.append(Reschedule(item.id, r.ref, r.week, need_week))
        covered += r.qty
    return out


@dataclass
class PlanResult:
    weeks: int
    orders: dict[int, list[PlannedOrder]] = field(default_factory=dict)  # item -> its planned orders
    projected: dict[int, list[Decimal]] = field(default_factory=dict)  # item -> projected stock per week
    load: dict[int, list[Decimal]] = field(default_factory=dict)  # work centre -> minutes per week
    recomputed: int = 0
    structure: tuple | None = None  # (parents, low-level codes): reused by net-change runs
    messages: dict[int, list[Reschedule]] = field(default_factory=dict)  # item -> its reschedule messages
    dirty: set[int] | None = None  # the items recomputed by a net-change run (None: every item)

    def reschedule_messages(self) -> list[Reschedule]:
        return sorted((m for ms in self.messages.values() for m in ms), key=lambda m: (m.week, m.item_id, m.ref))

    def all_orders(self) -> list[PlannedOrder]:
        return [o for orders in self.orders.values() for o in orders]

    def overloaded(self, capacity: dict[int, list[Decimal]]) -> dict[int, list[int]]:
        """work centre -> the weeks whose load exceeds its available minutes."""
        out = {}
        for wc, load in self.load.items():
            cap = capacity.get(wc)
            weeks = [w for w, m in enumerate(load) if cap is not None and m > cap[w]]
            if weeks:
                out[wc] = weeks
        return out


# --- structure ---------------------------------------------------------------------------------------


def low_level_codes(items: dict[int, ItemData]) -> dict[int, int]:
    """item -> its deepest level in any BOM (0 for items nobody uses): parents always come first."""
    llc: dict[int, int] = {i: 0 for i in items}
    order = _topological(items)
    for item_id in order:
        spec = items[item_id].bom if item_id in items else None
        if spec is None:
            continue
        for ln in spec.lines:
            if not ln.byproduct:
                llc[ln.component] = max(llc.get(ln.component, 0), llc[item_id] + 1)
    return llc


def _topological(items: dict[int, ItemData]) -> list[int]:
    """Parents before components (Kahn); BOM cycles were refused when the BOMs were saved."""
    indegree: dict[int, int] = defaultdict(int)
    for it in items.values():
        if it.bom is not None:
            for ln in it.bom.lines:
                if not ln.byproduct:
                    indegree[ln.component] += 1
    ready = [i for i in items if indegree[i] == 0]
    out = []
    while ready:
        i = ready.pop()
        out.append(i)
        it = items.get(i)
        if it is None or it.bom is None:
            continue
        for ln in it.bom.lines:
            if not ln.byproduct:
                indegree[ln.component] -= 1
                if indegree[ln.component] == 0:
                    ready.append(ln.component)
    return out


def parents_of(items: dict[int, ItemData]) -> dict[int, list[tuple[int, Decimal]]]:
    """component -> (parent, quantity per unit of the parent, scrap included) for every BOM line: where an
    item's dependent demand comes from. The factor is exact to 40 digits (gross_qty of one unit)."""
    out: dict[int, list] = defaultdict(list)
    for it in items.values():
        if it.bom is not None:
            for ln in it.bom.lines:
                if not ln.byproduct:
                    out[ln.component].append((it.id, dbom.gross_qty(ln, Decimal(1), it.bom.output_qty)))
    return out


def parent_ref(parent_id: int, due_week: int) -> str:
    """The peg of a component to its parent's planned order."""
    return f"{PARENT}{parent_id}:{due_week}"


def parse_parent(origin: str) -> tuple[int, int] | None:
    if not origin.startswith(PARENT):
        return None
    item, _, week = origin[len(PARENT):].partition(":")
    return int(item), int(week)


def trace(result: PlanResult, item_id: int, due_week: int) -> dict[str, Decimal]:
    """The top-level origins (orders, forecast, open MOs, stock) a planned order serves, in the order's
    own units: each peg to a parent order is shared out along that parent's origins in proportion.
    The pegging drill-down; the values add up to the order's quantity."""
    order = _order_at(result, item_id, due_week)
    if order is None:
        return {}
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for origin, q in order.pegs.items():
        parent = parse_parent(origin)
        parent_order = _order_at(result, *parent) if parent else None
        if parent is None or parent_order is None or not parent_order.qty:
            out[origin] += q
            continue
        for top, tq in trace(result, *parent).items():
            out[top] += q * tq / parent_order.qty
    return dict(out)


def _order_at(result: PlanResult, item_id: int, due_week: int) -> PlannedOrder | None:
    return next((o for o in result.orders.get(item_id, ()) if o.due_week == due_week), None)


def below(items: dict[int, ItemData], roots: Iterable[int]) -> set[int]:
    """The items and every component under them: what a change to `roots` can affect."""
    out: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in out:
            continue
        out.add(i)
        it = items.get(i)
        if it is not None and it.bom is not None:
            stack.extend(ln.component for ln in it.bom.lines if not ln.byproduct)
    return out


# --- lead times and lots -----------------------------------------------------------------------------


def work_minutes(item: ItemData, qty: Decimal) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for r in item.routes:
        out[r.work_center_id] = out.get(r.work_center_id, ZERO) + r.setup + r.run * qty
    return out


def lead_weeks(item: ItemData, qty: Decimal, minutes: dict[int, Decimal] | None = None) -> int:
    """Weeks between start and receipt: routing days (at least one) over working days a week for a made
    item, the supplier's lead time in calendar weeks for a bought one."""
    if item.made:
        total = sum((minutes if minutes is not None else work_minutes(item, qty)).values(), ZERO)
        days = max(1, math.ceil(total / MINUTES_PER_DAY))
        return math.ceil(days / max(item.days_per_week, 1))
    return math.ceil(item.buy_lead_days / 7)


_QUANTA = tuple(Decimal(1).scaleb(-p) for p in range(5))  # a lot's step by its unit's decimals


def lot_size(item: ItemData, need: Decimal) -> Decimal:
    """Lot for lot; a bought item rounded up to the supplier's minimum and pack."""
    qty = need.quantize(_QUANTA[min(max(item.places, 0), 4)], rounding=ROUND_CEILING)
    if item.made:
        return qty
    qty = max(qty, item.min_qty or ZERO)
    if item.pack_qty and item.pack_qty > 0:
        packs = (qty / item.pack_qty).to_integral_value(rounding=ROUND_CEILING)
        qty = packs * item.pack_qty
    return qty


# --- the plan ----------------------------------------------------------------------------------------


class _Planner:
    def __init__(self, data: PlanData, previous: PlanResult | None):
        self.data = data
        self.previous = previous
        self.result = PlanResult(weeks=data.weeks)
        structure = previous.structure if previous is not None and previous.structure else None
        self.parents = structure[0] if structure else parents_of(data.items)
        self.llc = structure[1] if structure else low_level_codes(data.items)
        self.demand: dict[int, list[Demand]] = defaultdict(list)
        for d in data.demands:
            self.demand[d.item_id].append(d)
        self.receipts: dict[int, list[Receipt]] = defaultdict(list)
        for r in data.receipts:
            self.receipts[r.item_id].append(r)
        self.load: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * data.weeks)

    def orders_of(self, item_id: int) -> list[PlannedOrder]:
        got = self.result.orders.get(item_id)
        if got is None and self.previous is not None:
            got = self.previous.orders.get(item_id, [])
        return got or []

    def dependent(self, item_id: int) -> list[tuple[int, Decimal, str]]:
        """The item's demand from its parents' planned orders, at their start weeks, each pegged to the
        parent's order (single-level pegging: `trace` follows it up to the customer orders)."""
        out = []
        for parent_id, factor in self.parents.get(item_id, ()):
            for po in self.orders_of(parent_id):
                out.append((po.start_week, po.qty * factor, parent_ref(parent_id, po.due_week)))
        return out

    def plan_item(self, item: ItemData) -> None:
        weeks = self.data.weeks
        demands = [(d.week, d.qty, d.origin) for d in self.demand.get(item.id, ())] + self.dependent(item.id)
        demands.sort(key=lambda d: d[0])
        incoming = [ZERO] * weeks
        for r in self.receipts.get(item.id, ()):
            incoming[min(max(r.week, 0), weeks - 1)] += r.qty
        placed: list[PlannedOrder] = []
        projected = [ZERO] * weeks
        pool, di = item.on_hand, 0
        for w in range(weeks):
            pool += incoming[w]
            po = None
            while di < len(demands) and demands[di][0] <= w:
                _, qty, origin = demands[di]
                di += 1
                take = min(max(pool, ZERO), qty)
                pool -= take
                short = qty - take
                if short <= 0:
                    continue
                if po is None:
                    po = PlannedOrder(item.id, MAKE if item.made else BUY, w, w, ZERO, {})
                po.pegs[origin] = po.pegs.get(origin, ZERO) + short
                po.qty += short
            if po is not None:
                self.close(item, po)
                pool += po.pegs.get(STOCK, ZERO)  # what the lot brings beyond the need
                placed.append(po)
            projected[w] = pool
        self.result.orders[item.id] = placed
        self.result.projected[item.id] = projected
        self.result.messages[item.id] = reschedules(item, demands, self.receipts.get(item.id, []), weeks)

    def close(self, item: ItemData, po: PlannedOrder) -> None:
        """Size the week's order (lot, minimum, pack: the extra is pegged to stock), offset its start by the
        lead time and book its work."""
        lot = lot_size(item, po.qty)
        if lot > po.qty:
            po.pegs[STOCK] = lot - po.qty
        po.qty = lot
        need = work_minutes(item, lot) if item.routes else {}
        start = po.due_week - lead_weeks(item, lot, need)
        po.late = start < 0
        po.start_week = max(start, 0)
        if need:
            self.place(po, need)

    def place(self, po: PlannedOrder, need: dict[int, Decimal]) -> None:
        """Book the order's work; with levelling, move it to the latest earlier week with room."""
        if self.data.level and not self._fits(need, po.start_week):
            for w in range(po.start_week - 1, max(po.start_week - LEVEL_WEEKS, 0) - 1, -1):
                if self._fits(need, w):
                    po.moved = po.start_week - w
                    po.start_week = w
                    break
        for wc, minutes in need.items():
            self.load[wc][po.start_week] += minutes

    def _fits(self, need: dict[int, Decimal], week: int) -> bool:
        cap = self.data.capacity
        for wc, m in need.items():
            c = cap.get(wc)
            if c is not None and self.load[wc][week] + m > c[week]:
                return False
        return True

    def preload(self, dirty: set[int]) -> None:
        """Start from the previous load less the work of the items about to be recomputed."""
        for wc, minutes in self.previous.load.items():
            self.load[wc] = list(minutes)
        for item_id in dirty:
            item = self.data.items[item_id]
            if not item.routes:
                continue
            for po in self.previous.orders.get(item_id, ()):
                for wc, minutes in work_minutes(item, po.qty).items():
                    self.load[wc][po.start_week] -= minutes


def plan(data: PlanData, previous: PlanResult | None = None, changed: Iterable[int] | None = None) -> PlanResult:
    """The plan; with `previous` and `changed` (items whose demand, stock or receipts changed) only those
    items and everything below them are recomputed, the rest is taken from `previous`."""
    planner = _Planner(data, previous if changed is not None else None)
    items = data.items
    dirty = set(items) if changed is None or previous is None else below(items, changed)
    if dirty is not None and len(dirty) < len(items):
        planner.preload(dirty)
        planner.result.orders = {i: o for i, o in previous.orders.items() if i not in dirty}
        planner.result.projected = {i: p for i, p in previous.projected.items() if i not in dirty}
        planner.result.messages = {i: m for i, m in previous.messages.items() if i not in dirty}
    llc = planner.llc
    with localcontext() as ctx:
        ctx.prec = 40
        for item_id in sorted(dirty, key=lambda i: (llc.get(i, 0), i)):
            planner.plan_item(items[item_id])
    planner.result.load = dict(planner.load)
    planner.result.recomputed = len(dirty)
    planner.result.dirty = dirty if len(dirty) < len(items) else None
    planner.result.structure = (planner.parents, llc)
    return planner.result


def pegging_totals(result: PlanResult) -> dict[str, Decimal]:
    """origin -> planned quantity pegged to it over all items (a check: pegs always add up to the orders)."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for po in result.all_orders():
        for origin, q in po.pegs.items():
            out[origin] += q
    return dict(out)
