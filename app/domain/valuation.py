"""Stock valuation: FIFO cost layers and the moving average, as pure Decimal arithmetic.

This module decides what an issue costs and what a receipt adds to the value of stock. It never
reads or writes the database; services feed it rows and write back what it returns.

Both methods keep the value of stock equal, to the last 0.0001, to what went in minus what went
out. A partial take is rounded to money, but the take that empties a lot (or the whole average
stock) takes exactly the value that is left, so rounding never accumulates. Tryton prices every
take as quantity x unit cost and drifts 2.74 on 295,970; we don't.

How services use it (the stock ledger stays the source of truth, DESIGN principle 1):

FIFO (lots are cost layers, principle 2)
    1. Load the item's lots that still hold stock, in FIFO order (received_at, id), with
       SELECT ... FOR UPDATE; build one Layer per lot, remaining = lot quantity minus consumption.
    2. result = allocate_fifo(layers, qty, reserved=..., item_label=..., line=...). On
       InsufficientStock nothing was changed: collect the problem with the others and raise once.
    3. Write one consumption row per Allocation (issue move, lot_id, qty, cost; the lot's unit cost
       is layer.unit_cost) and post the issue move at result.total_cost.
    4. Cancelling the issue posts the reversal of the same allocations; fifo_reverse(layers,
       allocations) gives the quantities and values back to the lots, exactly.

Moving average (negative stock allowed, corrected when goods arrive)
    1. Lock the item/warehouse balance row and build AverageCost(qty, value, last_unit_cost).
    2. receive() returns an AverageReceipt: value_added goes on the receipt move; revaluation is
       a cost adjustment of issues made while stock was negative. issue() returns the cost.
    3. Write qty, value and last_unit_cost back to the balance row, which is a cache of the ledger.
    4. Cancelling posts the same quantity and value with the opposite sign: reverse_issue(),
       reverse_receipt(), or apply() for anything else.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from app.domain.errors import DomainError, InsufficientStock, Problem
from app.domain.money import ZERO, round_money

MSG_QTY_NOT_POSITIVE = "Quantity must be positive"
MSG_UNIT_COST_NEGATIVE = "Unit cost cannot be negative"
MSG_UNKNOWN_LOT = "Lot %(lot)s of the cancelled issue is not among the loaded lots"

# A quantity (18 digits) times a unit cost (18 digits) must be exact before it is rounded to money;
# the default 28-digit context could cut it and shift a half-up tie.
_PRECISION = 60


def _decimal(value: Decimal | int) -> Decimal:
    """Accept Decimal or int; a float here is a bug upstream (principle 5), so refuse it loudly."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    return Decimal(value)


def _require_positive(qty: Decimal, line: int | None = None) -> None:
    """Refuse zero, negative and non-finite quantities: they would post empty or inverted moves."""
    if not qty.is_finite() or qty <= ZERO:
        raise DomainError(Problem(MSG_QTY_NOT_POSITIVE, {"qty": qty}, line=line))


def _require_cost(unit_cost: Decimal, line: int | None = None) -> None:
    """A negative cost would let a receipt lower the value of stock below what is physically there."""
    if not unit_cost.is_finite() or unit_cost < ZERO:
        raise DomainError(Problem(MSG_UNIT_COST_NEGATIVE, {"unit_cost": unit_cost}, line=line))


def _money(factor: Decimal, other: Decimal, divisor: Decimal = Decimal(1)) -> Decimal:
    """round_money(factor * other / divisor), with enough precision that only the final rounding counts."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return round_money(factor * other / divisor)


# --- FIFO ------------------------------------------------------------------------------------


@dataclass
class Layer:
    """One FIFO cost layer (a lot): what is left of it and what the books say that is worth.

    value_remaining is money, already rounded. The take that empties the layer takes it whole
    instead of recomputing quantity x unit cost, so the layers always add up to the stock value.
    received_at is informational: allocate_fifo consumes layers in the order it is given them.
    """

    lot_id: Hashable
    qty_remaining: Decimal
    value_remaining: Decimal
    unit_cost: Decimal
    received_at: Any = None


@dataclass(frozen=True)
class Allocation:
    """The part of an issue taken from one lot: becomes one consumption row."""

    lot_id: Hashable
    qty: Decimal
    cost: Decimal


@dataclass(frozen=True)
class IssueResult:
    """What an issue took and what it cost; total_cost is the sum of the allocations' costs."""

    allocations: list[Allocation] = field(default_factory=list)
    total_cost: Decimal = ZERO
    qty: Decimal = ZERO


