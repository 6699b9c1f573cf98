"""Ledger invariants of FIFO and moving-average valuation under random receive / issue / reverse runs.

Each machine keeps an independent running sum of what went in and out and checks the valuation
against it after every step: no drift, no lot below zero, FIFO order, exact reversals.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.domain.errors import InsufficientStock
from app.domain.money import ZERO, round_money
from app.domain.valuation import (
    AverageCost,
    IssueResult,
    Layer,
    allocate_fifo,
    fifo_reverse,
    receive_layer,
    total_qty,
    total_value,
)

SETTINGS = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def scaled(max_units: int, places: int, minimum: int = 1) -> st.SearchStrategy[Decimal]:
    """Decimals with up to `places` decimals, drawn as integers so they are exact."""
    return st.integers(minimum, max_units * 10**places).map(lambda n: Decimal(n).scaleb(-places))


# round numbers make exact zeros and whole-layer takes likely; the fine ones exercise rounding
QUANTITIES = st.one_of(
    st.sampled_from([Decimal(s) for s in ("1", "2", "3", "0.5", "10", "0.000001")]),
    scaled(50, 6),
)
COSTS = st.one_of(
    st.sampled_from([Decimal(s) for s in ("0", "0.0001", "33.3333", "100", "0.3333")]),
    scaled(1000, 4, minimum=0),
)
RESERVED = st.one_of(st.just(ZERO), QUANTITIES)

Snapshot = list[tuple[object, Decimal, Decimal, Decimal]]


def snapshot(layers: list[Layer]) -> Snapshot:
    return [(lay.lot_id, lay.qty_remaining, lay.value_remaining, lay.unit_cost) for lay in layers]


class FifoMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.layers: list[Layer] = []
        self.received_qty: list[Decimal] = []  # per layer, to tell which layers were touched
        self.expected_qty = ZERO
        self.expected_value = ZERO
        self.issues: list[tuple[IssueResult, Snapshot]] = []

    @rule(qty=QUANTITIES, unit_cost=COSTS)
    def receive(self, qty: Decimal, unit_cost: Decimal) -> None:
        layer = receive_layer(len(self.layers), qty, unit_cost)
        assert layer.value_remaining == round_money(qty * unit_cost)
        self.layers.append(layer)
        self.received_qty.append(qty)
        self.expected_qty += qty
        self.expected_value += layer.value_remaining

    @rule(qty=QUANTITIES, reserved=RESERVED)
    def issue(self, qty: Decimal, reserved: Decimal) -> None:
        self._issue(qty, reserved)

    @precondition(lambda self: total_qty(self.layers) > ZERO)
    @rule()
    def issue_everything(self) -> None:
        self._issue(total_qty(self.layers), ZERO)

    @precondition(lambda self: total_qty(self.layers) > ZERO)
    @rule(data=st.data())
    def issue_to_the_end_of_a_layer(self, data: st.DataObject) -> None:
        open_layers = [lay for lay in self.layers if lay.qty_remaining > ZERO]
        count = data.draw(st.integers(1, len(open_layers)), label="layers")
        self._issue(sum((lay.qty_remaining for lay in open_layers[:count]), ZERO), ZERO)

    def _issue(self, qty: Decimal, reserved: Decimal) -> None:
        before = snapshot(self.layers)
        available = total_qty(self.layers) - reserved
        if qty > available:
            with pytest.raises(InsufficientStock) as info:
                allocate_fifo(self.layers, qty, reserved=reserved, item_label="X")
            assert info.value.available == max(available, ZERO)
            assert snapshot(self.layers) == before
            return
        result = allocate_fifo(self.layers, qty, reserved=reserved)
        assert result.qty == qty == sum((a.qty for a in result.allocations), ZERO)
        assert result.total_cost == sum((a.cost for a in result.allocations), ZERO)
        self._check_took_oldest_first(before, result)
        self.expected_qty -= qty
        self.expected_value -= result.total_cost
        self.issues.append((result, before))

    def _check_took_oldest_first(self, before: Snapshot, result: IssueResult) -> None:
        open_lots = [lot for lot, qty, _, _ in before if qty > ZERO]
        taken = [a.lot_id for a in result.allocations]
        assert taken == open_lots[: len(taken)]
        by_lot = {lay.lot_id: lay for lay in self.layers}
        assert all(by_lot[lot].qty_remaining == ZERO for lot in taken[:-1])

    @precondition(lambda self: self.issues)
    @rule()
    def reverse_last_issue(self) -> None:
        result, before = self.issues.pop()
        fifo_reverse(self.layers, result.allocations)
        # layers received since then are untouched; the older ones are back where they were
        assert snapshot(self.layers)[: len(before)] == before
        self.expected_qty += result.qty
        self.expected_value += result.total_cost

    @invariant()
    def value_equals_independent_sum(self) -> None:
        assert total_value(self.layers) == self.expected_value
        assert total_qty(self.layers) == self.expected_qty

    @invariant()
    def no_layer_below_zero(self) -> None:
        for lay in self.layers:
            assert lay.qty_remaining >= ZERO
            assert lay.value_remaining >= ZERO
            assert lay.qty_remaining > ZERO or lay.value_remaining == ZERO
            assert lay.value_remaining == round_money(lay.value_remaining)

    @invariant()
    def fifo_order(self) -> None:
        touched = [i for i, lay in enumerate(self.layers) if lay.qty_remaining < self.received_qty[i]]
        if touched:
            assert all(lay.qty_remaining == ZERO for lay in self.layers[: touched[-1]])


class AverageMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.avg = AverageCost()
        self.expected_qty = ZERO
        self.expected_value = ZERO
        self.issues: list[tuple[Decimal, Decimal]] = []
        self.last: tuple[str, Decimal, Decimal, AverageCost] | None = None

    def _copy(self) -> AverageCost:
        return AverageCost(self.avg.qty, self.avg.value, self.avg.last_unit_cost)

    @rule(qty=QUANTITIES, unit_cost=COSTS)
    def receive(self, qty: Decimal, unit_cost: Decimal) -> None:
        before = self._copy()
        receipt = self.avg.receive(qty, unit_cost)
        assert receipt.receipt_value == round_money(qty * unit_cost)
        if before.qty >= ZERO:
            assert receipt.revaluation == ZERO
        self.expected_qty += qty
        self.expected_value += receipt.value_added
        self.last = ("receipt", qty, receipt.value_added, before)

    @rule(qty=QUANTITIES)
    def issue(self, qty: Decimal) -> None:
        self._issue(qty)

    @precondition(lambda self: self.avg.qty > ZERO)
    @rule()
    def issue_everything(self) -> None:
        value = self.avg.value
        assert self._issue(self.avg.qty) == value

    def _issue(self, qty: Decimal) -> Decimal:
        before = self._copy()
        cost = self.avg.issue(qty)
        if ZERO < qty < before.qty:
            assert cost == round_money(before.value * qty / before.qty)
        self.expected_qty -= qty
        self.expected_value -= cost
        self.issues.append((qty, cost))
        self.last = ("issue", qty, cost, before)
        return cost

    @precondition(lambda self: self.last is not None)
    @rule()
    def reverse_last_operation(self) -> None:
        kind, qty, value, before = self.last
        if kind == "issue":
            assert self.avg.reverse_issue(qty, value) == ZERO
            assert self.avg == before  # quantity, value and the remembered average
            self.issues.pop()
            self.expected_qty += qty
            self.expected_value += value
        else:
            assert self.avg.reverse_receipt(qty, value) == ZERO
            assert (self.avg.qty, self.avg.value) == (before.qty, before.value)
            self.expected_qty -= qty
            self.expected_value -= value
        self.last = None

    @precondition(lambda self: self.issues)
    @rule(data=st.data())
    def reverse_an_earlier_issue(self, data: st.DataObject) -> None:
        qty, cost = self.issues.pop(data.draw(st.integers(0, len(self.issues) - 1), label="issue"))
        residual = self.avg.reverse_issue(qty, cost)
        self.expected_qty += qty
        self.expected_value += cost - residual
        self.last = None

    @invariant()
    def balances_equal_independent_sums(self) -> None:
        assert self.avg.qty == self.expected_qty
        assert self.avg.value == self.expected_value
        assert self.avg.value == round_money(self.avg.value)

    @invariant()
    def no_value_without_quantity(self) -> None:
        if self.avg.qty == ZERO:
            assert self.avg.value == ZERO


FifoMachine.TestCase.settings = SETTINGS
AverageMachine.TestCase.settings = SETTINGS
TestFifo = FifoMachine.TestCase
TestAverage = AverageMachine.TestCase
