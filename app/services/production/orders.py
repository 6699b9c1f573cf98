"""Production orders: create, release (with child orders for missing nodes), report, complete, cancel.

States: draft -> released -> in_progress -> done, and any of them -> cancelled. Releasing fixes the
BOM and routing versions, copies the routing's operations with their rates and the planned cost,
and, when a component that has a BOM of its own is short in the components' warehouse, creates a
child order for the missing quantity and releases it in turn (to any depth). A parent can't be
completed while a child is still open.

Completing `qty` posts one output receipt (ProductionCompletion) through the ledger: the
components leave the components' warehouse (FIFO lots or average), the product comes into the
output warehouse carrying exactly their cost plus labour and overhead (MoveRequest.value), so the
cost of output equals the cost consumed plus labour to the kopek. A missing component refuses the
whole completion, listing every shortage and where the goods could come from. Cancelling an
order reverses its output receipts (reverse_moves) dated on the cancellation day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.domain import move_kinds
from app.domain.documents import PRODUCTION_ORDER, PRODUCTION_RECEIPT
from app.domain.errors import Collector, DomainError, Problem
from app.domain.money import ZERO, parse_quantity
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.production import (
    DOC_PRODUCTION,
    DOC_PRODUCTION_ORDER,
    ORDER_DONE,
    ORDER_DRAFT,
    ORDER_IN_PROGRESS,
    ORDER_OPEN,
    PRODUCTION_PREFIXES,
    Bom,
    ProductionCompletion,
    ProductionOperation,
    ProductionOrder,
    Routing,
)
from app.models.stock import StockBalance, Warehouse
from app.services import audit
from app.services.base import current_actor, unit_of_work
from app.services.locking import column_of, reread
from app.services.production import costing, order_rows
from app.services.production.engineering import active_bom, active_boms, active_routing
from app.services.sequences import next_number
from app.services.stock.document_rows import column_values, item_infos, keep_loaded, warehouse_infos
from app.services.stock.ledger import DocRef, MoveRequest, post_moves, reverse_moves
from app.services.stock.ledger_rows import allocate_ids
from app.services.workflow import check, refused, transition

MAX_CHILD_DEPTH = 32
# one alias for the whole process: a new alias per call would defeat SQLAlchemy's statement cache
_CHILD = aliased(ProductionOrder)


@dataclass
class OrderInput:
    item_id: int | None
    qty: object
    component_warehouse_id: int | None
    output_warehouse_id: int | None = None
    bom_id: int | None = None
    routing_id: int | None = None
    order_date: date | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    note: str = ""


def plain(qty: Decimal) -> str:
    """A quantity for a message: 2, 0.15, 1250 (no trailing zeros, no exponent)."""
    text = format(qty.normalize(), "f")
    return text


@dataclass
class Shortage:
    """A component short in a warehouse, and where it could come from."""

    item_id: int
    code: str
    name: str
    warehouse: str
    required: Decimal
    available: Decimal
    sources: list[tuple[str, Decimal]] = field(default_factory=list)  # other warehouses: (code, available)
    can_make: bool = False  # the item has a BOM: a production order can make it
    order: str = ""  # the order that needs it (in a release's list)

    @property
    def short(self) -> Decimal:
        return self.required - max(self.available, ZERO)

    def problem(self) -> Problem:
        params = {"item": self.code, "warehouse": self.warehouse, "required": plain(self.required),
                  "available": plain(max(self.available, ZERO))}
        where = ", ".join(f"{code}: {plain(qty)}" for code, qty in self.sources)
        if where:
            return Problem("Not enough %(item)s in %(warehouse)s: required %(required)s, available %(available)s; "
                           "in other warehouses: %(sources)s", {**params, "sources": where})
        return Problem("Not enough %(item)s in %(warehouse)s: required %(required)s, available %(available)s",
                       params)


@dataclass
class ReleaseResult:
    order: ProductionOrder
    children: list[ProductionOrder] = field(default_factory=list)
    shortages: list[Shortage] = field(default_factory=list)


# --- helpers -----------------------------------------------------------------------------------


def _lock(session: Session, order_id: int, with_operations: bool = True) -> ProductionOrder:
    """The order locked and read again; its operations too unless the caller writes them (release)."""
    order = session.scalar(_LOCK if with_operations else _LOCK_BARE, {"order_id": order_id})
    if order is None:
        raise DomainError("Production order not found")
    return order


_LOCK_BARE = (select(ProductionOrder).where(ProductionOrder.id == bindparam("order_id")).with_for_update()
              .execution_options(populate_existing=True))
_LOCK = _LOCK_BARE.options(selectinload(ProductionOrder.operations))


def _lock_for_completion(session: Session, order_id: int) -> tuple[ProductionOrder, int]:
    """The locked order with its operations and BOM, and how many of its children are open: one query."""
    child = _CHILD
    open_children = (select(func.count()).select_from(child)
                     .where(child.parent_id == ProductionOrder.id, child.state.in_(ORDER_OPEN)).scalar_subquery())
    row = session.execute(
        select(ProductionOrder, open_children).where(ProductionOrder.id == order_id)
        .options(joinedload(ProductionOrder.operations), joinedload(ProductionOrder.bom))
        .with_for_update(of=ProductionOrder).execution_options(populate_existing=True)).unique().first()
    if row is None:
        raise DomainError("Production order not found")
    return row[0], row[1]


def _label(order: ProductionOrder) -> str:
    return order.number or f"#{order.id}"


def available_in(session: Session, warehouse_id: int, item_ids: set[int]) -> dict[int, Decimal]:
    """On hand minus what is reserved for other documents, per item, in one warehouse."""
    if not item_ids:
        return {}
    rows = session.execute(_AVAILABLE, {"wh": warehouse_id, "ids": sorted(item_ids)}).all()
    return {i: q - r for i, q, r in rows}


_BAL = StockBalance.__table__.c
# built once, of the table's columns: ORM attributes took every release through the ORM's compile path
_AVAILABLE = select(_BAL.item_id, _BAL.qty, _BAL.reserved).where(
    _BAL.warehouse_id == bindparam("wh"), _BAL.item_id.in_(bindparam("ids", expanding=True)))


def other_sources(session: Session, item_ids: set[int], exclude_warehouse: int) -> dict[int, list[tuple[str, Decimal]]]:
    """Where else the items are free: (warehouse code, on hand minus reserved), most first."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(StockBalance.item_id, Warehouse.code, StockBalance.qty, StockBalance.reserved)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(StockBalance.item_id.in_(sorted(item_ids)), StockBalance.warehouse_id != exclude_warehouse,
               Warehouse.active.is_(True), StockBalance.qty > 0)).all()
    out: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for item, code, qty, reserved in rows:
        if qty - reserved > 0:
            out[item].append((code, qty - reserved))
    for lst in out.values():
        lst.sort(key=lambda p: (-p[1], p[0]))
    return out


