"""What production costs: component requirements, labour and overhead of the operations, planned vs actual.

The actual cost of an output receipt is the ledger's cost of the components it consumed (the FIFO
lots really taken, as post_moves returns them) plus labour and overhead of the order's operations:
the times reported on the shop floor, or the routing's planned times where nothing was reported.
Set-up is charged once per order (a later, larger report adds only the difference); run time is
charged per unit completed. The planned cost is fixed at release from standard costs and the
routing, so the comparison shows what changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain import bom as dbom
from app.domain.money import ZERO, exact, round_money, round_qty
from app.models.catalog import Item
from app.models.production import Bom, BomLine, ProductionOperation, ProductionOrder
from app.services import driver_sql
from app.services.production.engineering import _factors, spec_of


@dataclass(frozen=True)
class Requirement:
    """A component (or by-product) for a quantity of the parent, in base units, rounded for posting."""

    item_id: int
    qty: Decimal
    line_no: int | None
    byproduct: bool = False


class _Line(NamedTuple):
    """A BOM line as a row, with what its item gives a release (base unit, standard cost)."""

    line_no: int
    item_id: int
    qty: Decimal
    unit_id: int | None
    scrap_pct: Decimal
    is_byproduct: bool
    base_unit_id: int
    standard_cost: Decimal | None


_LINE, _ITEM = BomLine.__table__.c, Item.__table__.c
# built once, run on the driver: every release and completion reads its BOM, and loading the lines as ORM
# objects (and then their items' units and standard costs in two more queries) cost more than the posting
_LINES = (select(_LINE.line_no, _LINE.item_id, _LINE.qty, _LINE.unit_id, _LINE.scrap_pct, _LINE.is_byproduct,
                 _ITEM.unit_id, _ITEM.standard_cost)
          .join(Item.__table__, _ITEM.id == _LINE.item_id).where(_LINE.bom_id == bindparam("bom_id"))
          .order_by(_LINE.line_no, _LINE.id))


def bom_lines(session: Session, bom_id: int) -> list[_Line]:
    """The BOM's lines in order, each with its item's base unit and standard cost: one statement."""
    return [_Line(*row) for row in driver_sql.fetch(session, _LINES, {"bom_id": bom_id})]


def bom_spec(session: Session, bom: Bom, lines: list[_Line] | None = None) -> dbom.BomSpec:
    """The pure spec of a BOM (quantities in base units); `lines` when the caller already read them."""
    lines = bom_lines(session, bom.id) if lines is None else lines
    base_units = {ln.item_id: ln.base_unit_id for ln in lines if ln.unit_id}
    return spec_of(bom, lines, _factors(session, lines) if base_units else {}, base_units)


def requirements(spec: dbom.BomSpec, qty: Decimal) -> list[Requirement]:
    """One level of the BOM for `qty` units of the parent, scrap included, each line rounded to 6 places."""
    out = []
    for line in spec.lines:
        need = round_qty(dbom.gross_qty(line, qty, spec.output_qty))
        if need > 0:
            out.append(Requirement(line.component, need, line.line_no, line.byproduct))
    return out


def totals(reqs: list[Requirement]) -> dict[int, Decimal]:
    """Consumption per component (a component on two lines counts once, summed)."""
    out: dict[int, Decimal] = {}
    for r in reqs:
        if not r.byproduct:
            out[r.item_id] = out.get(r.item_id, ZERO) + r.qty
    return out


# --- labour and overhead -----------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """The minutes one operation puts on an output receipt."""

    operation: ProductionOperation
    setup_minutes: Decimal
    run_minutes: Decimal


def _run_per_unit(op: ProductionOperation) -> Decimal:
    if op.qty_reported and op.actual_run_minutes is not None:
        with exact():
            return op.actual_run_minutes / op.qty_reported
    return op.planned_run_minutes


def charges(order: ProductionOrder, qty: Decimal) -> list[Charge]:
    """Minutes to charge for completing `qty`: set-up not charged yet, and run time per unit."""
    out = []
    for op in order.operations:
        setup_basis = op.actual_setup_minutes if op.actual_setup_minutes is not None else op.planned_setup_minutes
        setup = max(setup_basis - op.charged_setup_minutes, ZERO)
        with exact():
            run = _run_per_unit(op) * qty
        out.append(Charge(op, setup, run))
    return out


def charges_cost(items: list[Charge]) -> tuple[Decimal, Decimal]:
    """(labour, overhead) in money for the charges, at the rates fixed on the order at release."""
    return dbom.operations_cost(
        dbom.OperationTime(c.setup_minutes, c.run_minutes, c.operation.labour_rate, c.operation.overhead_rate)
        for c in items)


def planned_labour(operations: list[ProductionOperation], qty: Decimal) -> tuple[Decimal, Decimal]:
    """(labour, overhead) of `qty` by the planned times: one set-up plus run time per unit."""
    if not qty:
        return ZERO, ZERO
    with exact():
        return dbom.operations_cost(
            dbom.OperationTime(op.planned_setup_minutes, op.planned_run_minutes * qty, op.labour_rate,
                               op.overhead_rate) for op in operations)


_ITEM = Item.__table__.c
# of the table's columns (Core): ORM attributes took every execution through the ORM's compile path
_STANDARD_COSTS = select(_ITEM.id, _ITEM.standard_cost).where(_ITEM.id.in_(bindparam("ids", expanding=True)))


def _standard_costs(session: Session, ids: set[int]) -> dict[int, Decimal | None]:
    return dict(session.execute(_STANDARD_COSTS, {"ids": sorted(ids)}).all()) if ids else {}


def planned_material(session: Session, reqs: list[Requirement],
                     costs: dict[int, Decimal | None] | None = None) -> Decimal:
    """Components at standard cost (a component without one counts as zero); `costs` when already read."""
    if costs is None:
        costs = _standard_costs(session, {r.item_id for r in reqs if not r.byproduct})
    with exact():
        total = sum((r.qty * (costs.get(r.item_id) or ZERO) for r in reqs if not r.byproduct), ZERO)
    return round_money(total)


def byproduct_values(session: Session, reqs: list[Requirement], available: Decimal) -> list[Decimal]:
    """By-products at standard cost, scaled down when they would be worth more than the whole output."""
    bps = [r for r in reqs if r.byproduct]
    if not bps:
        return []
    ids = {r.item_id for r in bps}
    costs = _standard_costs(session, ids)
    values = [round_money(r.qty * (costs.get(r.item_id) or ZERO)) for r in bps]
    total = sum(values, ZERO)
    if total <= available:
        return values
    return dbom.share_out(available, values)


# --- planned vs actual -------------------------------------------------------------------------


@dataclass(frozen=True)
class CostLine:
    """One line of the planned vs actual comparison (material, labour, overhead, total)."""

    key: str
    planned_full: Decimal  # for the order's whole quantity
    planned_done: Decimal  # for the quantity completed so far
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.planned_done

    @property
    def variance_pct(self) -> Decimal | None:
        if not self.planned_done:
            return None
        return round_money(self.variance * 100 / self.planned_done)


def comparison(order: ProductionOrder) -> list[CostLine]:
    """Planned vs actual per cost element, planned scaled to what was completed."""
    done = order.qty_done or ZERO
    with exact():
        material_done = round_money(order.planned_material * done / order.qty) if order.qty else ZERO
    labour_done, overhead_done = planned_labour(list(order.operations), done)
    lines = [
        CostLine("material", order.planned_material, material_done, order.actual_material),
        CostLine("labour", order.planned_labour, labour_done, order.actual_labour),
        CostLine("overhead", order.planned_overhead, overhead_done, order.actual_overhead),
    ]
    lines.append(CostLine("total", sum((c.planned_full for c in lines), ZERO),
                          sum((c.planned_done for c in lines), ZERO), sum((c.actual for c in lines), ZERO)))
    return lines


# --- labour logged on project tasks ---------------------------------------------------------------


def charge_task_labour(session: Session, order_id: int, work_center_id: int | None, minutes: int) -> Decimal:
    """Labour of `minutes` logged on a task of production order `order_id`, at the work centre's hourly rate
    (the task's centre, else the order's first operation's rate), added to the order's actual labour."""
    from app.models.production import WorkCenter
    from app.services.locking import lock_row

    order = lock_row(session, ProductionOrder, order_id)
    if order is None:
        return ZERO
    centre = session.get(WorkCenter, work_center_id) if work_center_id else None
    if centre is not None:
        rate = centre.labour_rate or ZERO
    else:
        rate = next((op.labour_rate for op in order.operations if op.labour_rate), ZERO)
    labour, _overhead = dbom.operations_cost([dbom.OperationTime(Decimal(minutes), ZERO, rate, ZERO)])
    order.actual_labour = (order.actual_labour or ZERO) + labour
    return labour