def receive_layer(
    lot_id: Hashable, qty: Decimal, unit_cost: Decimal, received_at: Any = None, line: int | None = None
) -> Layer:
    """A new lot: its value is rounded to money once, here, and never recomputed afterwards."""
    qty, unit_cost = _decimal(qty), _decimal(unit_cost)
    _require_positive(qty, line)
    _require_cost(unit_cost, line)
    return Layer(lot_id, qty, _money(qty, unit_cost), unit_cost, received_at)


def total_qty(layers: Iterable[Layer]) -> Decimal:
    """Quantity the layers still hold (empty layers count as nothing)."""
    return sum((layer.qty_remaining for layer in layers if layer.qty_remaining > ZERO), ZERO)


def total_value(layers: Iterable[Layer]) -> Decimal:
    """Value of the stock: exactly the sum of what the lots still carry."""
    return sum((layer.value_remaining for layer in layers), ZERO)


def _take_cost(layer: Layer, qty: Decimal) -> Decimal:
    """Cost of taking qty from a layer.

    Emptying the layer takes its whole remaining value (no drift). A partial take is qty x unit
    cost rounded half-up, capped at the remaining value: many small takes that all round up could
    otherwise overdraw the lot and leave it with a negative value.
    """
    if qty >= layer.qty_remaining:
        return layer.value_remaining
    return min(_money(qty, layer.unit_cost), layer.value_remaining)


def _plan(layers: Sequence[Layer], qty: Decimal) -> list[tuple[Layer, Allocation]]:
    """Decide the takes, oldest layer first, without touching the layers yet."""
    plan: list[tuple[Layer, Allocation]] = []
    left = qty
    for layer in layers:
        if left <= ZERO:
            break
        if layer.qty_remaining <= ZERO:
            continue
        take = min(left, layer.qty_remaining)
        plan.append((layer, Allocation(layer.lot_id, take, _take_cost(layer, take))))
        left -= take
    return plan


def allocate_fifo(
    layers: Sequence[Layer],
    qty: Decimal,
    reserved: Decimal = ZERO,
    item_label: str = "",
    line: int | None = None,
) -> IssueResult:
    """Issue qty from the layers, oldest first (the order given), and consume them in place.

    Quantity reserved for other documents cannot be issued. If the layers can't cover the issue,
    raise InsufficientStock and leave every layer untouched, so a service can go on validating the
    other lines and report all problems at once. `available` in the error is never below zero.
    """
    qty, reserved = _decimal(qty), _decimal(reserved)
    _require_positive(qty, line)
    available = total_qty(layers) - reserved
    if qty > available:
        raise InsufficientStock(item_label, requested=qty, available=max(available, ZERO), line=line)
    plan = _plan(layers, qty)
    for layer, allocation in plan:
        layer.qty_remaining -= allocation.qty
        layer.value_remaining -= allocation.cost
    allocations = [allocation for _, allocation in plan]
    return IssueResult(allocations, sum((a.cost for a in allocations), ZERO), qty)


def fifo_reverse(layers: Sequence[Layer], allocations: Iterable[Allocation]) -> None:
    """Give an issue's quantities and values back to its lots (the issue document was cancelled).

    The same quantity and value come back that went out, so the lots return to their earlier
    balances exactly. All lots are checked before any is changed.
    """
    allocations = list(allocations)
    by_lot: dict[Hashable, Layer] = {}
    for layer in layers:
        by_lot.setdefault(layer.lot_id, layer)
    missing = [a.lot_id for a in allocations if a.lot_id not in by_lot]
    if missing:
        raise DomainError([Problem(MSG_UNKNOWN_LOT, {"lot": lot}) for lot in missing])
    for allocation in allocations:
        layer = by_lot[allocation.lot_id]
        layer.qty_remaining += allocation.qty
        layer.value_remaining += allocation.cost


# --- Moving average --------------------------------------------------------------------------


@dataclass(frozen=True)
class AverageReceipt:
    """What a receipt did to an average-cost stock.

    value_added: the change in the value of stock; post it on the receipt move.
    revaluation: the part of the receipt's value that corrects issues made while stock was
        negative. Those units left at the last known average cost; now their real cost is known.
        Positive means they were undercharged. Post it as a cost adjustment, not to stock.
    value_added + revaluation == round_money(qty * unit_cost), the receipt's own value.
    """

    value_added: Decimal
    revaluation: Decimal = ZERO

    @property
    def receipt_value(self) -> Decimal:
        return self.value_added + self.revaluation