def _items(session: Session, ids: set[int]) -> dict[int, Item]:
    return {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}


def shortages_for(session: Session, warehouse_id: int, needs: dict[int, Decimal],
                  claimed: dict[int, Decimal] | None = None) -> list[Shortage]:
    """The components of `needs` the warehouse can't cover (after `claimed`), with other sources."""
    avail = available_in(session, warehouse_id, set(needs))
    claimed = claimed or {}
    short_ids = {i for i, q in needs.items() if q > avail.get(i, ZERO) - claimed.get(i, ZERO)}
    if not short_ids:
        return []
    items = _items(session, short_ids)
    warehouse = session.get(Warehouse, warehouse_id)
    sources = other_sources(session, short_ids, warehouse_id)
    makeable = set(active_boms(session, short_ids))
    return [Shortage(i, items[i].code, items[i].label(), warehouse.code, needs[i],
                     avail.get(i, ZERO) - claimed.get(i, ZERO), sources.get(i, []), i in makeable)
            for i in sorted(short_ids, key=lambda i: items[i].code)]


def parse_qty(raw: object, problems: Collector, field_name: str = "qty") -> Decimal | None:
    qty, err = parse_quantity(raw) if not isinstance(raw, Decimal) else (raw, None)
    if err:
        problems.add(err, field=field_name, value=raw, places=6)
        return None
    if qty is None or not qty.is_finite() or qty <= 0:
        problems.add("Quantity must be positive", field=field_name)
        return None
    return qty


# --- create ------------------------------------------------------------------------------------


def _held(order: ProductionOrder, name: str) -> Any:
    """A relationship the order already holds (a form sets it), without loading it: validation reads the
    item and warehouses as narrow rows (app/services/stock/document_rows.py), not whole ORM objects."""
    return order.__dict__.get(name)


