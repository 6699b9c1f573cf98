"""FIFO and moving-average valuation: hand-computed Decimal tables (app.domain.valuation)."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from app.domain.errors import DomainError, InsufficientStock
from app.domain.valuation import (
    Allocation,
    AverageCost,
    AverageReceipt,
    Layer,
    allocate_fifo,
    fifo_reverse,
    receive_layer,
    total_qty,
    total_value,
)

D = Decimal


def make_layers(*receipts: tuple[str, str]) -> list[Layer]:
    """Lots A, B, C... from (qty, unit_cost) pairs, in FIFO order."""
    return [receive_layer(chr(ord("A") + i), D(q), D(c)) for i, (q, c) in enumerate(receipts)]


def balances(layers: list[Layer]) -> list[tuple[object, Decimal, Decimal]]:
    return [(layer.lot_id, layer.qty_remaining, layer.value_remaining) for layer in layers]


# --- FIFO ------------------------------------------------------------------------------------

TEXTBOOK = (("10", "100"), ("5", "110"), ("10", "120"))


@pytest.mark.parametrize(
    ("receipts", "issues", "expected_costs", "expected_remaining_value"),
    [
        # the textbook: 12 = 10@100 + 2@110; 8 = 3@110 + 5@120; left 5@120
        (TEXTBOOK, ["12", "8"], ["1220", "930"], "600"),
        (TEXTBOOK, ["25"], ["2750"], "0"),  # 1000 + 550 + 1200
        (TEXTBOOK, ["10", "5", "10"], ["1000", "550", "1200"], "0"),
        # 3 x 33.3333 = 99.9999; each unit costs 33.3333 and they add up to the lot exactly
        ((("3", "33.3333"),), ["1", "1", "1"], ["33.3333", "33.3333", "33.3333"], "0"),
        # halves round up to 16.6667 (x5 = 83.3335); the last half takes what is left: 16.6664.
        # Pricing every take as qty x cost would total 100.0002, 0.0003 more than the lot holds.
        (
            (("3", "33.3333"),),
            ["0.5"] * 6,
            ["16.6667"] * 5 + ["16.6664"],
            "0",
        ),
        # unit cost finer than money: the lot is 100.0001, the takes 33.3334 + 33.3334 + 33.3333
        ((("3", "33.33335"),), ["1", "1", "1"], ["33.3334", "33.3334", "33.3333"], "0"),
        # 2.5 @ 0.0001 = 0.0003; every 0.5 rounds up to 0.0001, so the 4th take is capped at what
        # is left (0) rather than overdrawing the lot, and the last (whole) take is 0 too
        ((("2.5", "0.0001"),), ["0.5"] * 5, ["0.0001"] * 3 + ["0", "0"], "0"),
        # a partial issue leaves the rest of the lot valued at its own remainder
        ((("7", "0.3333"),), ["2"], ["0.6666"], "1.6665"),
    ],
)
def test_fifo_issue_costs(receipts, issues, expected_costs, expected_remaining_value):
    layers = make_layers(*receipts)
    lot_value = total_value(layers)
    costs = [allocate_fifo(layers, D(q)).total_cost for q in issues]
    assert costs == [D(c) for c in expected_costs]
    assert total_value(layers) == D(expected_remaining_value)
    assert sum(costs, D(0)) + total_value(layers) == lot_value


def test_fifo_textbook_allocations():
    layers = make_layers(*TEXTBOOK)
    first = allocate_fifo(layers, D(12))
    second = allocate_fifo(layers, D(8))
    assert first.allocations == [Allocation("A", D(10), D(1000)), Allocation("B", D(2), D(220))]
    assert (first.qty, first.total_cost) == (D(12), D(1220))
    assert second.allocations == [Allocation("B", D(3), D(330)), Allocation("C", D(5), D(600))]
    assert balances(layers) == [("A", 0, 0), ("B", 0, 0), ("C", D(5), D(600))]


@pytest.mark.parametrize(
    ("qty", "unit_cost", "expected_value"),
    [
        ("10", "100", "1000"),
        ("3", "33.3333", "99.9999"),
        ("0.333333", "3", "1.0000"),
        ("1", "0.00005", "0.0001"),
    ],
)
def test_receive_layer_rounds_value_once(qty, unit_cost, expected_value):
    layer = receive_layer(7, D(qty), D(unit_cost), received_at="2024-01-01")
    assert layer == Layer(7, D(qty), D(expected_value), D(unit_cost), "2024-01-01")


def test_fifo_skips_empty_layers():
    layers = make_layers(*TEXTBOOK)
    layers[0].qty_remaining = layers[0].value_remaining = D(0)
    result = allocate_fifo(layers, D(6))
    assert result.allocations == [Allocation("B", D(5), D(550)), Allocation("C", D(1), D(120))]


@pytest.mark.parametrize(
    ("qty", "reserved", "available"),
    [
        # 25 received, 3 already issued: 22 left
        ("23", "0", "22"),
        ("22.000001", "0", "22"),
        ("18", "5", "17"),  # reserved stock cannot be issued
        ("1", "22", "0"),
        ("1", "30", "0"),  # over-reserved: available is reported as 0, never negative
    ],
)
def test_fifo_insufficient_stock_changes_nothing(qty, reserved, available):
    layers = make_layers(*TEXTBOOK)
    allocate_fifo(layers, D(3))  # a partly consumed lot must come out of the failure untouched too
    before = copy.deepcopy(layers)
    with pytest.raises(InsufficientStock) as info:
        allocate_fifo(layers, D(qty), reserved=D(reserved), item_label="Bolt M8", line=3)
    assert layers == before
    error = info.value
    assert (error.item, error.requested, error.available) == ("Bolt M8", D(qty), D(available))
    assert error.problems[0].line == 3
    assert error.messages() == [
        f"Line 3: Insufficient stock of Bolt M8: requested {D(qty)}, available {D(available)}"
    ]


def test_fifo_can_issue_up_to_the_unreserved_quantity():
    layers = make_layers(*TEXTBOOK)
    result = allocate_fifo(layers, D(20), reserved=D(5))
    assert result.total_cost == D(1000 + 550 + 600)
    assert total_qty(layers) == D(5)


@pytest.mark.parametrize("qty", ["0", "-1", "NaN", "Infinity"])
def test_fifo_quantity_must_be_positive(qty):
    layers = make_layers(*TEXTBOOK)
    before = copy.deepcopy(layers)
    with pytest.raises(DomainError) as info:
        allocate_fifo(layers, D(qty), line=2)
    assert not isinstance(info.value, InsufficientStock)
    assert info.value.problems[0].msgid == "Quantity must be positive"
    assert info.value.problems[0].line == 2
    assert layers == before


@pytest.mark.parametrize(("qty", "unit_cost"), [("0", "1"), ("-2", "1"), ("1", "-0.0001")])
def test_receive_layer_refuses_bad_input(qty, unit_cost):
    with pytest.raises(DomainError):
        receive_layer("A", D(qty), D(unit_cost))


def test_float_is_refused():
    with pytest.raises(TypeError):
        allocate_fifo(make_layers(*TEXTBOOK), 1.5)  # type: ignore[arg-type]


def test_fifo_reverse_restores_balances_exactly():
    layers = make_layers(("3", "33.3333"), ("5", "110"))
    original = copy.deepcopy(layers)
    first = allocate_fifo(layers, D("0.5"))
    after_first = copy.deepcopy(layers)
    second = allocate_fifo(layers, D("4"))
    fifo_reverse(layers, second.allocations)
    assert layers == after_first
    fifo_reverse(layers, first.allocations)
    assert layers == original


def test_fifo_reverse_with_unknown_lot_changes_nothing():
    layers = make_layers(*TEXTBOOK)
    allocate_fifo(layers, D(12))
    before = copy.deepcopy(layers)
    with pytest.raises(DomainError) as info:
        fifo_reverse(layers, [Allocation("A", D(10), D(1000)), Allocation("Z", D(1), D(1))])
    assert info.value.messages() == ["Lot Z of the cancelled issue is not among the loaded lots"]
    assert layers == before


# --- Moving average --------------------------------------------------------------------------


def state(avg: AverageCost) -> tuple[Decimal, Decimal]:
    return avg.qty, avg.value


def test_average_textbook():
    avg = AverageCost()
    assert avg.receive(D(10), D(100)) == AverageReceipt(D(1000), D(0))
    assert avg.receive(D(10), D(120)) == AverageReceipt(D(1200), D(0))
    assert avg.unit_cost == D(110)
    assert avg.issue(D(5)) == D(550)
    assert state(avg) == (D(15), D(1650))
    assert avg.issue(D(15)) == D(1650)
    assert state(avg) == (D(0), D(0))
    assert avg.unit_cost == D(110)  # remembered for issues beyond stock


@pytest.mark.parametrize(
    ("receipts", "issues", "expected_costs"),
    [
        # avg 50/3: 16.66667 -> 16.6667; then 33.3333/2 = 16.66665 -> 16.6667 (half up); last 16.6666
        ([("1", "10"), ("2", "20")], ["1", "1", "1"], ["16.6667", "16.6667", "16.6666"]),
        ([("3", "33.3333")], ["1", "1", "1"], ["33.3333", "33.3333", "33.3333"]),
        # 1.000000 @ 0.0001 issued as 0.3 + 0.3 + 0.4: 0.00003 -> 0, 0.00003 -> 0, the rest 0.0001
        ([("1", "0.0001")], ["0.3", "0.3", "0.4"], ["0", "0", "0.0001"]),
        ([("2", "0.5"), ("1", "0.2")], ["0.5", "2.5"], ["0.2", "1.0"]),
    ],
)
def test_average_issue_costs_add_up_to_the_value(receipts, issues, expected_costs):
    avg = AverageCost()
    for qty, cost in receipts:
        avg.receive(D(qty), D(cost))
    received = avg.value
    costs = [avg.issue(D(q)) for q in issues]
    assert costs == [D(c) for c in expected_costs]
    assert sum(costs, D(0)) == received
    assert state(avg) == (D(0), D(0))


def test_average_negative_stock_then_receipt_revalues():
    avg = AverageCost()
    avg.receive(D(10), D(100))
    # 10 on hand for 1000, 5 more at the last average 100
    assert avg.issue(D(15)) == D(1500)
    assert state(avg) == (D(-5), D(-500))
    # 8 @ 120 = 960: 5 fill the hole (issued at 500, really 600: revaluation +100),
    # 3 go into stock at 360; the stock's value moves by 500 + 360 = 860
    assert avg.receive(D(8), D(120)) == AverageReceipt(D(860), D(100))
    assert state(avg) == (D(3), D(360))
    assert avg.unit_cost == D(120)


def test_average_hole_filled_in_two_receipts():
    avg = AverageCost(D(-5), D(-500), last_unit_cost=D(100))
    # 2 @ 120 = 240 fill 2/5 of the hole, issued at 200: revaluation +40
    assert avg.receive(D(2), D(120)) == AverageReceipt(D(200), D(40))
    assert state(avg) == (D(-3), D(-300))
    # 3 @ 90 = 270 close it; they were issued at 300: revaluation -30
    receipt = avg.receive(D(3), D(90))
    assert receipt == AverageReceipt(D(300), D(-30))
    assert receipt.receipt_value == D(270)
    assert state(avg) == (D(0), D(0))


def test_average_issue_with_no_cost_history_costs_zero_until_revalued():
    avg = AverageCost()
    assert avg.issue(D(2)) == D(0)
    assert state(avg) == (D(-2), D(0))
    assert avg.receive(D(2), D(50)) == AverageReceipt(D(0), D(100))
    assert state(avg) == (D(0), D(0))


@pytest.mark.parametrize(
    ("start", "issue", "expected_cost", "expected_state"),
    [
        ((D(0), D(0), D(100)), "2", "200", ("-2", "-200")),
        ((D(-1), D(-100), D(100)), "0.5", "50", ("-1.5", "-150")),
        ((D(3), D(100), D(0)), "4", "133.3333", ("-1", "-33.3333")),  # beyond: 1 x 33.33333...
    ],
)
def test_average_issue_beyond_stock_uses_last_average(start, issue, expected_cost, expected_state):
    avg = AverageCost(*start)
    assert avg.issue(D(issue)) == D(expected_cost)
    assert state(avg) == (D(expected_state[0]), D(expected_state[1]))


def test_average_reverse_issue_restores_state_exactly():
    avg = AverageCost()
    avg.receive(D(3), D("33.3333"))
    before = copy.copy(avg)
    cost = avg.issue(D(5))
    assert avg.reverse_issue(D(5), cost) == D(0)
    assert avg == before


def test_average_reverse_receipt_into_negative_restores_state():
    avg = AverageCost(D(-5), D(-500), last_unit_cost=D(100))
    receipt = avg.receive(D(8), D(120))
    assert avg.reverse_receipt(D(8), receipt.value_added) == D(0)
    assert state(avg) == (D(-5), D(-500))


def test_average_out_of_order_reversal_writes_off_residual():
    avg = AverageCost()
    first = avg.receive(D(5), D(100))
    avg.receive(D(5), D(120))
    assert avg.issue(D(5)) == D(550)
    # cancelling the first receipt takes out 5 and 500 of the 550 left: 50 has no quantity
    assert avg.reverse_receipt(D(5), first.value_added) == D(50)
    assert state(avg) == (D(0), D(0))


@pytest.mark.parametrize(("qty", "unit_cost"), [("0", "1"), ("-1", "1"), ("1", "-1")])
def test_average_receive_refuses_bad_input(qty, unit_cost):
    avg = AverageCost(D(1), D(10))
    with pytest.raises(DomainError):
        avg.receive(D(qty), D(unit_cost))
    with pytest.raises(DomainError):
        avg.issue(D(0))
    assert state(avg) == (D(1), D(10))


def test_average_empty_stock_with_value_is_refused():
    with pytest.raises(ValueError):
        AverageCost(D(0), D("0.0001"))
