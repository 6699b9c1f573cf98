"""Bills of materials as pure Decimal arithmetic: cycles, multi-level explosion, where-used, cost roll-up.

A BOM says what one batch of an item (`output_qty` units, usually 1) is made of; a component that
has a BOM of its own is a node, so BOMs nest to any depth. This module never touches the database:
services load the BOMs that are active on a date into a `BomBook` (item -> BomSpec) and call these
functions; views and reports show what they return.

Quantities are exact: each level multiplies by `qty / output_qty` and by `1 + scrap% / 100` in a
60-digit context and nothing is rounded until a caller posts or prints a figure (round_qty), so the
totals of a deep explosion are the sum of their levels to the last digit.

By-product lines (a flag, or a negative quantity when entered) come out of production instead of
going in; they are listed apart and never exploded further. Cycle checks ignore them, because a
by-product does not make its parent consume anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, localcontext

from app.domain.errors import DomainError, Problem
from app.domain.money import MONEY_Q, ZERO, round_money

Item = Hashable
HUNDRED = Decimal(100)
_PRECISION = 60
MAX_DEPTH = 64  # a real product tree is never this deep; deeper means a cycle got past validation

MSG_CYCLE = "This line would create a cycle: %(path)s"
MSG_CYCLE_FOUND = "The bills of materials contain a cycle: %(path)s"
MSG_QTY = "The quantity of a component must be a non-zero number"
MSG_OUTPUT_QTY = "The output quantity of a bill of materials must be positive"
MSG_SCRAP = "Scrap must be between 0 and 100%%"
MSG_TOO_DEEP = "The bills of materials are nested deeper than %(depth)s levels"


@dataclass(frozen=True)
class BomLineSpec:
    """One component (or by-product) of a BOM, in the component's base unit, per `output_qty` of the parent."""

    component: Item
    qty: Decimal
    scrap_pct: Decimal = ZERO
    byproduct: bool = False
    line_no: int | None = None


@dataclass(frozen=True)
class BomSpec:
    """What `output_qty` units of `item` are made of."""

    item: Item
    lines: tuple[BomLineSpec, ...]
    output_qty: Decimal = Decimal(1)
    bom_id: Hashable = None


BomBook = Mapping[Item, BomSpec]


def normalise_line(qty: Decimal, byproduct: bool) -> tuple[Decimal, bool]:
    """A negative quantity means a by-product: store it as a positive quantity with the flag set."""
    if qty < 0:
        return -qty, True
    return qty, byproduct


def line_problems(qty: Decimal | None, scrap_pct: Decimal | None, line: int | None = None) -> list[Problem]:
    """What is wrong with a BOM line's numbers (zero or missing quantity, scrap outside 0..100)."""
    problems = []
    if qty is None or not qty.is_finite() or qty == 0:
        problems.append(Problem(MSG_QTY, line=line))
    if scrap_pct is not None and (not scrap_pct.is_finite() or scrap_pct < 0 or scrap_pct >= HUNDRED):
        problems.append(Problem(MSG_SCRAP, line=line))
    return problems


