"""The recall list of a component lot through a 3-level BOM (parts -> nodes -> robot), worked out by hand.

Plant of tests/services/test_production_example.py: CPU lot 1 (2 pcs) and CPU lot 2 (5 pcs). Run 1 makes 3
brains (CPU: 2 from lot 1, 1 from lot 2) and 3 robots (robot lot R1 = 3); run 2 makes 2 brains (CPU: 2 from
lot 2) and 2 robots (R2 = 2). Robokids gets 4 robots (FIFO: 3 of R1, 1 of R2), Techno school 1 (of R2).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.stock import StockLot
from app.services.production import complete_order, release_order
from app.services.quality.trace import trace_backward, trace_forward
from app.services.sales import confirm_order
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
from tests import factories as f
from tests.sales import factories_sales as fs
from tests.services.test_production_example import DAY, build_plant, order_for

D = Decimal


def _run(session, plant, qty: int) -> None:
    robot = order_for(plant, "ROBOT", qty)
    kids = release_order(session, robot.id).children
    for kid in kids:
        complete_order(session, kid.id, str(kid.qty), DAY)
    complete_order(session, robot.id, str(qty), DAY)


def _ship(session, partner, plant, qty: int):
    order = fs.order(partner, [(plant["ROBOT"], qty, "25000")], warehouse_id=plant.main.id)
    confirm_order(session, order.id)
    return ship_order(session, ShipmentInput(order.id, [ShipmentLineInput(order.lines[0].id, qty)],
                                             ship_date=date(2026, 11, 20)))


@pytest.fixture
def story(session):
    plant = build_plant()
    _run(session, plant, 3)
    f.receipt(plant.main, [(plant["MOT"], 10, "420"), (plant["WHEEL"], 20, "72")], on=date(2026, 10, 5))
    _run(session, plant, 2)
    robokids = fs.client("Robokids", email="office@robokids.example")
    techno = fs.client("Techno school", email="info@techno.example")
    first = _ship(session, robokids, plant, 4)
    second = _ship(session, techno, plant, 1)
    lots = {code: session.scalars(select(StockLot).where(StockLot.item_id == plant[code].id)
                                  .order_by(StockLot.id)).all() for code in ("CPU", "N-BRAIN", "ROBOT")}
    return plant, lots, first, second


def _lots(trace, plant, code):
    return sorted((n.qty, n.parent_qty) for n in trace.lots if n.item_id == plant[code].id and n.level > 0)


def test_recall_list_of_the_first_cpu_lot(story, session):
    plant, lots, first, _ = story
    trace = trace_forward(session, lots["CPU"][0].id)
    # lot 1 went into brain lot B1 (2 of its CPUs), B1 into robot lot R1 (all 3 brains)
    assert _lots(trace, plant, "N-BRAIN") == [(D(3), D(2))]
    assert _lots(trace, plant, "ROBOT") == [(D(3), D(3))]
    assert trace.levels == 3  # brain, robot, shipment
    recall = [(g["partner"], g["qty"], g["shipments"]) for g in trace.by_client()]
    assert recall == [("Robokids", D(3), [first.number])]


def test_recall_list_of_the_second_cpu_lot_reaches_both_clients(story, session):
    plant, lots, first, second = story
    trace = trace_forward(session, lots["CPU"][1].id)
    # lot 2: 1 CPU into B1, 2 into B2; B1 -> R1 (3), B2 -> R2 (2)
    assert _lots(trace, plant, "N-BRAIN") == [(D(2), D(2)), (D(3), D(1))]
    assert _lots(trace, plant, "ROBOT") == [(D(2), D(2)), (D(3), D(3))]
    recall = [(g["partner"], g["item_id"], g["qty"]) for g in trace.by_client()]
    assert recall == [("Robokids", plant["ROBOT"].id, D(4)), ("Techno school", plant["ROBOT"].id, D(1))]
    assert sum((d.qty for d in trace.shipments), D(0)) == D(5)
    robot_lots = {n.lot_id: n for n in trace.lots if n.item_id == plant["ROBOT"].id}
    assert all(n.production_order for n in robot_lots.values())  # the order that made each lot
    assert {d.partner_email for d in trace.shipments} == {"office@robokids.example", "info@techno.example"}


def test_a_bolt_lot_reaches_drives_chassis_and_robots(story, session):
    plant, _, _, _ = story
    bolt = session.scalars(select(StockLot).where(StockLot.item_id == plant["BOLT"].id).order_by(StockLot.id)).first()
    trace = trace_forward(session, bolt.id)
    codes = {plant.items[c].id: c for c in plant.items}
    assert {codes[n.item_id] for n in trace.lots} >= {"BOLT", "N-DRIVE", "N-CHASSIS", "ROBOT"}


def test_backwards_from_a_shipment_to_the_supplier_lots(story, session):
    plant, lots, _, second = story
    trace = trace_backward(session, shipment_id=second.id)
    cpu = sorted((n.lot_id, n.parent_qty) for n in trace.lots if n.item_id == plant["CPU"].id)
    # Techno's robot came from R2, made of B2, whose 2 CPUs are both from lot 2
    assert cpu == [(lots["CPU"][1].id, D(2))]
    robot = [(n.lot_id, n.parent_qty) for n in trace.lots if n.item_id == plant["ROBOT"].id]
    assert robot == [(lots["ROBOT"][1].id, D(1))]
    assert all(n.supplier is not None for n in trace.lots)


def test_backwards_from_the_first_robot_lot(story, session):
    plant, lots, _, _ = story
    trace = trace_backward(session, lot_id=lots["ROBOT"][0].id)
    cpu = sorted((n.lot_id, n.parent_qty) for n in trace.lots if n.item_id == plant["CPU"].id)
    assert cpu == [(lots["CPU"][0].id, D(2)), (lots["CPU"][1].id, D(1))]
    brains = [(n.lot_id, n.parent_qty) for n in trace.lots if n.item_id == plant["N-BRAIN"].id]
    assert brains == [(lots["N-BRAIN"][0].id, D(3))]
    # bolts went into the drives, the chassis and the robot itself: listed under each with what it took
    made_item = {n.lot_id: n.item_id for n in trace.lots}
    codes = {it.id: code for code, it in plant.items.items()}
    bolt_parents = {codes[made_item[n.parent_lot_id]] for n in trace.lots if n.item_id == plant["BOLT"].id}
    assert bolt_parents == {"N-DRIVE", "N-CHASSIS", "ROBOT"}
    robot_bolts = sum((n.parent_qty for n in trace.lots if n.item_id == plant["BOLT"].id
                       and made_item[n.parent_lot_id] == plant["ROBOT"].id), D(0))
    assert robot_bolts == D(36)  # 12 per robot, 3 robots


def test_a_lot_that_does_not_exist_is_refused_in_words(session):
    with pytest.raises(DomainError, match="does not exist"):
        trace_forward(session, 999999)
