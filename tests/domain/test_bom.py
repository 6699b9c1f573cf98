"""Pure BOM arithmetic: cycles with their path, explosion with scaling and scrap, where-used, roll-up, sharing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain import bom as b
from app.domain.errors import DomainError

D = Decimal


def spec(item, *lines, out="1"):
    """A BomSpec from (component, qty[, scrap %]) tuples."""
    return b.BomSpec(item, tuple(b.BomLineSpec(ln[0], D(ln[1]), D(ln[2]) if len(ln) > 2 else D(0))
                                 for ln in lines), D(out))


# robot <- chassis, brain, 2 x drive; drive <- 2 motors, 2 wheels, 8 bolts (5% scrap on bolts)
BOOK = {
    "ROBOT": spec("ROBOT", ("CHASSIS", "1"), ("BRAIN", "1"), ("DRIVE", "2"), ("BOLT", "12")),
    "CHASSIS": spec("CHASSIS", ("CASE", "1"), ("BOLT", "16"), ("PAINT", "0.05")),
    "BRAIN": spec("BRAIN", ("CPU", "1"), ("MB", "1")),
    "DRIVE": spec("DRIVE", ("MOT", "2"), ("WHEEL", "2"), ("BOLT", "8", "5")),
}


def test_explosion_scales_every_level_and_applies_scrap():
    ex = b.explode(BOOK, "ROBOT", D(3))
    leaves = ex.leaves()
    assert leaves["MOT"] == D(12)  # 3 robots x 2 drives x 2 motors
    assert leaves["WHEEL"] == D(12)
    # bolts: 3 x 12 on the robot + 3 x 16 on the chassis + 3 x 2 x 8 x 1.05 on the drives
    assert leaves["BOLT"] == D(36) + D(48) + D("50.4")
    assert leaves["PAINT"] == D("0.15")
    assert "DRIVE" not in leaves and ex.gross()["DRIVE"] == D(6)
    assert ex.depth == 2
    assert ex.by_level()[1] == {"CHASSIS": D(3), "BRAIN": D(3), "DRIVE": D(6), "BOLT": D(36)}


def test_output_quantity_divides_and_byproducts_stay_apart():
    book = {}
    book["SHEET"] = b.BomSpec("SHEET", (b.BomLineSpec("STEEL", D(10)),
                                        b.BomLineSpec("OFFCUT", D(2), byproduct=True)), D(4))
    ex = b.explode(book, "SHEET", D(2))
    assert ex.leaves() == {"STEEL": D(5)}
    assert ex.byproducts() == {"OFFCUT": D(1)}


def test_max_levels_stops_the_explosion():
    ex = b.explode(BOOK, "ROBOT", D(1), max_levels=1)
    assert {r.component for r in ex.rows} == {"CHASSIS", "BRAIN", "DRIVE", "BOLT"}


@pytest.mark.parametrize("qty, byproduct, expected", [
    (D("2"), False, (D("2"), False)),
    (D("-2"), False, (D("2"), True)),
    (D("3"), True, (D("3"), True)),
])
def test_negative_quantity_means_byproduct(qty, byproduct, expected):
    assert b.normalise_line(qty, byproduct) == expected


@pytest.mark.parametrize("qty, scrap, problems", [
    (D("1"), D("0"), 0),
    (D("0"), D("0"), 1),
    (None, D("0"), 1),
    (D("1"), D("-1"), 1),
    (D("1"), D("100"), 1),
    (D("0"), D("150"), 2),
])
def test_line_numbers_checked(qty, scrap, problems):
    assert len(b.line_problems(qty, scrap)) == problems


def test_cycle_paths():
    graph = b.edges_of(BOOK)
    assert b.cycle_if_added(graph, "ROBOT", "ROBOT") == ["ROBOT", "ROBOT"]
    assert b.cycle_if_added(graph, "MOT", "ROBOT") == ["MOT", "ROBOT", "DRIVE", "MOT"]
    assert b.cycle_if_added(graph, "CPU", "BRAIN") == ["CPU", "BRAIN", "CPU"]
    assert b.cycle_if_added(graph, "ROBOT", "CPU") is None  # a second path down is not a cycle
    assert b.find_cycle(graph) is None
    graph["CPU"] = {"ROBOT"}
    cycle = b.find_cycle(graph)
    assert cycle[0] == cycle[-1] and set(cycle) == {"ROBOT", "BRAIN", "CPU"}


def test_byproduct_lines_do_not_make_cycles():
    book = {"A": b.BomSpec("A", (b.BomLineSpec("B", D(1)),)),
            "B": b.BomSpec("B", (b.BomLineSpec("C", D(1)), b.BomLineSpec("A", D(1), byproduct=True)))}
    assert b.find_cycle(b.edges_of(book)) is None


def test_explosion_of_a_cyclic_book_stops_with_an_error():
    book = {"A": b.BomSpec("A", (b.BomLineSpec("B", D(1)),)), "B": b.BomSpec("B", (b.BomLineSpec("A", D(1)),))}
    with pytest.raises(DomainError, match="nested deeper"):
        b.explode(book, "A", D(1))


def test_where_used_climbs_to_the_products():
    rows = b.where_used(BOOK, "BOLT")
    got = {(r.level, r.item, r.qty_per_unit) for r in rows}
    assert (1, "ROBOT", D(12)) in got
    assert (1, "CHASSIS", D(16)) in got
    assert (1, "DRIVE", D("8.4")) in got
    assert (2, "ROBOT", D(16)) in got  # through the chassis
    assert (2, "ROBOT", D("16.8")) in got  # through 2 drives
    assert {r.item for r in rows if r.top} == {"ROBOT"}
    assert b.where_used(BOOK, "ROBOT") == []


def test_roll_up_per_level_with_labour():
    costs = {"CASE": D(900), "BOLT": D("2.5"), "PAINT": D(640), "CPU": D(1850), "MB": D(2400), "MOT": D(420),
             "WHEEL": D(75), "CHASSIS": D(99999)}
    labour = {"DRIVE": b.Labour(D(10), D(5)), "ROBOT": b.Labour(D(0), D(100))}
    tree = b.roll_up(BOOK, "ROBOT", D(1), costs, labour)
    by_item = {(n.level, n.item): n for n in tree.walk()}
    chassis = by_item[(1, "CHASSIS")]
    assert chassis.total == D(900) + D(40) + D(32)  # its parts, not its own 99999
    drive = by_item[(1, "DRIVE")]
    # 2 drives: 4 motors, 4 wheels, 16.8 bolts, set-up 10 once, run 5 x 2
    assert drive.material == D(1680) + D(300) + D(42) and drive.labour == D(20)
    assert tree.material == chassis.total + D(4250) + drive.total + D(30)
    assert tree.total == tree.material + D(100)
    assert tree.known


def test_roll_up_marks_missing_costs():
    tree = b.roll_up(BOOK, "BRAIN", D(1), {"CPU": D(10)})
    assert not tree.known and tree.total == D(10)
    assert [n.item for n in tree.walk() if not n.known] == ["BRAIN", "MB"]  # the node inherits it


@pytest.mark.parametrize("total, weights, expected", [
    (D("100"), [D(1), D(2)], [D("33.3333"), D("66.6667")]),
    (D("100"), [D(1), D(1), D(1)], [D("33.3333"), D("33.3333"), D("33.3334")]),
    (D("0.0001"), [D(1), D(1)], [D("0"), D("0.0001")]),
    (D("10"), [D(1), D(0)], [D("10"), D("0")]),  # the remainder goes to the last line that has a weight
    (D("7"), [D(0), D(3)], [D("0"), D("7")]),
])
def test_share_out_adds_up_exactly(total, weights, expected):
    shares = b.share_out(total, weights)
    assert shares == expected and sum(shares) == total


@pytest.mark.parametrize("weights", [[D(0), D(0)], [D(1), D(-1)]])
def test_share_out_refuses_bad_weights(weights):
    with pytest.raises(DomainError):
        b.share_out(D(10), weights)


def test_operations_cost_rounds_once():
    ops = [b.OperationTime(D(10), D(20), D("600"), D("120")), b.OperationTime(D(0), D("0.5"), D("333.33"), D(0))]
    labour, overhead = b.operations_cost(ops)
    assert labour == D("302.7778")  # (30 x 600 + 0.5 x 333.33) / 60 = 18166.665 / 60 = 302.77775
    assert overhead == D("60")