def validate_order(session: Session, order: ProductionOrder, problems: Collector | None = None) -> None:
    """Every problem of an order's header (used by the service, the views and release)."""
    problems = problems if problems is not None else Collector()
    item = _held(order, "item") or item_infos(session, {order.item_id}).get(order.item_id)
    if item is None:
        problems.add("Choose an item", field="item")
    elif item.kind == "service":
        problems.add("%(item)s is a service and has no stock", item=item.code)
    if order.qty is None or order.qty <= 0:
        problems.add("Quantity must be positive", field="qty")
    names = ("component_warehouse", "output_warehouse")
    rows = warehouse_infos(session, {getattr(order, f"{n}_id") for n in names if _held(order, n) is None})
    for name in names:
        wh = _held(order, name) or rows.get(getattr(order, f"{name}_id"))
        if wh is None or not wh.active:
            problems.add("Choose an active warehouse", field=name)
    bom = order.bom or (session.get(Bom, order.bom_id) if order.bom_id else None)
    if bom is not None and item is not None and bom.item_id != item.id:
        problems.add("The bill of materials %(bom)s is not for %(item)s", field="bom", bom=str(bom), item=item.code)
    routing = order.routing or (session.get(Routing, order.routing_id) if order.routing_id else None)
    if routing is not None and item is not None and routing.item_id != item.id:
        problems.add("The routing %(routing)s is not for %(item)s", field="routing", routing=str(routing),
                     item=item.code)
    if order.planned_start and order.planned_end and order.planned_end < order.planned_start:
        problems.add("The planned end is before the planned start", field="planned_end")
    problems.raise_if_any()


def create_order(session: Session, data: OrderInput) -> ProductionOrder:
    """Create a draft order (API, demo, tests); the output goes to the components' warehouse by default."""
    with unit_of_work(session):
        problems = Collector()
        qty = parse_qty(data.qty, problems)
        order = ProductionOrder(
            item_id=data.item_id, qty=qty, qty_done=ZERO, bom_id=data.bom_id, routing_id=data.routing_id,
            component_warehouse_id=data.component_warehouse_id,
            output_warehouse_id=data.output_warehouse_id or data.component_warehouse_id,
            order_date=data.order_date or date.today(), planned_start=data.planned_start,
            planned_end=data.planned_end, note=data.note, state=ORDER_DRAFT)
        if qty is None:
            problems.raise_if_any()
        validate_order(session, order, problems)
        order_rows.insert_objects(session, [order])  # one Core insert and its audit row, not a flush
        written = column_values(order)
    keep_loaded(order, written)  # the caller's order.id needs no new transaction to reload the row
    return order


def assert_editable(order: ProductionOrder) -> None:
    """Only a draft order is edited; a released one is changed by its commands."""
    check(PRODUCTION_ORDER, order, "edit")


# --- release -----------------------------------------------------------------------------------


def _copy_operations(session: Session, order: ProductionOrder, audit_rows: list[dict]) -> None:
    """The routing's operations onto the draft order (a draft has none: only release writes them)."""
    ops = (order_rows.copy_operations(session, order, order.routing_id, audit_rows)
           if order.routing_id is not None else [])
    set_committed_value(order, "operations", ops)


def _on(order: ProductionOrder) -> date:
    return order.planned_start or order.order_date or date.today()


def _fix_versions(session: Session, order: ProductionOrder, problems: Collector) -> None:
    if order.bom_id is None:
        bom = active_bom(session, order.item_id, _on(order))
        if bom is None:
            problems.add("No active bill of materials for %(item)s on %(date)s", item=order.item.code, date=_on(order))
        else:
            order.bom, order.bom_id = bom, bom.id  # the key too: release writes the row without a flush
    if order.routing_id is None:
        order.routing = active_routing(session, order.item_id, _on(order))
        order.routing_id = order.routing.id if order.routing is not None else None


def _release_one(session: Session, order: ProductionOrder, claimed: dict[int, Decimal], result: ReleaseResult,
                 depth: int) -> None:
    if depth > MAX_CHILD_DEPTH:
        raise DomainError("The bills of materials are nested deeper than %(depth)s levels", depth=MAX_CHILD_DEPTH)
    problems = Collector()
    # one flush for the whole release: the reads below (versions, BOM lines, routing, costs) need none of
    # the order's pending changes, and each autoflush wrote the order again with an audit row of its own
    with session.no_autoflush:
        _fix_versions(session, order, problems)
        validate_order(session, order, problems)
        lines = costing.bom_lines(session, order.bom.id) if order.bom is not None else []
        reqs = costing.requirements(costing.bom_spec(session, order.bom, lines), order.qty)
        order.number = order.number or next_number(session, DOC_PRODUCTION_ORDER, order.order_date,
                                                   PRODUCTION_PREFIXES[DOC_PRODUCTION_ORDER])
        audit_rows: list[dict] = []
        _copy_operations(session, order, audit_rows)
        order.planned_material = costing.planned_material(session, reqs, {ln.item_id: ln.standard_cost
                                                                         for ln in lines})
        order.planned_labour, order.planned_overhead = costing.planned_labour(order.operations, order.qty)
        transition(session, PRODUCTION_ORDER, order, "release")
    # the release's one UPDATE, and one audit insert for the order and its operations
    audit.write(session, audit_rows + order_rows.write_changes(session, [order]))
    session.flush()  # whatever else the use case changed (nothing here: a no-op)
    _cover_shortages(session, order, costing.totals(reqs), claimed, result, depth)


