"""MRP on a three-level BOM: netting and explosion to the unit, pegging, re-runs, firming, capacity."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.models.planning import CapacityLoad, PlannedOrder
from app.models.production import ProductionOrder
from app.models.purchasing import PurchaseRequestLine
from app.services.planning import engine
from app.services.planning.load import load
from app.services.planning.run import firm, run_plan
from tests.planning.factories_planning import TODAY, customer_order, robot

D = Decimal


def _planned(session) -> dict[tuple[str, str], Decimal]:
    rows = session.execute(select(PlannedOrder.kind, PlannedOrder.item_id, func.sum(PlannedOrder.qty))
                           .group_by(PlannedOrder.kind, PlannedOrder.item_id)).all()
    from app.models.catalog import Item

    codes = dict(session.execute(select(Item.id, Item.code)).all())
    return {(kind, codes[i]): q for kind, i, q in rows}


def test_netting_and_explosion_to_the_unit(session):
    r = robot()
    so = customer_order(r, 10)
    run_plan(session, TODAY, weeks=8)
    # robots: 10 - 2 on hand = 8; boards: 16 - 3 on hand - 4 in progress = 9;
    # chips: 9 x 3 x 1.1 = 29.7 for the plan + 13.2 for the board order in progress - 5 on hand = 37.9 -> 38 pcs;
    # PCBs: 9 + 4 = 13; cases: 8
    assert _planned(session) == {("make", "ROBOT"): D(8), ("make", "BOARD"): D(9), ("buy", "CHIP"): D(38),
                                 ("buy", "PCB"): D(13), ("buy", "CASE"): D(8)}
    robot_row = session.scalar(select(PlannedOrder).where(PlannedOrder.item_id == r.robot.id))
    assert robot_row.pegs == {so.number: "8"}
    assert robot_row.due_date == TODAY.replace(day=28)  # the week of the delivery date
    assert robot_row.start_date < robot_row.due_date  # offset by the assembly lead time


def test_pegging_totals_trace_to_the_customer_order(session):
    r = robot()
    so = customer_order(r, 10)
    data = load(session, TODAY, 8)
    result = engine.plan(data)
    tops: dict[str, Decimal] = {}
    for order in result.orders[r.chip.id]:  # week 0 for the board order in progress, week 2 for the plan
        for origin, qty in engine.trace(result, r.chip.id, order.due_week).items():
            tops[origin] = tops.get(origin, D(0)) + qty
    assert sum(tops.values()) == D(38)
    in_progress = session.scalar(select(ProductionOrder)).number or "#1"
    # 13.2 for the board order in progress less the 5 on hand; 29.7 for the robots; the rest rounds the lots
    assert tops[in_progress] == D("8.2") and tops[so.number] == D("28.9") and tops["stock"] == D("0.9")
    board_top = engine.trace(result, r.board.id, result.orders[r.board.id][0].due_week)
    assert board_top == {so.number: D(9)}


def test_rerun_changes_nothing_and_firming_never_duplicates(session):
    r = robot()
    customer_order(r, 10)
    first = run_plan(session, TODAY, weeks=8)
    assert first.created == first.planned == 7  # chips and PCBs twice: for the board in progress, for the plan
    again = run_plan(session, TODAY, weeks=8)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    ids = list(session.scalars(select(PlannedOrder.id)))
    buys = session.scalar(select(func.count(PlannedOrder.id)).where(PlannedOrder.kind == "buy"))
    mos_before = session.scalar(select(func.count(ProductionOrder.id)))
    firm(session, ids, TODAY)
    assert session.scalar(select(func.count(ProductionOrder.id))) == mos_before + 2
    lines = session.scalar(select(func.count(PurchaseRequestLine.id)).where(PurchaseRequestLine.source == "mrp"))
    assert lines == buys == 5
    after = run_plan(session, TODAY, weeks=8)
    assert after.planned == 0, _planned(session)  # the firmed orders and requests are supply now
    run_plan(session, TODAY, weeks=8)
    assert session.scalar(select(func.count(PurchaseRequestLine.id))) == 5


def test_new_order_replans_only_what_changed(session):
    r = robot()
    customer_order(r, 10)
    run_plan(session, TODAY, weeks=8)
    kept = session.scalar(select(PlannedOrder.id).where(PlannedOrder.item_id == r.case.id))
    customer_order(r, 5, weeks=5)
    summary = run_plan(session, TODAY, weeks=8, changed={r.robot.id})
    assert summary.created == 5 and summary.removed == 0
    assert session.scalar(select(PlannedOrder.id).where(PlannedOrder.item_id == r.case.id,
                                                        PlannedOrder.due_date < TODAY.replace(day=28))) in (None, kept)
    assert session.get(PlannedOrder, kept) is not None


def test_capacity_load_is_stored_per_work_centre_and_week(session):
    r = robot()
    customer_order(r, 10)
    run_plan(session, TODAY, weeks=8)
    cell = {row.week_start: row for row in session.scalars(select(CapacityLoad)
                                                           .where(CapacityLoad.work_center_id == r.cell.id))}
    assert sum(row.load_minutes for row in cell.values()) == D(60 + 30 * 8)
    assert all(row.capacity_minutes == D(5 * 9 * 60) for row in cell.values())


def _two_orders(level: bool) -> engine.PlanResult:
    route = (engine.Route(7, D(0), D(100)),)
    items = {i: engine.ItemData(i, str(i), bom=engine.dbom.BomSpec(i, ()), routes=route) for i in (1, 2)}
    demands = [engine.Demand(1, 4, D(4), "SO-1"), engine.Demand(2, 4, D(4), "SO-2")]
    return engine.plan(engine.PlanData(6, items, demands, capacity={7: [D(480)] * 6}, level=level))


def test_capacity_overload_detected_and_levelled_earlier():
    cap = {7: [D(480)] * 6}
    flat = _two_orders(level=False)
    assert flat.overloaded(cap) == {7: [3]}  # both 400-minute orders start in week 3 (a day's work each)
    levelled = _two_orders(level=True)
    assert levelled.overloaded(cap) == {}
    moved = [o for o in levelled.all_orders() if o.moved]
    assert len(moved) == 1 and moved[0].start_week == 2 and moved[0].due_week == 4
    assert levelled.load[7][2] == levelled.load[7][3] == D(400)


def test_reschedule_messages_say_which_open_order_to_bring_forward_or_postpone():
    item = engine.ItemData(1, on_hand=D(5))
    demands = [(1, D(3), "SO-1"), (2, D(4), "SO-2"), (5, D(20), "SO-3")]
    receipts = [engine.Receipt(1, 3, D(6), "PO-1"), engine.Receipt(1, 4, D(10), "MO-2"),
                engine.Receipt(1, 6, D(5), "PR-3"), engine.Receipt(1, 5, D(7), "PO-4")]
    # 5 on hand cover weeks 0-1 (3); week 2 needs 7 -> PO-1 (week 3) is needed in week 2; 11 cover up to
    # week 4, week 5 needs 27 -> MO-2 (week 4) can wait until week 5; 21 do not cover week 5 either, so
    # PO-4 (week 5) is due when needed; 28 cover everything: PR-3 is not needed within the 8 weeks
    assert engine.reschedules(item, demands, receipts, 8) == [
        engine.Reschedule(1, "PO-1", 3, 2), engine.Reschedule(1, "MO-2", 4, 5), engine.Reschedule(1, "PR-3", 6, None)]


def test_net_change_after_a_restart_starts_from_the_stored_plan(session):
    from app.models.planning import PlanRun
    from app.services.planning import run as run_module

    r = robot()
    customer_order(r, 10)
    run_plan(session, TODAY, weeks=8)
    before = _planned(session)
    run_module._last.clear()  # a new process: nothing in memory
    customer_order(r, 3, weeks=3, confirm=False)  # a draft: no demand, the plan must not move
    summary = run_plan(session, TODAY, weeks=8, changed={r.case.id})
    last = session.scalar(select(PlanRun).order_by(PlanRun.id.desc()).limit(1))
    assert last.stats["recomputed"] == 1  # only the cases, the rest rebuilt from the tables
    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0) and _planned(session) == before
    run_module._last.clear()
    assert run_module.restore(session, run_module.Weeks(TODAY, 9), True) is None  # another horizon: full run
