"""A three-level robot for planning tests: ROBOT <- 2 BOARD + 1 CASE; BOARD <- 3 CHIP (10 % scrap) + 1 PCB.

Stock: 2 robots, 3 boards, 5 chips; a board order in progress (4 left to make); the assembly cell
does the robots (60 min setup + 30 min each), the SMT line the boards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item
from app.models.production import WorkCenter
from app.models.stock import Warehouse
from app.services.production import (
    BomInput,
    OperationInput,
    RoutingInput,
    create_bom,
    create_order,
    create_routing,
)
from app.services.production import OrderInput as MoInput
from app.services.production.engineering import BomLineInput
from tests import factories as f
from tests.purchasing import factories_purchasing as fp
from tests.sales import factories_sales as fs

D = Decimal
TODAY = date(2026, 12, 7)  # a Monday


@dataclass
class Robot:
    wh: Warehouse
    robot: Item
    board: Item
    case: Item
    chip: Item
    pcb: Item
    cell: WorkCenter
    smt: WorkCenter


def work_center(code: str) -> WorkCenter:
    wc = WorkCenter(code=code, name=code, labour_rate=D(10), overhead_rate=D(5))
    db.session.add(wc)
    db.session.commit()
    return wc


def robot() -> Robot:
    fp.company()
    wh = f.warehouse()
    robot_, board, case = f.item("ROBOT", kind="product"), f.item("BOARD", kind="node"), f.item("CASE")
    chip, pcb = f.item("CHIP"), f.item("PCB")
    create_bom(db.session, BomInput(item_id=robot_.id, lines=[BomLineInput(board.id, "2"), BomLineInput(case.id, "1")]))
    create_bom(db.session, BomInput(item_id=board.id, lines=[BomLineInput(chip.id, "3", scrap_pct="10"),
                                                             BomLineInput(pcb.id, "1")]))
    cell, smt = work_center("CELL"), work_center("SMT")
    create_routing(db.session, RoutingInput(item_id=robot_.id, operations=[
        OperationInput(10, "Assembly", cell.id, setup_minutes="60", run_minutes="30")]))
    create_routing(db.session, RoutingInput(item_id=board.id, operations=[
        OperationInput(10, "Mounting", smt.id, setup_minutes="30", run_minutes="10")]))
    for it, qty in ((robot_, 2), (board, 3), (chip, 5)):
        fs.stock(wh, it, qty, on=TODAY - timedelta(days=30))
    create_order(db.session, MoInput(item_id=board.id, qty=D(4), component_warehouse_id=wh.id,
                                     bom_id=_bom_id(board), planned_start=TODAY, planned_end=TODAY + timedelta(days=7)))
    return Robot(wh, robot_, board, case, chip, pcb, cell, smt)


def _bom_id(it: Item) -> int:
    from app.services.production import active_bom

    return active_bom(db.session, it.id, TODAY).id


def customer_order(r: Robot, qty: int, weeks: int = 3, confirm: bool = True):
    from app.services.sales.orders import confirm_order

    so = fs.order(fs.client(), [(r.robot, qty, "1000")], warehouse_id=r.wh.id,
                  delivery_date=TODAY + timedelta(weeks=weeks))
    if confirm:
        confirm_order(db.session, so.id)
    return so