def _cover_shortages(session: Session, order: ProductionOrder, needs: dict[int, Decimal],
                     claimed: dict[int, Decimal], result: ReleaseResult, depth: int) -> None:
    """Claim what the warehouse has; make the missing nodes with child orders, list the rest.

    The order claims its needs before its children are released, so a part that both the order
    and a child use is counted once for each of them.
    """
    wh_id = order.component_warehouse_id
    shortages = shortages_for(session, wh_id, needs, claimed)
    for item_id, qty in needs.items():
        claimed[item_id] = claimed.get(item_id, ZERO) + qty
    for short in shortages:
        if not short.can_make:
            short.order = _label(order)
            result.shortages.append(short)
            continue
        child = ProductionOrder(
            item_id=short.item_id, qty=short.short, qty_done=ZERO, component_warehouse_id=wh_id,
            output_warehouse_id=wh_id, order_date=order.order_date, planned_end=order.planned_start,
            parent=order, state=ORDER_DRAFT, note=order.number or "")
        session.add(child)
        session.flush()
        result.children.append(child)
        _release_one(session, child, claimed, result, depth + 1)


def release_order(session: Session, order_id: int) -> ReleaseResult:
    """Release a draft order; nodes it lacks get child orders (released too), other shortages are listed."""
    with unit_of_work(session):
        order = _lock(session, order_id, with_operations=False)
        check(PRODUCTION_ORDER, order, "release")
        result = ReleaseResult(order)
        _release_one(session, order, {}, result, 0)
        return result


# --- operations --------------------------------------------------------------------------------


def _lock_part(session: Session, model: type, part_id: int, not_found: str) -> tuple[ProductionOrder, Any]:
    """An order's operation or output receipt, read again under the order's lock: its parts change
    under that lock only, so two users reporting on one order queue instead of overwriting."""
    order_id = column_of(session, model.order_id, model.id, part_id)
    if order_id is None:
        raise DomainError(not_found)
    order = _lock(session, order_id)
    return order, reread(session, model, part_id)


def report_operation(session: Session, operation_id: int, qty: object, setup_minutes: object = "0",
                     run_minutes: object = "0", done: bool = False) -> ProductionOperation:
    """Record actual times of an operation for `qty` units; they replace the planned times in costing."""
    with unit_of_work(session):
        order, op = _lock_part(session, ProductionOperation, operation_id, "Operation not found")
        problems = Collector()
        problems.extend(refused(PRODUCTION_ORDER, order, "report"))
        q, err = parse_quantity(qty)
        if err or q is None or q < 0:
            problems.add(err or "Quantity cannot be negative", field="qty", value=qty, places=6)
        elif op.qty_reported + q > order.qty:
            problems.add("You can report at most %(max)s for this operation", field="qty",
                         max=plain(order.qty - op.qty_reported))
        minutes = {}
        for name, raw in (("setup_minutes", setup_minutes), ("run_minutes", run_minutes)):
            m, err = parse_quantity(raw if raw not in (None, "") else "0")
            if err or m is None or m < 0:
                problems.add(err or "Times cannot be negative", field=name, value=raw, places=6)
            minutes[name] = m
        problems.raise_if_any()
        op.qty_reported = op.qty_reported + q
        op.actual_setup_minutes = (op.actual_setup_minutes or ZERO) + minutes["setup_minutes"]
        op.actual_run_minutes = (op.actual_run_minutes or ZERO) + minutes["run_minutes"]
        op.done = bool(done) or op.qty_reported >= order.qty
        op.reported_at, op.reported_by = utcnow(), current_actor().username
        transition(session, PRODUCTION_ORDER, order, "report")
        session.flush()
        audit.record(session, "report", order, summary=f"{order.number} {op.seq} {op.name}")
        return op