def gross_qty(line: BomLineSpec, parent_qty: Decimal, output_qty: Decimal = Decimal(1)) -> Decimal:
    """Quantity of the line's component for `parent_qty` units of the parent, scrap included, exact."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        qty = parent_qty * line.qty / output_qty
        if line.scrap_pct:
            qty = qty * (HUNDRED + line.scrap_pct) / HUNDRED
        return +qty


# --- cycles ------------------------------------------------------------------------------------


def edges_of(book: BomBook | Iterable[BomSpec]) -> dict[Item, set[Item]]:
    """parent -> the components it consumes (by-products left out)."""
    specs = book.values() if isinstance(book, Mapping) else book
    graph: dict[Item, set[Item]] = defaultdict(set)
    for spec in specs:
        graph[spec.item].update(ln.component for ln in spec.lines if not ln.byproduct)
    return graph


def path_between(graph: Mapping[Item, Iterable[Item]], start: Item, goal: Item) -> list[Item] | None:
    """A path start -> ... -> goal along the edges (breadth first: the shortest), or None."""
    if start == goal:
        return [start]
    previous: dict[Item, Item] = {start: start}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in graph.get(node, ()):
                if nxt in previous:
                    continue
                previous[nxt] = node
                if nxt == goal:
                    return _unwind(previous, start, goal)
                following.append(nxt)
        frontier = following
    return None


def _unwind(previous: Mapping[Item, Item], start: Item, goal: Item) -> list[Item]:
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def cycle_if_added(graph: Mapping[Item, Iterable[Item]], parent: Item, component: Item) -> list[Item] | None:
    """The cycle that a new line `parent -> component` would close, as [parent, component, ..., parent].

    A -> A gives [A, A]; with B -> A already there, A -> B gives [A, B, A].
    """
    back = path_between(graph, component, parent)
    return None if back is None else [parent, *back]


def find_cycle(graph: Mapping[Item, Iterable[Item]]) -> list[Item] | None:
    """Any cycle among the edges, as [a, b, ..., a]; None when the BOMs form a DAG."""
    state: dict[Item, int] = {}  # 1: on the current path, 2: finished
    for root in list(graph):
        if state.get(root):
            continue
        stack: list[tuple[Item, list[Item]]] = [(root, list(graph.get(root, ())))]
        path = [root]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, list(graph.get(nxt, ()))))
    return None


# --- explosion ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplosionRow:
    """One component at one place in the tree: `qty` of it for the exploded quantity of the top item."""

    level: int  # 1: direct components of the top item
    path: tuple[Item, ...]  # top item ... parent
    component: Item
    qty_per_parent: Decimal  # per one unit of the parent, scrap included
    qty: Decimal  # for the whole exploded quantity, scrap of every level included
    scrap_pct: Decimal
    byproduct: bool
    has_bom: bool
    line_no: int | None = None

    @property
    def parent(self) -> Item:
        return self.path[-1]


@dataclass
class Explosion:
    """A multi-level explosion: every row, and the totals that purchasing and the stores need."""

    item: Item
    qty: Decimal
    rows: list[ExplosionRow] = field(default_factory=list)

    def leaves(self) -> dict[Item, Decimal]:
        """Total of each bought-in component (no BOM of its own): what has to be on the shelf."""
        return _sum(r for r in self.rows if not r.has_bom and not r.byproduct)

    def by_level(self) -> dict[int, dict[Item, Decimal]]:
        """level -> component -> total consumed at that level."""
        out: dict[int, dict[Item, Decimal]] = {}
        for level in sorted({r.level for r in self.rows}):
            out[level] = _sum(r for r in self.rows if r.level == level and not r.byproduct)
        return out

    def gross(self) -> dict[Item, Decimal]:
        """Total of every component over all levels, nodes included (gross requirement)."""
        return _sum(r for r in self.rows if not r.byproduct)

    def byproducts(self) -> dict[Item, Decimal]:
        return _sum(r for r in self.rows if r.byproduct)

    @property
    def depth(self) -> int:
        return max((r.level for r in self.rows), default=0)


def _sum(rows: Iterable[ExplosionRow]) -> dict[Item, Decimal]:
    out: dict[Item, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for r in rows:
            out[r.component] = out.get(r.component, ZERO) + r.qty
    return out


def explode(book: BomBook, item: Item, qty: Decimal, max_levels: int | None = None) -> Explosion:
    """Explode `qty` of `item` through every level of the book (or `max_levels` of them).

    Rows come depth first in line order, the way a printed multi-level BOM reads. A component
    reached twice by different paths appears twice, each with its own quantity.
    """
    result = Explosion(item, qty)
    limit = MAX_DEPTH if max_levels is None else min(max_levels, MAX_DEPTH)
    _explode_into(book, item, qty, (item,), 1, limit, result.rows)
    return result


def _explode_into(book: BomBook, item: Item, qty: Decimal, path: tuple, level: int, limit: int,
                  rows: list[ExplosionRow]) -> None:
    spec = book.get(item)
    if spec is None:
        return
    if level > limit:
        if limit == MAX_DEPTH:
            raise DomainError(MSG_TOO_DEEP, depth=MAX_DEPTH)
        return
    for line in spec.lines:
        per_parent = gross_qty(line, Decimal(1), spec.output_qty)
        total = gross_qty(line, qty, spec.output_qty)
        nested = not line.byproduct and line.component in book
        rows.append(ExplosionRow(level, path, line.component, per_parent, total, line.scrap_pct, line.byproduct,
                                 nested, line.line_no))
        if nested:
            _explode_into(book, line.component, total, (*path, line.component), level + 1, limit, rows)


# --- where used --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhereUsedRow:
    """`item` uses `qty_per_unit` of the component (through `path`, scrap included) at `level` above it."""

    level: int
    item: Item
    path: tuple[Item, ...]  # component ... item
    qty_per_unit: Decimal
    top: bool  # nothing uses `item` in turn: a finished product


def where_used(book: BomBook, component: Item) -> list[WhereUsedRow]:
    """Every item that consumes `component`, directly (level 1) or through nodes (level 2, 3, ...)."""
    parents: dict[Item, list[tuple[Item, BomSpec, BomLineSpec]]] = defaultdict(list)
    for spec in book.values():
        for ln in spec.lines:
            if not ln.byproduct:
                parents[ln.component].append((spec.item, spec, ln))
    rows: list[WhereUsedRow] = []
    stack = [(component, (component,), Decimal(1), 1)]
    while stack:
        node, path, per_unit, level = stack.pop()
        if level > MAX_DEPTH:
            raise DomainError(MSG_TOO_DEEP, depth=MAX_DEPTH)
        for parent, spec, ln in sorted(parents.get(node, []), key=lambda p: str(p[0]), reverse=True):
            with localcontext() as ctx:
                ctx.prec = _PRECISION
                qty = per_unit * gross_qty(ln, Decimal(1), spec.output_qty)
            new_path = (*path, parent)
            rows.append(WhereUsedRow(level, parent, new_path, qty, not parents.get(parent)))
            stack.append((parent, new_path, qty, level + 1))
    return rows


# --- cost roll-up ------------------------------------------------------------------------------


@dataclass
class CostNode:
    """The cost of `qty` of `item` at `level`: its own material (children), its own labour, the total."""

    level: int
    item: Item
    qty: Decimal
    unit_cost: Decimal = ZERO  # per unit, exact (material + labour), or the leaf's known cost
    material: Decimal = ZERO  # for `qty`, exact
    labour: Decimal = ZERO  # for `qty`, exact
    byproduct_credit: Decimal = ZERO  # for `qty`, exact: by-products valued at their cost
    known: bool = True  # False: a leaf without a cost under this method (counted as zero)
    children: list[CostNode] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.material + self.labour - self.byproduct_credit

    @property
    def total_money(self) -> Decimal:
        return round_money(self.total)

    def walk(self) -> Iterable[CostNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Labour:
    """A node's routing cost: `fixed` per batch (set-up) and `per_unit` (run), labour and overhead together."""

    fixed: Decimal = ZERO
    per_unit: Decimal = ZERO

    def for_qty(self, qty: Decimal) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            return self.fixed + self.per_unit * qty if qty else ZERO


