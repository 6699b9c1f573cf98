"""Engineering data as the use cases see it: BOM and routing versions, cycle checks, explosion, cost roll-up.

Saving a BOM line is refused when it would close a cycle (the message names the path) or when
its numbers are wrong; two active versions of one item may not be valid on the same day, so "the
BOM of X on date D" always has one answer. The BOMs in force on a date are loaded level by level
into a pure BomBook (app.domain.bom), which does the explosion, where-used and roll-up arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Date, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from app.domain import bom as dbom
from app.domain.errors import Collector, DomainError, Problem
from app.domain.money import ZERO, exact, parse_quantity
from app.models.catalog import Item, UnitConversion
from app.models.core import Unit
from app.models.production import Bom, BomLine, Routing, RoutingOperation
from app.models.stock import StockBalance, StockLot, Warehouse
from app.services.base import is_postgres, unit_of_work

COST_STANDARD = "standard"
COST_LAST_PURCHASE = "last_purchase"
COST_FIFO = "fifo"
COST_AVERAGE = "average"
COST_METHODS = (COST_STANDARD, COST_LAST_PURCHASE, COST_FIFO, COST_AVERAGE)


@dataclass
class BomLineInput:
    """A BOM line as a user or API sends it; a negative quantity means a by-product."""

    item_id: int | None
    qty: object
    unit_code: str | None = None
    scrap_pct: object = None
    is_byproduct: bool = False
    note: str = ""


@dataclass
class VersionInput:
    """What a BOM and a routing version have alike: the item, its version label, the dates it is valid."""

    item_id: int | None
    version: str = "1"
    name: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True
    note: str = ""


@dataclass
class BomInput(VersionInput):
    output_qty: object = "1"
    lines: list[BomLineInput] = field(default_factory=list)


# --- versions in force -------------------------------------------------------------------------


def _in_force(model, on_date: date):
    return and_(model.active.is_(True), or_(model.valid_from.is_(None), model.valid_from <= on_date),
                or_(model.valid_to.is_(None), model.valid_to >= on_date))


def _newest(rows):
    """Of several versions valid on the date, the one that started last (validation prevents ties)."""
    best: dict[int, object] = {}
    for row in rows:
        cur = best.get(row.item_id)
        if cur is None or (row.valid_from or date.min, row.id) > (cur.valid_from or date.min, cur.id):
            best[row.item_id] = row
    return best


@cache
def _in_force_stmts(model) -> tuple:
    """The versions of one item / of many items in force on :on_date, built once per model (on first use,
    once the mappers are configured): building the condition per call cost more than running it."""
    cond = _in_force(model, bindparam("on_date", type_=Date()))
    return (select(model).where(model.item_id == bindparam("item_id"), cond),
            select(model).where(model.item_id.in_(bindparam("ids", expanding=True)), cond))


def _versions_in_force(session: Session, model, item_ids: set[int], on_date: date | None) -> dict[int, Any]:
    one, many = _in_force_stmts(model)
    on_date = on_date or date.today()
    if len(item_ids) == 1:
        return _newest(session.scalars(one, {"item_id": next(iter(item_ids)), "on_date": on_date}))
    return _newest(session.scalars(many, {"ids": sorted(item_ids), "on_date": on_date}))


def active_boms(session: Session, item_ids: set[int], on_date: date | None = None) -> dict[int, Bom]:
    """item -> its BOM version in force on the date, for the items that have one."""
    if not item_ids:
        return {}
    return _versions_in_force(session, Bom, item_ids, on_date)


def active_bom(session: Session, item_id: int, on_date: date | None = None) -> Bom | None:
    return active_boms(session, {item_id}, on_date).get(item_id)


def active_routing(session: Session, item_id: int, on_date: date | None = None) -> Routing | None:
    return _versions_in_force(session, Routing, {item_id}, on_date).get(item_id)


def _overlaps(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    return (a_from or date.min) <= (b_to or date.max) and (b_from or date.min) <= (a_to or date.max)


def _item_id(obj) -> int | None:
    """The item of a BOM / routing / line being edited: a form sets the relationship before the key."""
    item = getattr(obj, "item", None)
    return item.id if item is not None else obj.item_id


def version_problems(session: Session, model, obj) -> list[Problem]:
    """Dates in order, and no other active version of the item valid on any of the same days."""
    problems = []
    if obj.valid_from and obj.valid_to and obj.valid_to < obj.valid_from:
        problems.append(Problem("The end of validity is before its start", field="valid_to"))
    item_id = _item_id(obj)
    if not obj.active or item_id is None:
        return problems
    others = session.scalars(select(model).where(model.item_id == item_id, model.active.is_(True),
                                                 model.id != (obj.id or -1)))
    for other in others:
        if _overlaps(obj.valid_from, obj.valid_to, other.valid_from, other.valid_to):
            problems.append(Problem("Version %(version)s of this item is valid on some of the same days",
                                    {"version": other.version}, field="valid_from"))
    return problems


# --- cycles and line checks --------------------------------------------------------------------


def _components_of(session: Session, parents: set[int], skip_line_id: int | None) -> dict[int, set[int]]:
    stmt = (select(Bom.item_id, BomLine.item_id).join(BomLine, BomLine.bom_id == Bom.id)
            .where(Bom.item_id.in_(sorted(parents)), BomLine.is_byproduct.is_(False)))
    if skip_line_id is not None:
        stmt = stmt.where(BomLine.id != skip_line_id)
    out: dict[int, set[int]] = defaultdict(set)
    for parent, component in session.execute(stmt):
        out[parent].add(component)
    return out


def reachable_graph(session: Session, start: int, skip_line_id: int | None = None) -> dict[int, set[int]]:
    """The BOM edges (every version) reachable from `start`, loaded one level per query."""
    graph: dict[int, set[int]] = {}
    frontier = {start}
    while frontier:
        level = _components_of(session, frontier, skip_line_id)
        for parent in frontier:
            graph[parent] = level.get(parent, set())
        frontier = {c for cs in level.values() for c in cs} - set(graph)
    return graph


def _codes(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(Item.id, Item.code).where(Item.id.in_(set(ids)))).all())


BOM_STRUCTURE_LOCK = 0x46414242  # the advisory lock key every BOM structure change takes ("FABB")


def lock_bom_structure(session: Session) -> None:
    """Serialise BOM structure changes until the transaction ends; the cycle check runs after it.

    Two users adding D -> E and E -> D at once each found no cycle in what was committed and both
    saved one. On PostgreSQL a transaction-level advisory lock queues the second until the first
    commits (READ COMMITTED: its check then sees the first's line); on SQLite every transaction
    already holds the database's write lock from its first statement (app/database.py).
    """
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOM_STRUCTURE_LOCK})


def cycle_problem(session: Session, parent_id: int, component_id: int, line_id: int | None = None,
                  line_no: int | None = None) -> Problem | None:
    """The problem of a line parent -> component that would close a cycle (A -> B -> A), with its path."""
    lock_bom_structure(session)
    graph = reachable_graph(session, component_id, skip_line_id=line_id)
    path = dbom.cycle_if_added(graph, parent_id, component_id)
    if path is None:
        return None
    codes = _codes(session, path)
    return Problem(dbom.MSG_CYCLE, {"path": " → ".join(codes.get(i, str(i)) for i in path)}, line=line_no)


def check_line(session: Session, bom: Bom, component_id: int | None, qty: Decimal | None, scrap: Decimal | None,
               byproduct: bool = False, line_id: int | None = None, line_no: int | None = None) -> list[Problem]:
    """Every problem of one BOM line: item missing, numbers out of range, a cycle."""
    problems = dbom.line_problems(qty, scrap, line_no)
    if component_id is None:
        return [Problem("Choose an item", line=line_no), *problems]
    item = session.get(Item, component_id)
    if item is not None and item.kind == "service":
        problems.append(Problem("%(item)s is a service and has no stock", {"item": item.code}, line=line_no))
    if not byproduct and bom.item_id is not None:
        cycle = cycle_problem(session, bom.item_id, component_id, line_id, line_no)
        if cycle is not None:
            problems.append(cycle)
    if not problems:
        _mark_for_planning(session, bom.item_id, component_id)
    return problems


def _mark_for_planning(session: Session, *item_ids: int | None) -> None:
    """A BOM's structure changes: the next material plan looks at its item and components again."""
    from app.services.planning import dirty

    dirty.mark(session, item_ids, dirty.BOM)


def validate_line(session: Session, line: BomLine) -> None:
    """Normalise a by-product entered as a negative quantity, then raise every problem of the line.

    A form sets relationships (line.item), not foreign keys, and the keys follow only at the next
    flush, so the ids are read from the related objects first.
    """
    if line.qty is not None:
        line.qty, line.is_byproduct = dbom.normalise_line(line.qty, bool(line.is_byproduct))
    if line.scrap_pct is None:
        line.scrap_pct = ZERO
    bom = line.bom if line.bom is not None else session.get(Bom, line.bom_id)
    if bom is None:
        raise DomainError("Choose the bill of materials")
    component_id = _item_id(line)
    unit_id = line.unit.id if line.unit is not None else line.unit_id
    problems = check_line(session, bom, component_id, line.qty, line.scrap_pct, line.is_byproduct, line.id)
    if unit_id and component_id and not unit_factor(session, component_id, unit_id):
        problems.append(Problem("Unit %(unit)s is not defined for %(item)s",
                                {"unit": line.unit.code if line.unit else "?",
                                 "item": line.item.code if line.item else component_id}))
    if problems:
        raise DomainError(problems)


def validate_bom(session: Session, bom: Bom) -> None:
    """Versions, output quantity, and (when the item of a saved BOM changes) cycles through its lines."""
    problems = version_problems(session, Bom, bom)
    if bom.output_qty is None or bom.output_qty <= 0:
        problems.append(Problem(dbom.MSG_OUTPUT_QTY, field="output_qty"))
    item_id = _item_id(bom)
    if bom.id is not None and item_id is not None:
        lines = session.execute(select(BomLine.item_id, BomLine.line_no).where(
            BomLine.bom_id == bom.id, BomLine.is_byproduct.is_(False)).order_by(BomLine.line_no)).all()
        for component, line_no in lines:
            cycle = cycle_problem(session, item_id, component, line_no=line_no)
            if cycle is not None:
                problems.append(cycle)
    if problems:
        raise DomainError(problems)
    _mark_for_planning(session, item_id)


def validate_routing(session: Session, routing: Routing) -> None:
    problems = version_problems(session, Routing, routing)
    if problems:
        raise DomainError(problems)


def validate_operation(op: RoutingOperation) -> None:
    problems = Collector()
    if not (op.name or "").strip():
        problems.add("Give the operation a name", field="name")
    for name in ("setup_minutes", "run_minutes"):
        value = getattr(op, name)
        if value is None:
            setattr(op, name, ZERO)
        elif value < 0:
            problems.add("Times cannot be negative", field=name)
    if op.work_center_id is None and op.work_center is None:
        problems.add("Choose a work centre", field="work_center")
    problems.raise_if_any()


# --- creating BOMs (API, demo, tests) ----------------------------------------------------------


def _parse_line(session: Session, raw: BomLineInput, n: int, units: dict[str, Unit], problems: Collector) -> BomLine:
    qty, err = parse_quantity(raw.qty)
    if err:
        problems.add(err, line=n, field="qty", value=raw.qty, places=6)
    scrap = ZERO
    if raw.scrap_pct not in (None, ""):
        scrap, err = parse_quantity(raw.scrap_pct)
        if err:
            problems.add(err, line=n, field="scrap_pct", value=raw.scrap_pct, places=6)
            scrap = ZERO
    unit = units.get(raw.unit_code) if raw.unit_code else None
    if raw.unit_code and unit is None:
        problems.add("Unknown unit %(unit)s", line=n, unit=raw.unit_code)
    byproduct = raw.is_byproduct
    if qty is not None:
        qty, byproduct = dbom.normalise_line(qty, byproduct)
    return BomLine(line_no=n, item_id=raw.item_id, qty=qty, unit_id=unit.id if unit else None, scrap_pct=scrap,
                   is_byproduct=byproduct, note=raw.note)


def _new_version(session: Session, model: type, data: VersionInput, problems: Collector, **extra: Any) -> Any:
    """The header of a new BOM or routing version: its item must exist and its validity must not
    overlap another version's (problems collected, not raised: the caller reports them all at once)."""
    if data.item_id is None or session.get(Item, data.item_id) is None:
        problems.add("Choose an item", field="item")
    obj = model(item_id=data.item_id, version=data.version, name=data.name, valid_from=data.valid_from,
                valid_to=data.valid_to, active=data.active, note=data.note, **extra)
    problems.problems.extend(version_problems(session, model, obj))
    return obj


def _stored(session: Session, obj: Any) -> Any:
    session.add(obj)
    session.flush()
    return obj


def create_bom(session: Session, data: BomInput) -> Bom:
    """Create a BOM version with its lines; every problem (cycles included) is reported at once."""
    with unit_of_work(session):
        problems = Collector()
        out_qty, err = parse_quantity(data.output_qty)
        if err:
            problems.add(err, field="output_qty", value=data.output_qty, places=6)
        bom = _new_version(session, Bom, data, problems, output_qty=out_qty or Decimal(1))
        if out_qty is not None and out_qty <= 0:
            problems.add(dbom.MSG_OUTPUT_QTY, field="output_qty")
        units = {u.code: u for u in session.scalars(select(Unit))}
        lines = [_parse_line(session, raw, n, units, problems) for n, raw in enumerate(data.lines, start=1)]
        if data.item_id is not None:
            for ln in lines:
                problems.problems.extend(check_line(session, bom, ln.item_id, ln.qty, ln.scrap_pct, ln.is_byproduct,
                                                    line_no=ln.line_no))
        if not lines:
            problems.add("The bill of materials has no lines")
        problems.raise_if_any()
        bom.lines = lines
        return _stored(session, bom)


def add_bom_line(session: Session, bom_id: int, data: BomLineInput) -> BomLine:
    """Add one line to a BOM: refused with the cycle's path if the component leads back to the item."""
    with unit_of_work(session):
        bom = session.get(Bom, bom_id)
        if bom is None:
            raise DomainError("Choose the bill of materials")
        problems = Collector()
        units = {u.code: u for u in session.scalars(select(Unit))}
        n = 1 + max((ln.line_no for ln in bom.lines), default=0)
        line = _parse_line(session, data, n, units, problems)
        problems.problems.extend(check_line(session, bom, line.item_id, line.qty, line.scrap_pct, line.is_byproduct,
                                            line_no=n))
        problems.raise_if_any()
        line.bom_id = bom.id
        session.add(line)
        session.flush()
        return line


@dataclass
class OperationInput:
    seq: int
    name: str
    work_center_id: int | None
    setup_minutes: object = "0"
    run_minutes: object = "0"
    instructions: str = ""
    is_software: bool = False
    software_version: str = ""
    name_ru: str = ""
    name_es: str = ""


@dataclass
class RoutingInput(VersionInput):
    operations: list[OperationInput] = field(default_factory=list)


def _parse_operation(raw: OperationInput, problems: Collector) -> RoutingOperation:
    minutes = {}
    for name in ("setup_minutes", "run_minutes"):
        value, err = parse_quantity(getattr(raw, name) if getattr(raw, name) not in (None, "") else "0")
        if err:
            problems.add(err, line=raw.seq, value=getattr(raw, name), places=6)
        minutes[name] = value
    op = RoutingOperation(seq=raw.seq, name=raw.name, name_ru=raw.name_ru, name_es=raw.name_es,
                          work_center_id=raw.work_center_id,
                          setup_minutes=minutes["setup_minutes"], run_minutes=minutes["run_minutes"],
                          instructions=raw.instructions, is_software=raw.is_software,
                          software_version=raw.software_version)
    try:
        validate_operation(op)
    except DomainError as exc:
        problems.problems.extend(Problem(p.msgid, p.params, p.field, raw.seq) for p in exc.problems)
    return op


def create_routing(session: Session, data: RoutingInput) -> Routing:
    """Create a routing version with its operations (in `seq` order)."""
    with unit_of_work(session):
        problems = Collector()
        routing = _new_version(session, Routing, data, problems)
        ops = [_parse_operation(raw, problems) for raw in sorted(data.operations, key=lambda o: o.seq)]
        if len({op.seq for op in ops}) != len(ops):
            problems.add("Two operations have the same number")
        problems.raise_if_any()
        routing.operations = ops
        return _stored(session, routing)


# --- loading a BomBook -------------------------------------------------------------------------


def unit_factor(session: Session, item_id: int, unit_id: int | None) -> Decimal | None:
    item_unit = session.scalar(select(Item.unit_id).where(Item.id == item_id))
    if unit_id is None or unit_id == item_unit:
        return Decimal(1)
    return session.scalar(select(UnitConversion.factor).where(UnitConversion.item_id == item_id,
                                                              UnitConversion.unit_id == unit_id))


def _factors(session: Session, lines: list) -> dict[tuple[int, int], Decimal]:
    pairs = {(ln.item_id, ln.unit_id) for ln in lines if ln.unit_id}
    if not pairs:
        return {}
    rows = session.execute(select(UnitConversion.item_id, UnitConversion.unit_id, UnitConversion.factor).where(
        UnitConversion.item_id.in_({p[0] for p in pairs}))).all()
    return {(i, u): f for i, u, f in rows}


def spec_of(bom: Bom, lines: list, factors: dict[tuple[int, int], Decimal],
            base_units: dict[int, int]) -> dbom.BomSpec:
    """The pure BomSpec of a BOM: every quantity in its component's base unit."""
    specs = []
    with exact():
        for ln in lines:
            qty = ln.qty
            if ln.unit_id and ln.unit_id != base_units.get(ln.item_id):
                qty = qty * factors.get((ln.item_id, ln.unit_id), Decimal(1))
            specs.append(dbom.BomLineSpec(ln.item_id, qty, ln.scrap_pct or ZERO, ln.is_byproduct, ln.line_no))
    return dbom.BomSpec(bom.item_id, tuple(specs), bom.output_qty, bom.id)


_LINE_COLUMNS = (BomLine.id, BomLine.bom_id, BomLine.line_no, BomLine.item_id, BomLine.qty, BomLine.unit_id,
                 BomLine.scrap_pct, BomLine.is_byproduct)


def _lines_of(session: Session, bom_ids: list[int]) -> dict[int, list]:
    """The lines of these BOMs as plain rows (no ORM objects: a big tree loads thousands of them)."""
    out: dict[int, list] = defaultdict(list)
    if bom_ids:
        for ln in session.execute(select(*_LINE_COLUMNS).where(BomLine.bom_id.in_(bom_ids))
                                  .order_by(BomLine.bom_id, BomLine.line_no)):
            out[ln.bom_id].append(ln)
    return out


def _base_units(session: Session, item_ids: set[int]) -> dict[int, int]:
    return dict(session.execute(select(Item.id, Item.unit_id).where(Item.id.in_(item_ids))).all())


def load_book(session: Session, item_id: int, on_date: date | None = None,
              first: Bom | None = None) -> dict[int, dbom.BomSpec]:
    """The BOMs in force on the date for the item and everything below it, one level per query.

    `first` overrides the top item's version (an order keeps the version it was released with).
    """
    book: dict[int, dbom.BomSpec] = {}
    seen: set[int] = set()
    frontier = {item_id}
    while frontier:
        boms = active_boms(session, frontier, on_date)
        if first is not None and first.item_id in frontier:
            boms[first.item_id] = first
        seen |= frontier
        lines = _lines_of(session, [b.id for b in boms.values()])
        all_lines = [ln for ls in lines.values() for ln in ls]
        factors = _factors(session, all_lines)
        with_units = {ln.item_id for ln in all_lines if ln.unit_id}
        base = _base_units(session, with_units) if with_units else {}
        for item, bom in boms.items():
            book[item] = spec_of(bom, lines.get(bom.id, []), factors, base)
        frontier = {ln.item_id for ln in all_lines if not ln.is_byproduct} - seen
    refuse_cycles(session, book)
    return book


def refuse_cycles(session: Session, book: dbom.BomBook) -> None:
    """A cycle already stored (saved before the checks were serialised, or by hand) named, not followed."""
    # only items with a BOM can be on a cycle: leave the bought-in parts out of the search
    graph = {parent: {c for c in comps if c in book} for parent, comps in dbom.edges_of(book).items()}
    cycle = dbom.find_cycle(graph)
    if cycle is not None:
        codes = _codes(session, cycle)
        raise DomainError(dbom.MSG_CYCLE_FOUND, path=" → ".join(codes.get(i, str(i)) for i in cycle))


def explode_bom(session: Session, item_id: int, qty: Decimal, on_date: date | None = None,
                max_levels: int | None = None) -> dbom.Explosion:
    """Multi-level explosion of `qty` of the item with the BOMs in force on the date."""
    if not isinstance(qty, Decimal) or not qty.is_finite() or qty <= 0:
        raise DomainError("Quantity must be positive")
    book = load_book(session, item_id, on_date)
    if item_id not in book:
        raise DomainError("No active bill of materials for %(item)s on %(date)s",
                          item=_codes(session, [item_id]).get(item_id, item_id), date=on_date or date.today())
    return dbom.explode(book, item_id, qty, max_levels)


def where_used(session: Session, item_id: int, on_date: date | None = None) -> list[dbom.WhereUsedRow]:
    """Every item whose BOM in force uses the item, directly or through its nodes, up to the products."""
    book: dict[int, dbom.BomSpec] = {}
    frontier, seen = {item_id}, set()
    while frontier:
        seen |= frontier
        parents = set(session.scalars(select(Bom.item_id).join(BomLine, BomLine.bom_id == Bom.id).where(
            BomLine.item_id.in_(sorted(frontier)), BomLine.is_byproduct.is_(False))).all())
        boms = {i: b for i, b in active_boms(session, parents - set(book), on_date).items()}
        lines = _lines_of(session, [b.id for b in boms.values()])
        all_lines = [ln for ls in lines.values() for ln in ls]
        factors = _factors(session, all_lines)
        with_units = {ln.item_id for ln in all_lines if ln.unit_id}
        base = _base_units(session, with_units) if with_units else {}
        using = set()
        for parent, bom in boms.items():
            book[parent] = spec_of(bom, lines.get(bom.id, []), factors, base)
            if any(ln.item_id in frontier and not ln.is_byproduct for ln in lines.get(bom.id, [])):
                using.add(parent)
        frontier = using - seen
    refuse_cycles(session, book)
    return dbom.where_used(book, item_id)


# --- cost roll-up ------------------------------------------------------------------------------


def _standard_costs(session: Session, ids: set[int]) -> dict[int, Decimal]:
    rows = session.execute(select(Item.id, Item.standard_cost).where(Item.id.in_(ids))).all()
    return {i: c for i, c in rows if c is not None}


def _last_purchase(session: Session, ids: set[int], warehouse_id: int | None) -> dict[int, Decimal]:
    """The unit cost of each item's latest receipt lot (transfers and production outputs left out)."""
    stmt = select(StockLot.item_id, StockLot.unit_cost, StockLot.received_on, StockLot.id).where(
        StockLot.item_id.in_(ids), StockLot.doc_type == "receipt", StockLot.origin_lot_id.is_(None))
    if warehouse_id:
        stmt = stmt.where(StockLot.warehouse_id == warehouse_id)
    best: dict[int, tuple] = {}
    for item, cost, received, lot_id in session.execute(stmt):
        if item not in best or (received, lot_id) > best[item][0]:
            best[item] = ((received, lot_id), cost)
    return {i: v[1] for i, v in best.items()}


def _ratio(value: Decimal, qty: Decimal) -> Decimal:
    with exact():
        return value / qty


def _fifo_layers(session: Session, ids: set[int], warehouse_id: int | None) -> dict[int, Decimal]:
    """Value over quantity of the open FIFO lots: what the stock on the shelf cost, weighted."""
    stmt = (select(StockLot.item_id, func.sum(StockLot.qty_remaining), func.sum(StockLot.value_remaining))
            .join(Warehouse, Warehouse.id == StockLot.warehouse_id)
            .where(StockLot.item_id.in_(ids), StockLot.qty_remaining > 0, Warehouse.valuation == "fifo")
            .group_by(StockLot.item_id))
    if warehouse_id:
        stmt = stmt.where(StockLot.warehouse_id == warehouse_id)
    return {i: _ratio(v, q) for i, q, v in session.execute(stmt) if q}


def _average(session: Session, ids: set[int], warehouse_id: int | None) -> dict[int, Decimal]:
    stmt = (select(StockBalance.item_id, func.sum(StockBalance.qty), func.sum(StockBalance.value))
            .where(StockBalance.item_id.in_(ids), StockBalance.qty > 0).group_by(StockBalance.item_id))
    if warehouse_id:
        stmt = stmt.where(StockBalance.warehouse_id == warehouse_id)
    return {i: _ratio(v, q) for i, q, v in session.execute(stmt) if q}


def unit_costs(session: Session, ids: set[int], method: str, warehouse_id: int | None = None) -> dict[int, Decimal]:
    """Unit cost of each item by `method` (standard, last purchase, FIFO layers, average); unknown ones left out."""
    if method == COST_STANDARD:
        return _standard_costs(session, ids)
    if method == COST_LAST_PURCHASE:
        return _last_purchase(session, ids, warehouse_id)
    if method == COST_FIFO:
        return _fifo_layers(session, ids, warehouse_id)
    if method == COST_AVERAGE:
        return _average(session, ids, warehouse_id)
    raise DomainError("Unknown costing method %(method)s", method=method)


def routing_labour(session: Session, item_ids: set[int], on_date: date | None = None) -> dict[int, dbom.Labour]:
    """Each node's routing in force as (set-up cost per batch, run cost per unit), labour plus overhead."""
    out = {}
    for item_id in item_ids:
        routing = active_routing(session, item_id, on_date)
        if routing is not None:
            out[item_id] = labour_of(routing)
    return out


def labour_of(routing: Routing) -> dbom.Labour:
    """A routing's set-up cost per batch and run cost per unit: minutes times the work centre's
    labour plus overhead rate per hour (the one formula of the BOM cost roll-up and TCP costing)."""
    fixed = per_unit = ZERO
    with exact():
        for op in routing.operations:
            rate = (op.work_center.labour_rate + op.work_center.overhead_rate) / 60
            fixed += op.setup_minutes * rate
            per_unit += op.run_minutes * rate
    return dbom.Labour(fixed, per_unit)


def cost_rollup(session: Session, item_id: int, method: str = COST_STANDARD, qty: Decimal = Decimal(1),
                warehouse_id: int | None = None, on_date: date | None = None,
                with_labour: bool = True) -> dbom.CostNode:
    """The cost tree of `qty` of the item: parts by `method`, nodes rolled up level by level."""
    if method not in COST_METHODS:
        raise DomainError("Unknown costing method %(method)s", method=method)
    book = load_book(session, item_id, on_date)
    ids = {item_id} | {ln.component for spec in book.values() for ln in spec.lines}
    costs = unit_costs(session, ids, method, warehouse_id)
    labour = routing_labour(session, set(book), on_date) if with_labour else {}
    return dbom.roll_up(book, item_id, qty, costs, labour)


def items_by_id(session: Session, ids: set[int]) -> dict[int, Item]:
    return {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