# --- complete ----------------------------------------------------------------------------------


def _completion_problems(session: Session, order: ProductionOrder, open_children: int, qty: Decimal | None,
                         problems: Collector) -> None:
    refusal = refused(PRODUCTION_ORDER, order, "complete")
    problems.extend(refusal)
    if not refusal and qty is not None and qty > order.qty_remaining:
        problems.add("You can complete at most %(remaining)s of %(number)s", field="qty",
                     remaining=plain(order.qty_remaining), number=_label(order))
    if open_children and PRODUCTION_ORDER.allows(order.state, "complete"):
        numbers = session.scalars(select(ProductionOrder.number).where(
            ProductionOrder.parent_id == order.id, ProductionOrder.state.in_(ORDER_OPEN)).order_by(ProductionOrder.id))
        problems.add("Order %(number)s waits for its child orders: %(children)s", number=_label(order),
                     children=", ".join(n or "?" for n in numbers))


def _post_completion(session: Session, order: ProductionOrder, completion: ProductionCompletion,
                     reqs: list[costing.Requirement]) -> None:
    """Issue the components and receive the product (and by-products) at their cost plus labour: one posting.

    The ledger values the issues first and asks `price` for the receipts' values, so the output
    carries exactly what left, with one period check, one lock and one write for the whole receipt.
    """
    ref = DocRef(DOC_PRODUCTION, completion.id, completion.number, completion.doc_date)
    outs = [MoveRequest(r.item_id, order.component_warehouse_id, -r.qty, kind=move_kinds.PRODUCTION_ISSUE,
                        line_no=r.line_no) for r in reqs if not r.byproduct]
    bps = [r for r in reqs if r.byproduct]
    ins = [MoveRequest(order.item_id, order.output_warehouse_id, completion.qty, kind=move_kinds.PRODUCTION_OUTPUT)]
    ins += [MoveRequest(r.item_id, order.output_warehouse_id, r.qty, kind=move_kinds.PRODUCTION_BYPRODUCT,
                        line_no=r.line_no) for r in bps]
    items = costing.charges(order, completion.qty)
    labour, overhead = costing.charges_cost(items)

    def price(issued: list[Decimal]) -> list[Decimal]:
        material = -sum(issued, ZERO)
        total = material + labour + overhead
        bp_values = costing.byproduct_values(session, reqs, total)
        main_value = total - sum(bp_values, ZERO)
        completion.material_cost, completion.labour_cost, completion.overhead_cost = material, labour, overhead
        completion.byproduct_value, completion.output_value = total - main_value, main_value
        return [main_value, *bp_values]

    post_moves(session, ref, outs + ins, price_inbound=price)
    for c in items:
        c.operation.charged_setup_minutes = c.operation.charged_setup_minutes + c.setup_minutes
    completion.setup_minutes_charged = sum((c.setup_minutes for c in items), ZERO)
    order.actual_material = order.actual_material + completion.material_cost
    order.actual_labour = order.actual_labour + labour
    order.actual_overhead = order.actual_overhead + overhead


def complete_order(session: Session, order_id: int, qty: object, on_date: date | None = None) -> ProductionCompletion:
    """Make `qty` (at most what is left): issue the components, receive the product at their cost plus labour.

    All or nothing: a missing component refuses the completion with every shortage listed and
    nothing consumed or produced. The receipt's id is taken before posting (its moves name it), so its
    row is written once, with its costs; the order, its operations and the receipt go in with Core
    statements and one audit insert (order_rows), not the unit of work's flushes.
    """
    with unit_of_work(session):
        order, open_children = _lock_for_completion(session, order_id)
        problems = Collector()
        q = parse_qty(qty, problems)
        _completion_problems(session, order, open_children, q, problems)
        problems.raise_if_any()
        on_date = on_date or date.today()
        reqs = costing.requirements(costing.bom_spec(session, order.bom), q)
        for short in shortages_for(session, order.component_warehouse_id, costing.totals(reqs)):
            problems.problems.append(short.problem())
        problems.raise_if_any()
        number = next_number(session, DOC_PRODUCTION, on_date, PRODUCTION_PREFIXES[DOC_PRODUCTION])
        actor = current_actor()
        (completion_id,) = allocate_ids(session, {_COMPLETIONS: 1})[_COMPLETIONS]
        completion = ProductionCompletion(id=completion_id, number=number, order_id=order.id, doc_date=on_date, qty=q,
                                          state="posted", posted_at=utcnow(), posted_by=actor.username)
        _post_completion(session, order, completion, reqs)
        order.qty_done = order.qty_done + q
        done = order.qty_done >= order.qty
        transition(session, PRODUCTION_ORDER, order, "complete", ORDER_DONE if done else ORDER_IN_PROGRESS)
        order.done_at = utcnow() if done else None
        # the order, its operations and the new receipt written with Core statements and one audit insert
        audit_rows = order_rows.write_changes(session, [order, *order.operations])
        order_rows.insert_objects(session, [completion], parent=order, audit_rows=audit_rows)
        audit.write(session, audit_rows)
        session.flush()  # whatever else the use case changed (nothing here: a no-op)
        return completion