@dataclass
class AverageCost:
    """Moving-average valuation of one item in one warehouse: a running quantity and value.

    Quantity may go negative (goods issued before their receipt was entered); a later receipt
    settles the hole at its own cost and reports the difference as a revaluation. Whenever qty is
    zero, value is exactly zero. last_unit_cost is the average at the last moment stock was
    positive (or the value given at construction; 0 if never known); it prices issues beyond stock.
    """

    qty: Decimal = ZERO
    value: Decimal = ZERO
    last_unit_cost: Decimal = ZERO

    def __post_init__(self) -> None:
        self.qty, self.value = _decimal(self.qty), _decimal(self.value)
        self.last_unit_cost = _decimal(self.last_unit_cost)
        if self.qty == ZERO and self.value != ZERO:
            raise ValueError(f"an empty stock cannot have a value ({self.value})")
        self._remember()

    @property
    def unit_cost(self) -> Decimal:
        """The current average; with no stock on hand, the last one known."""
        return self.value / self.qty if self.qty > ZERO else self.last_unit_cost

    def _remember(self) -> None:
        """Keep the average while stock is positive: an issue beyond stock will need it."""
        if self.qty > ZERO:
            self.last_unit_cost = self.value / self.qty

    def receive(self, qty: Decimal, unit_cost: Decimal) -> AverageReceipt:
        """Add a receipt of qty at unit_cost; see AverageReceipt for what the two figures mean."""
        qty, unit_cost = _decimal(qty), _decimal(unit_cost)
        _require_positive(qty)
        _require_cost(unit_cost)
        receipt_value = _money(qty, unit_cost)
        if self.qty >= ZERO:
            receipt = AverageReceipt(receipt_value)
        else:
            receipt = self._settle_negative(qty, unit_cost, receipt_value)
        self.qty += qty
        self.value += receipt.value_added
        self._remember()
        return receipt

    def _settle_negative(self, qty: Decimal, unit_cost: Decimal, receipt_value: Decimal) -> AverageReceipt:
        """Split a receipt into the units that fill the hole and the rest.

        The filling units cancel the negative stock at the value it was issued at (the whole
        negative value when the hole closes, so value is 0 when qty is 0); the difference from
        their receipt cost is the revaluation. The rest goes into stock at the receipt cost.
        """
        hole = -self.qty
        fill = min(qty, hole)
        fill_value = receipt_value if fill == qty else _money(fill, unit_cost)
        issued_value = -self.value if fill == hole else _money(-self.value, fill, hole)
        rest_value = receipt_value - fill_value
        return AverageReceipt(issued_value + rest_value, fill_value - issued_value)

    def issue(self, qty: Decimal) -> Decimal:
        """Take qty out of stock and return its cost.

        From positive stock the cost is the proportional share of the value; taking the whole
        quantity takes the whole value (no drift). Units beyond stock cost the last known average.
        """
        qty = _decimal(qty)
        _require_positive(qty)
        if self.qty <= ZERO:
            cost = _money(qty, self.last_unit_cost)
        elif qty < self.qty:
            cost = _money(self.value, qty, self.qty)
        else:
            cost = self.value + _money(qty - self.qty, self.last_unit_cost)
        self.qty -= qty
        self.value -= cost
        self._remember()
        return cost

    def apply(self, qty_delta: Decimal, value_delta: Decimal) -> Decimal:
        """Post a raw movement (a reversal, a correction) and return the value written off.

        Reversing the last operation restores the earlier state exactly. Reversing an older one
        (a receipt cancelled after stock was issued at a different average) can leave value with
        no quantity, or value of the wrong sign (units missing yet worth something); that residual
        is taken out so value always has the sign of qty (qty == 0 means value == 0), and returned
        so the service posts it as a cost adjustment (positive: value removed from stock).
        """
        self.qty += _decimal(qty_delta)
        self.value += _decimal(value_delta)
        residual = ZERO
        if self.value != ZERO and (self.qty == ZERO or (self.qty > ZERO) != (self.value > ZERO)):
            residual, self.value = self.value, ZERO
        self._remember()
        return residual

    def reverse_issue(self, qty: Decimal, cost: Decimal) -> Decimal:
        """Cancel an issue: the same quantity and cost come back. Returns apply()'s residual."""
        qty = _decimal(qty)
        _require_positive(qty)
        return self.apply(qty, cost)

    def reverse_receipt(self, qty: Decimal, value_added: Decimal) -> Decimal:
        """Cancel a receipt: take out its quantity and the value_added it posted to stock.

        Its revaluation, if any, was posted as a separate cost adjustment; the service reverses
        that posting itself. Returns apply()'s residual.
        """
        qty = _decimal(qty)
        _require_positive(qty)
        return self.apply(-qty, -_decimal(value_added))
