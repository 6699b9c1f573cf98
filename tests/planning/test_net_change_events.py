"""Net change triggered by events: a posting or a BOM edit marks items, the next run plans only those."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.models.planning import PlannedOrder, PlanningDirty, PlanRun
from app.services.planning.run import run_plan
from app.services.production.engineering import BomLineInput, add_bom_line
from app.services.sales.orders import confirm_order
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
from tests import factories as f
from tests.planning.factories_planning import TODAY, _bom_id, customer_order, robot
from tests.sales import factories_sales as fs

D = Decimal


def _marked(session) -> dict[int, str]:
    return dict(session.execute(select(PlanningDirty.item_id, PlanningDirty.reason)).all())


def _recomputed(session) -> int:
    return session.scalar(select(PlanRun).order_by(PlanRun.id.desc()).limit(1)).stats["recomputed"]


def _row(session, item_id: int) -> tuple:
    return session.execute(select(PlannedOrder.id, PlannedOrder.qty, PlannedOrder.updated_at)
                           .where(PlannedOrder.item_id == item_id)).one()


def test_a_shipment_and_a_bom_edit_replan_their_items_and_components_only(session):
    r = robot()
    spare = f.item("SPARE")  # bought, outside the robot's BOM, with an order of its own
    so = customer_order(r, 10)
    confirm_order(session, fs.order(fs.client("Other"), [(spare, 3, "10")], warehouse_id=r.wh.id,
                                    delivery_date=TODAY + timedelta(weeks=2)).id)
    assert {r.robot.id, spare.id} <= set(_marked(session))  # confirming an order marks its items
    run_plan(session, TODAY, weeks=8)  # no plan before: every item
    assert _marked(session) == {} and _recomputed(session) == 6
    spare_before = _row(session, spare.id)
    robots_before = _row(session, r.robot.id)

    ship_order(session, ShipmentInput(so.id, [ShipmentLineInput(so.lines[0].id, "2")]))  # the 2 on hand
    assert set(_marked(session)) == {r.robot.id}  # posting the shipment (and the order moving on)
    summary = run_plan(session, TODAY, weeks=8)
    assert _recomputed(session) == 5  # the robot, its board and case, the board's chips and PCBs
    assert _marked(session) == {} and _row(session, spare.id) == spare_before  # the spare untouched
    assert _row(session, r.robot.id)[:2] == robots_before[:2]  # 8 left to ship, nothing on hand: still 8
    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0)

    add_bom_line(session, _bom_id(r.board), BomLineInput(spare.id, "1"))  # every board now takes a spare
    assert _marked(session) == {r.board.id: "bom", spare.id: "bom"}
    run_plan(session, TODAY, weeks=8)
    assert _recomputed(session) == 4  # the board, its chips and PCBs, the spare: not the robot or case
    assert session.scalar(select(PlannedOrder.qty).where(PlannedOrder.item_id == spare.id)
                          .order_by(PlannedOrder.due_date).limit(1)) > 0
    spare_total = sum(session.scalars(select(PlannedOrder.qty).where(PlannedOrder.item_id == spare.id)))
    assert spare_total == D(3) + D(9) + D(4)  # its own order, the 9 planned boards, the 4 in progress
    f.receipt(r.wh, [(r.case, 1, "5")], on=TODAY)  # a posted stock document marks its items too
    assert set(_marked(session)) == {r.case.id}