_COMPLETIONS = ProductionCompletion.__tablename__


# --- cancel ------------------------------------------------------------------------------------


def _reverse_completion(session: Session, order: ProductionOrder, completion: ProductionCompletion,
                        on_date: date) -> None:
    if on_date < completion.doc_date:
        raise DomainError("The cancellation date cannot be before the document date")
    original = DocRef(DOC_PRODUCTION, completion.id, completion.number, completion.doc_date)
    reverse_moves(session, original, DocRef(DOC_PRODUCTION, completion.id, completion.number, on_date))
    transition(session, PRODUCTION_RECEIPT, completion, "cancel")
    order.qty_done = order.qty_done - completion.qty
    order.actual_material = order.actual_material - completion.material_cost
    order.actual_labour = order.actual_labour - completion.labour_cost
    order.actual_overhead = order.actual_overhead - completion.overhead_cost
    _give_back_setup(order, completion)


def _give_back_setup(order: ProductionOrder, completion: ProductionCompletion) -> None:
    """A cancelled receipt's set-up minutes may be charged again by the next one."""
    if not completion.setup_minutes_charged:
        return
    later = [c for c in order.completions if PRODUCTION_RECEIPT.allows(c.state, "cancel") and c.id != completion.id]
    if not later:
        for op in order.operations:
            op.charged_setup_minutes = ZERO


def _cancel_tree(session: Session, order: ProductionOrder, on_date: date, depth: int = 0) -> None:
    """Cancel the order's receipts (newest first), then its children that made nothing yet.

    The order is locked by the caller; each child is locked before its state and receipts are read,
    since a child is completed or cancelled under its own lock.
    """
    completions = session.scalars(select(ProductionCompletion).where(ProductionCompletion.order_id == order.id)
                                  .execution_options(populate_existing=True)).all()
    for completion in sorted(completions, key=lambda c: c.id, reverse=True):
        if PRODUCTION_RECEIPT.allows(completion.state, "cancel"):
            _reverse_completion(session, order, completion, on_date)
    child_ids = session.scalars(select(ProductionOrder.id).where(ProductionOrder.parent_id == order.id)
                                .order_by(ProductionOrder.id)).all()
    for child_id in child_ids if depth < 64 else ():
        child = _lock(session, child_id)
        made = session.scalar(select(ProductionCompletion.id).where(
            ProductionCompletion.order_id == child.id, ProductionCompletion.state == "posted").limit(1))
        if PRODUCTION_ORDER.allows(child.state, "cancel") and made is None:
            _cancel_tree(session, child, on_date, depth + 1)
    transition(session, PRODUCTION_ORDER, order, "cancel")


def cancel_order(session: Session, order_id: int, on_date: date | None = None) -> ProductionOrder:
    """Cancel an order in any state: its output receipts are reversed, its idle child orders cancelled.

    Refused (nothing changed) when its product has already been used, e.g. a node consumed by
    the parent order: cancel that consumer first.
    """
    with unit_of_work(session):
        order = _lock(session, order_id)
        check(PRODUCTION_ORDER, order, "cancel")
        _cancel_tree(session, order, on_date or date.today())
        session.flush()
        return order


def cancel_completion(session: Session, completion_id: int, on_date: date | None = None) -> ProductionCompletion:
    """Reverse one output receipt; the order goes back to work for that quantity."""
    with unit_of_work(session):
        order, completion = _lock_part(session, ProductionCompletion, completion_id, "Output receipt not found")
        check(PRODUCTION_RECEIPT, completion, "cancel")
        _reverse_completion(session, order, completion, on_date or date.today())
        if PRODUCTION_ORDER.allows(order.state, "reopen"):
            transition(session, PRODUCTION_ORDER, order, "reopen")
            order.done_at = None
        session.flush()
        return completion