def roll_up(book: BomBook, item: Item, qty: Decimal, unit_costs: Mapping[Item, Decimal],
            labour: Mapping[Item, Labour] | None = None) -> CostNode:
    """Cost of `qty` of `item`: bought-in parts at `unit_costs`, nodes at the sum of their parts plus labour.

    A node's own entry in `unit_costs` is ignored (its cost is what it is made of); a leaf missing
    from `unit_costs` costs zero and is marked unknown, so a report can say which prices are missing.
    Each node's set-up is charged once for the quantity of it that the top quantity needs.
    """
    return _roll(book, item, qty, 0, unit_costs, labour or {}, ())


def _roll(book: BomBook, item: Item, qty: Decimal, level: int, costs: Mapping[Item, Decimal],
          labour: Mapping[Item, Labour], path: tuple) -> CostNode:
    if len(path) > MAX_DEPTH:
        raise DomainError(MSG_TOO_DEEP, depth=MAX_DEPTH)
    spec = book.get(item)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if spec is None:
            unit = costs.get(item)
            node = CostNode(level, item, qty, unit if unit is not None else ZERO, known=unit is not None)
            node.material = qty * node.unit_cost
            return node
        node = CostNode(level, item, qty)
        for line in spec.lines:
            child = _roll(book, line.component, gross_qty(line, qty, spec.output_qty), level + 1, costs, labour,
                          (*path, item))
            if line.byproduct:
                node.byproduct_credit += child.total
            else:
                node.material += child.total
            node.children.append(child)
        node.labour = labour[item].for_qty(qty) if item in labour else ZERO
        node.unit_cost = node.total / qty if qty else ZERO
        node.known = all(c.known for c in node.children)
        return node


# --- sharing a cost out ------------------------------------------------------------------------


def share_out(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split a money `total` in proportion to `weights`; the shares add up to `total` exactly.

    Each share but the last is cut down to money (never up, so the last share can't go negative)
    and the rounding remainder goes to the last line with a weight, so disassembly and
    conversion never create or lose a kopek.
    """
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise DomainError("Cost weights cannot be negative")
    weight_sum = sum(weights, ZERO)
    if weight_sum <= 0:
        raise DomainError("The cost cannot be shared out: every weight is zero")
    last = max(i for i, w in enumerate(weights) if w > 0)
    shares = []
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for w in weights:
            shares.append((total * w / weight_sum).quantize(MONEY_Q, rounding=ROUND_DOWN))
    shares[last] = total - (sum(shares, ZERO) - shares[last])
    return shares


# --- routing labour ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationTime:
    """One operation's minutes to charge and the hourly rates they are charged at."""

    setup_minutes: Decimal
    run_minutes: Decimal  # for the whole quantity
    labour_rate: Decimal  # per hour
    overhead_rate: Decimal  # per hour


def operations_cost(operations: Iterable[OperationTime]) -> tuple[Decimal, Decimal]:
    """(labour, overhead) of the operations in money, each rounded once from the exact sum."""
    labour = overhead = ZERO
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for op in operations:
            minutes = op.setup_minutes + op.run_minutes
            labour += minutes * op.labour_rate
            overhead += minutes * op.overhead_rate
        return round_money(labour / 60), round_money(overhead / 60)
