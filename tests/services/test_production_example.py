"""The running example: parts -> three kinds of nodes -> a robot -> a software stage, exact to the kopek.

Parts are bought in FIFO lots at different prices; releasing an order for 3 robots with no nodes
on the shelf creates child orders for the three nodes; each completion issues the FIFO lots it
really takes and receives its output at that cost plus the labour and overhead of its routing.
Every figure below is worked out by hand in the comments. The builders here are reused by the
other production tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import Item
from app.models.production import Bom, ProductionCompletion, ProductionOrder, WorkCenter
from app.models.stock import StockLot, StockMove
from app.services.production import (
    BomInput,
    BomLineInput,
    OperationInput,
    OrderInput,
    RoutingInput,
    cancel_order,
    complete_order,
    create_bom,
    create_order,
    create_routing,
    release_order,
    report_operation,
)
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
DAY = date(2026, 11, 2)

# code: (kind, unit, standard cost)
PARTS = {
    "CPU": ("component", "pcs", "1850"), "MB": ("component", "pcs", "2400"), "SBIO": ("component", "pcs", "650"),
    "SEN": ("component", "pcs", "180"), "MOT": ("component", "pcs", "420"), "WHEEL": ("component", "pcs", "75"),
    "CASE": ("component", "pcs", "900"), "BOLT": ("material", "pcs", "2.5"), "PAINT": ("material", "l", "640"),
    "N-CHASSIS": ("node", "pcs", "1900"), "N-BRAIN": ("node", "pcs", "5200"), "N-DRIVE": ("node", "pcs", "1100"),
    "ROBOT": ("product", "pcs", "9800"),
}
# (code, qty, unit cost), received in this order, oldest first
LOTS = [
    ("CPU", 2, "1800"), ("CPU", 5, "1900"), ("MB", 3, "2350"), ("MB", 5, "2450"), ("SBIO", 10, "640"),
    ("SEN", 10, "175"), ("MOT", 4, "410"), ("MOT", 10, "415.50"), ("WHEEL", 30, "72"), ("CASE", 5, "880"),
    ("BOLT", 100, "2.40"), ("BOLT", 200, "2.45"), ("PAINT", 2, "630"),
]
BOMS = {
    "N-BRAIN": [("CPU", "1"), ("MB", "1"), ("SBIO", "1"), ("SEN", "2")],
    "N-DRIVE": [("MOT", "2"), ("WHEEL", "2"), ("BOLT", "8", "5")],  # 5% of the bolts are lost
    "N-CHASSIS": [("CASE", "1"), ("WHEEL", "4"), ("BOLT", "16"), ("PAINT", "0.05")],
    "ROBOT": [("N-CHASSIS", "1"), ("N-BRAIN", "1"), ("N-DRIVE", "2"), ("BOLT", "12")],
}
# work centre: (labour per hour, overhead per hour)
CENTRES = {"ASM": ("600", "300"), "QA": ("480", "120"), "FW": ("360", "60"), "SOLD": ("540", "240"),
           "PAINT": ("420", "180")}
# item: [(seq, name, centre, set-up minutes, run minutes per unit, software)]
ROUTINGS = {
    "N-BRAIN": [(10, "Solder the boards", "SOLD", "0", "30", False)],
    "N-DRIVE": [(10, "Assemble the drive", "ASM", "15", "20", False)],
    "N-CHASSIS": [(10, "Paint the case", "PAINT", "20", "10", False)],
    "ROBOT": [(10, "Final assembly", "ASM", "30", "45", False), (20, "Test", "QA", "0", "15", False),
              (30, "Flash the software", "FW", "10", "5", True)],
}


@dataclass
class Plant:
    items: dict[str, Item]
    main: object
    centres: dict[str, WorkCenter]

    def __getitem__(self, code: str) -> Item:
        return self.items[code]


def make_items(codes=PARTS) -> dict[str, Item]:
    out = {}
    for code, (kind, unit_code, cost) in codes.items():
        it = Item(code=code, name=code, kind=kind, unit=f.unit(unit_code), standard_cost=D(cost))
        db.session.add(it)
        out[code] = it
    db.session.commit()
    return out


def make_bom(items, parent: str, lines, version="1", **kw):
    return create_bom(db.session, BomInput(items[parent].id, version=version, lines=[
        BomLineInput(items[ln[0]].id, ln[1], scrap_pct=ln[2] if len(ln) > 2 else None) for ln in lines], **kw))


def make_centres() -> dict[str, WorkCenter]:
    out = {code: WorkCenter(code=code, name=code, labour_rate=D(lab), overhead_rate=D(ovh))
           for code, (lab, ovh) in CENTRES.items()}
    db.session.add_all(out.values())
    db.session.commit()
    return out


def make_routing(items, centres, item: str, ops, version="1"):
    return create_routing(db.session, RoutingInput(items[item].id, version=version, operations=[
        OperationInput(seq, name, centres[wc].id, setup, run, instructions=f"{name}: see drawing", is_software=sw,
                       software_version="fw-2.3" if sw else "") for seq, name, wc, setup, run, sw in ops]))


def build_plant(lots=LOTS, with_routings=True) -> Plant:
    """The Robokids plant: parts, nodes, robot, their BOMs and routings, parts on the shelf in FIFO lots."""
    items = make_items()
    main = f.warehouse("MAIN")
    centres = make_centres()
    for parent, lines in BOMS.items():
        make_bom(items, parent, lines)
    if with_routings:
        for item, ops in ROUTINGS.items():
            make_routing(items, centres, item, ops)
    if lots:  # one receipt: each line is a lot, FIFO in line order
        f.receipt(main, [(items[code], qty, cost) for code, qty, cost in lots], on=date(2026, 10, 1))
    return Plant(items, main, centres)


def order_for(plant: Plant, code: str, qty, **kw) -> ProductionOrder:
    return create_order(db.session, OrderInput(plant[code].id, str(qty), plant.main.id, order_date=DAY, **kw))


def child(children, plant, code):
    return next(c for c in children if c.item_id == plant[code].id)


# --- the example -------------------------------------------------------------------------------


def test_robots_from_parts_through_child_orders_exact_costs(session):
    plant = build_plant()
    robot = order_for(plant, "ROBOT", 3)
    result = release_order(session, robot.id)
    kids = result.children
    assert {(c.item.code, c.qty) for c in kids} == {("N-CHASSIS", D(3)), ("N-BRAIN", D(3)), ("N-DRIVE", D(6))}
    assert all(c.parent_id == robot.id and c.state == "released" and c.number for c in kids)
    assert result.shortages == []
    # the parent can't be completed before its children
    with pytest.raises(DomainError, match="waits for its child orders"):
        complete_order(session, robot.id, "3", DAY)

    brain = complete_order(session, child(kids, plant, "N-BRAIN").id, "3", DAY)
    # CPU 2 @ 1800 + 1 @ 1900 = 5500; MB 3 @ 2350 = 7050; SBIO 3 @ 640 = 1920; SEN 6 @ 175 = 1050
    assert brain.material_cost == D("15520")
    # soldering 3 x 30 = 90 min: labour 90 x 540 / 60 = 810, overhead 90 x 240 / 60 = 360
    assert (brain.labour_cost, brain.overhead_cost) == (D("810"), D("360"))
    assert brain.output_value == D("16690")

    drive = complete_order(session, child(kids, plant, "N-DRIVE").id, "6", DAY)
    # MOT 4 @ 410 + 8 @ 415.50 = 4964; WHEEL 12 @ 72 = 864; BOLT 6 x 8 x 1.05 = 50.4 @ 2.40 = 120.96
    assert drive.material_cost == D("5948.96")
    # set-up 15 + 6 x 20 = 135 min: labour 1350, overhead 675
    assert (drive.labour_cost, drive.overhead_cost) == (D("1350"), D("675"))

    chassis = complete_order(session, child(kids, plant, "N-CHASSIS").id, "3", DAY)
    # CASE 3 @ 880 = 2640; WHEEL 12 @ 72 = 864; BOLT 48 @ 2.40 = 115.20; PAINT 0.15 l @ 630 = 94.50
    assert chassis.material_cost == D("3713.70")
    assert (chassis.labour_cost, chassis.overhead_cost) == (D("350"), D("150"))

    done = complete_order(session, robot.id, "3", DAY)
    # nodes at what they cost: 4213.70 + 16690 + 7973.96; BOLT 36: the last 1.6 of the 2.40 lot (its
    # remaining 3.84) + 34.4 @ 2.45 = 84.28 -> 88.12
    assert done.material_cost == D("4213.70") + D("16690") + D("7973.96") + D("88.12")
    # assembly 30 + 3 x 45 = 165 min (1650 + 825), test 45 min (360 + 90), firmware 10 + 15 = 25 min (150 + 25)
    assert (done.labour_cost, done.overhead_cost) == (D("2160"), D("940"))
    assert done.output_value == D("32065.78")
    lot = session.scalars(select(StockLot).where(StockLot.item_id == plant["ROBOT"].id)).one()
    assert lot.qty == D(3) and lot.value == D("32065.78") and lot.unit_cost == D("10688.5933")
    session.expire_all()
    robot = session.get(ProductionOrder, robot.id)
    assert robot.state == "done" and robot.qty_done == D(3)
    assert f.balance(plant["N-BRAIN"], plant.main) == (D(0), D(0))
    assert verify_stock(session) == []


def test_cost_of_output_is_ledger_cost_consumed_plus_labour(session):
    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 5)
    release_order(session, order.id)
    rec = complete_order(session, order.id, "5", DAY)
    moves = session.scalars(select(StockMove).where(StockMove.doc_type == "production",
                                                    StockMove.doc_id == rec.id)).all()
    consumed = -sum(m.value for m in moves if m.qty < 0)
    produced = sum(m.value for m in moves if m.qty > 0)
    assert consumed == rec.material_cost
    assert produced == consumed + rec.labour_cost + rec.overhead_cost


def test_reported_times_replace_the_plan_and_setup_is_charged_once(session):
    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 6)
    release_order(session, order.id)
    op = session.get(ProductionOrder, order.id).operations[0]
    # 4 drives took 18 minutes of set-up and 100 minutes of run time: 25 min per unit
    report_operation(session, op.id, "4", setup_minutes="18", run_minutes="100")
    first = complete_order(session, order.id, "2", DAY)
    # 18 + 2 x 25 = 68 min: labour 68 x 600 / 60 = 680, overhead 340
    assert (first.labour_cost, first.overhead_cost) == (D("680"), D("340"))
    second = complete_order(session, order.id, "4", DAY)
    assert (second.labour_cost, second.overhead_cost) == (D("1000"), D("500"))  # 4 x 25 min, no second set-up
    session.expire_all()
    order = session.get(ProductionOrder, order.id)
    assert order.state == "done" and order.qty_done == D(6)
    assert order.actual_labour == D("1680")
    # planned: 15 + 6 x 20 = 135 min -> 1350 labour
    assert order.planned_labour == D("1350") and order.planned_overhead == D("675")


def test_planned_vs_actual(session):
    from app.services.production.costing import comparison

    plant = build_plant()
    order = order_for(plant, "N-BRAIN", 2)
    release_order(session, order.id)
    # standard costs: 1850 + 2400 + 650 + 2 x 180 = 5260 per unit
    assert session.get(ProductionOrder, order.id).planned_material == D("10520")
    complete_order(session, order.id, "1", DAY)
    session.expire_all()
    lines = {c.key: c for c in comparison(session.get(ProductionOrder, order.id))}
    # one brain actually cost CPU 1800 + MB 2350 + SBIO 640 + SEN 350 = 5140
    assert lines["material"].planned_done == D("5260") and lines["material"].actual == D("5140")
    assert lines["material"].variance == D("-120")
    assert lines["labour"].planned_done == lines["labour"].actual == D("270")
    assert lines["total"].actual == D("5140") + D("270") + D("120")


def test_partial_completion_and_completing_twice(session):
    plant = build_plant()
    order = order_for(plant, "N-BRAIN", 3)
    release_order(session, order.id)
    complete_order(session, order.id, "1", DAY)
    with pytest.raises(DomainError, match="at most 2"):
        complete_order(session, order.id, "2.5", DAY)
    complete_order(session, order.id, "2", DAY)
    before = f.row_counts()
    with pytest.raises(DomainError, match="is “Done”: “Completion” is possible only in these states: Released, In"):
        complete_order(session, order.id, "1", DAY)
    assert f.row_counts() == before
    assert f.balance(plant["N-BRAIN"], plant.main)[0] == D(3)
    assert len(session.get(ProductionOrder, order.id).completions) == 2


@pytest.mark.parametrize("qty", ["0", "-1", "abc", "NaN", "1e400"])
def test_zero_negative_and_junk_quantities_refused(session, qty):
    plant = build_plant()
    order = order_for(plant, "N-BRAIN", 2)
    release_order(session, order.id)
    before = f.row_counts()
    with pytest.raises(DomainError):
        complete_order(session, order.id, qty, DAY)
    assert f.row_counts() == before
    with pytest.raises(DomainError):
        order_for(plant, "N-BRAIN", qty)


def test_missing_component_refuses_completion_and_lists_shortages(session):
    plant = build_plant(lots=[("CPU", 1, "1800"), ("MB", 5, "2350"), ("SBIO", 1, "640")])
    other = f.warehouse("SPARE")
    f.receipt(other, [(plant["CPU"], 4, "1950")])
    order = order_for(plant, "N-BRAIN", 2)
    release_order(session, order.id)
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        complete_order(session, order.id, "2", DAY)
    text = "\n".join(exc.value.messages())
    assert "Not enough CPU in MAIN: required 2, available 1; in other warehouses: SPARE: 4" in text
    assert "Not enough SBIO" in text and "Not enough SEN in MAIN: required 4, available 0" in text
    assert "MB" not in text
    assert f.row_counts() == before
    assert session.scalar(select(ProductionCompletion.id)) is None
    assert f.balance(plant["CPU"], plant.main) == (D(1), D(1800))


def test_cancel_done_order_reverses_its_moves(session):
    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 2)
    release_order(session, order.id)
    before = {code: f.balance(plant[code], plant.main) for code in ("MOT", "WHEEL", "BOLT", "N-DRIVE")}
    complete_order(session, order.id, "2", DAY)
    assert f.balance(plant["N-DRIVE"], plant.main)[0] == D(2)
    cancel_order(session, order.id, date(2026, 11, 3))
    after = {code: f.balance(plant[code], plant.main) for code in before}
    assert after == before
    session.expire_all()
    order = session.get(ProductionOrder, order.id)
    assert order.state == "cancelled" and order.completions[0].state == "cancelled"
    reversals = session.scalars(select(StockMove).where(StockMove.kind == "reversal")).all()
    assert len(reversals) == 4 and all(m.move_date == date(2026, 11, 3) for m in reversals)
    assert verify_stock(session) == []
    with pytest.raises(DomainError, match="is “Cancelled”: “Cancelling” is possible only"):
        cancel_order(session, order.id)


def test_cancel_child_whose_nodes_were_used_is_refused(session):
    plant = build_plant()
    robot = order_for(plant, "ROBOT", 1)
    kids = release_order(session, robot.id).children
    for kid in kids:
        complete_order(session, kid.id, str(kid.qty), DAY)
    done = complete_order(session, robot.id, "1", DAY)
    drive = child(kids, plant, "N-DRIVE")
    with pytest.raises(DomainError) as exc:
        cancel_order(session, drive.id, DAY)
    assert done.number in str(exc.value)
    cancel_order(session, robot.id, DAY)  # the robot first gives the nodes back
    cancel_order(session, drive.id, DAY)
    assert f.balance(plant["N-DRIVE"], plant.main) == (D(0), D(0))
    assert verify_stock(session) == []


def test_cancel_released_parent_cancels_idle_children(session):
    plant = build_plant()
    robot = order_for(plant, "ROBOT", 2)
    kids = release_order(session, robot.id).children
    brain = child(kids, plant, "N-BRAIN")
    complete_order(session, brain.id, "2", DAY)
    cancel_order(session, robot.id, DAY)
    session.expire_all()
    states = {k.item.code: session.get(ProductionOrder, k.id).state for k in kids}
    assert states == {"N-BRAIN": "done", "N-DRIVE": "cancelled", "N-CHASSIS": "cancelled"}
    assert f.balance(plant["N-BRAIN"], plant.main)[0] == D(2)  # what was made stays made


def test_release_only_once_and_only_with_a_bom(session):
    plant = build_plant()
    order = order_for(plant, "N-BRAIN", 1)
    release_order(session, order.id)
    with pytest.raises(DomainError, match="is “Released”: “Release” is possible only in these states: Draft"):
        release_order(session, order.id)
    no_bom = order_for(plant, "CPU", 1)
    with pytest.raises(DomainError, match="No active bill of materials for CPU"):
        release_order(session, no_bom.id)
    assert session.get(ProductionOrder, no_bom.id).state == "draft"


def test_child_orders_to_any_depth_and_shared_parts_counted_once(session):
    from app.services.production import add_bom_line, order_tree

    plant = build_plant(lots=[("BOLT", 40, "2.40"), ("CPU", 1, "1800")])
    gear = Item(code="GEAR", name="Gearbox", kind="node", unit=f.unit())
    session.add(gear)
    session.commit()
    make_bom(plant.items | {"GEAR": gear}, "GEAR", [("BOLT", "4")])
    drive_bom = session.scalar(select(Bom).where(Bom.item_id == plant["N-DRIVE"].id))
    add_bom_line(session, drive_bom.id, BomLineInput(gear.id, "1"))
    robot = order_for(plant, "ROBOT", 2)
    result = release_order(session, robot.id)
    by_item = {c.item.code: c for c in result.children}
    assert set(by_item) == {"N-CHASSIS", "N-BRAIN", "N-DRIVE", "GEAR"}
    assert by_item["GEAR"].parent_id == by_item["N-DRIVE"].id and by_item["GEAR"].qty == D(4)
    # bolts: the robot claims 24 of the 40 first; the chassis (32) then lacks 16, the drives and the
    # gearboxes find none left
    bolts = [(s.order, s.required, s.short) for s in result.shortages if s.code == "BOLT"]
    assert bolts == [(by_item["N-CHASSIS"].number, D(32), D(16)), (by_item["N-DRIVE"].number, D("33.6"), D("33.6")),
                     (by_item["GEAR"].number, D(16), D(16))]
    cpu = next(s for s in result.shortages if s.code == "CPU")
    assert (cpu.order, cpu.short) == (by_item["N-BRAIN"].number, D(1))  # one on the shelf, two brains
    tree = order_tree(session, by_item["GEAR"].id)
    assert tree.order.id == robot.id
    assert [(n.depth, n.order.item.code) for n in tree.walk()][-1] == (2, "GEAR")
    with pytest.raises(DomainError, match="waits for its child orders: " + by_item["GEAR"].number):
        complete_order(session, by_item["N-DRIVE"].id, "4", DAY)


def test_cancel_one_output_receipt(session):
    from app.services.production import cancel_completion

    plant = build_plant()
    order = order_for(plant, "N-BRAIN", 3)
    release_order(session, order.id)
    first = complete_order(session, order.id, "1", DAY)
    second = complete_order(session, order.id, "2", DAY)
    assert session.get(ProductionOrder, order.id).state == "done"
    cancel_completion(session, second.id, DAY)
    session.expire_all()
    order = session.get(ProductionOrder, order.id)
    assert order.state == "in_progress" and order.qty_done == D(1)
    assert order.actual_material == first.material_cost
    assert f.balance(plant["N-BRAIN"], plant.main) == (D(1), first.output_value)
    with pytest.raises(DomainError, match="is “Cancelled”: “Cancelling” is possible only in these states: Posted"):
        cancel_completion(session, second.id, DAY)
    again = complete_order(session, order.id, "2", DAY)
    assert again.material_cost == second.material_cost  # the same lots come back and go again
    assert verify_stock(session) == []
