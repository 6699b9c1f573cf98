"""The logistics analysis: figures per line with their reasons, nodes from stock first, promise dates from
routing times and supplier lead times, a fixed number of queries whatever the order's size.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.domain.errors import DomainError
from app.extensions import db
from app.services.production import BomInput, BomLineInput, OperationInput, RoutingInput, create_bom, create_routing
from app.services.sales import confirm_order
from app.services.sales.analysis import analyse, run_analysis
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal
TODAY = date.today()


@pytest.fixture
def plant(app, session):
    """A robot made of a brain node (CPU + board) and a case; 1 brain node and 2 CPUs on the shelf."""
    pf.company()
    wh = f.warehouse()
    cpu, board, case = f.item("CPU"), f.item("BOARD"), f.item("CASE")
    brain = f.item("BRAIN", kind="node")
    robot = fs.priced_item("ROBOT", "1000")
    create_bom(session, BomInput(brain.id, "1", lines=[BomLineInput(cpu.id, "1"), BomLineInput(board.id, "2")]))
    create_bom(session, BomInput(robot.id, "1", lines=[BomLineInput(brain.id, "1"), BomLineInput(case.id, "1")]))
    wc = _work_centre(session)
    create_routing(session, RoutingInput(robot.id, "1", operations=[OperationInput(10, "Assembly", wc, "60", "150")]))
    f.receipt(wh, [(brain, 1, "500"), (cpu, 2, "100"), (case, 10, "50")])
    sup = pf.supplier("Chips")
    pf.offer(sup, board, "20", lead=9)
    return wh, {"cpu": cpu, "board": board, "case": case, "brain": brain, "robot": robot}


def _work_centre(session) -> int:
    from app.models.production import WorkCenter

    wc = WorkCenter(code="ASM", name="Assembly", labour_rate=D(600), overhead_rate=D(0))
    session.add(wc)
    session.commit()
    return wc.id


def test_figures_and_reasons_line_by_line(plant, session):
    wh, it = plant
    o = fs.order(fs.client(), [(it["robot"], 4)])
    confirm_order(session, o.id)
    [line] = analyse(session, o.id).lines
    assert (line.reserved, line.available, line.in_production, line.to_produce, line.to_buy) == (0, 0, 0, D(4), 0)
    comps = [(c.level, c.code, c.required, c.from_stock, c.to_produce, c.to_buy) for c in line.components]
    assert comps == [
        (1, "BRAIN", D(4), D(1), D(3), 0),  # one node on the shelf, three to make
        (2, "CPU", D(3), D(2), 0, D(1)),    # the three nodes need 3 CPUs, 2 free: buy 1
        (2, "BOARD", D(6), 0, 0, D(6)),
        (1, "CASE", D(4), D(4), 0, 0),
    ]
    texts = [n.render() for n in line.notes]
    assert texts[0] == "Ordered 4, shipped 0: 4 still to deliver"
    # CPU: no offer, 14 days assumed; the brain node has no routing: one day to make it
    assert "4 to produce: components in 15 days, production 2 days" in texts
    board = next(c for c in line.components if c.code == "BOARD")
    assert board.lead_days == 9 and "Best offer for BOARD: Chips, 20 RUB, 9 days" in [n.render() for n in board.notes]
    # 60 + 150 x 4 = 660 minutes of assembly = 2 working days after the 15 days of the nodes
    assert line.promise_date == TODAY + timedelta(days=17)


def test_stock_reserved_by_others_and_needed_by_production_is_not_free(plant, session):
    wh, it = plant
    from app.services.production import OrderInput, create_order

    create_order(session, OrderInput(it["brain"].id, "2", wh.id))  # a draft without BOM fixed: not counted
    from app.services.production import release_order

    po = create_order(session, OrderInput(it["brain"].id, "1", wh.id))
    release_order(session, po.id)  # needs 1 CPU and 2 boards
    o = fs.order(fs.client(), [(it["cpu"], 2, "150")])
    confirm_order(session, o.id)
    [line] = analyse(session, o.id).lines
    assert (line.reserved, line.available, line.to_buy) == (D(2), 0, 0)
    o2 = fs.order(fs.client("Other"), [(it["cpu"], 1, "150")])
    [line2] = analyse(session, o2.id).lines
    # on hand 2, reserved 2 by the first order, and the released brain order still needs one: buy 1
    assert (line2.reserved, line2.available, line2.to_buy) == (0, 0, D(1))


def test_run_twice_creates_once_and_refuses_drafts(plant, session):
    wh, it = plant
    o = fs.order(fs.client(), [(it["robot"], 2)])
    with pytest.raises(DomainError, match="is “Draft”: “Logistics analysis” is possible only in these states"):
        run_analysis(session, o.id)
    confirm_order(session, o.id)
    first = run_analysis(session, o.id)
    assert [p.msgid for p in first.created] == ["Purchase request %(number)s: %(qty)s of %(item)s",
                                               "Production order %(number)s: %(qty)s of %(item)s"]
    second = run_analysis(session, o.id)
    assert second.created == []
    [line] = second.lines
    assert (line.in_production, line.to_produce) == (D(2), 0)
    assert o.lines[0].promise_date == line.promise_date


def test_fifty_lines_cost_a_fixed_number_of_queries(plant, session):
    wh, it = plant
    items = [fs.priced_item(f"P{n:02d}", "10") for n in range(50)]
    small = fs.order(fs.client(), [(items[0], 1), (it["robot"], 1)])
    big = fs.order(fs.client("Big"), [(x, 1) for x in items[:49]] + [(it["robot"], 1)])
    for o in (small, big):
        confirm_order(session, o.id)

    def count(order_id: int) -> int:
        db.session.expire_all()
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            analyse(db.session, order_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert count(big.id) == count(small.id)


def test_a_node_on_hand_but_promised_elsewhere_gets_its_own_production_order(plant, session):
    wh, it = plant
    from app.models.production import ProductionOrder
    from app.services.production import OrderInput, create_order, release_order

    other = fs.priced_item("ROBOT2", "900")
    create_bom(session, BomInput(other.id, "1", lines=[BomLineInput(it["brain"].id, "1")]))
    release_order(session, create_order(session, OrderInput(other.id, "1", wh.id)).id)  # takes the brain on hand
    o = fs.order(fs.client(), [(it["robot"], 1)])
    confirm_order(session, o.id)
    [before] = analyse(session, o.id).lines
    assert [(c.code, c.to_produce) for c in before.components if c.code == "BRAIN"] == [("BRAIN", D(1))]
    done = run_analysis(session, o.id)
    brains = session.query(ProductionOrder).filter_by(item_id=it["brain"].id).all()
    assert [(p.qty, p.parent_id) for p in brains] == [(D(1), None)]  # release saw one on hand; the run made one
    assert all(c.to_produce == 0 for ln in done.lines for c in ln.components)
    run_analysis(session, o.id)
    assert session.query(ProductionOrder).filter_by(item_id=it["brain"].id).count() == 1
