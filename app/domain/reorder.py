"""Reorder arithmetic: how much to buy, by each method, with the formula written out in numbers.

Pure Decimal functions, no database: the services gather the figures (on hand, reserved, on
order, consumption) and these turn them into a quantity and a human-readable formula, so a buyer
sees exactly how "buy 30" came about and can trust or correct it.

Common terms: available = on hand - reserved; covered = available + on order + already requested.
Rounding always goes up, in three steps each recorded for the buyer: to the unit's precision
(pieces are whole: nobody buys 0.351 of a lidar), to the supplier offer's minimum order quantity,
then to whole packs. Buying less than needed is the failure this module exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
QTY_Q = Decimal("0.000001")
RATE_Q = Decimal("0.0001")


def plain(value: Decimal) -> str:
    """12.500000 -> '12.5', 3 -> '3': numbers inside a formula as people write them."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Stock:
    """What the warehouse has and expects for one item: the inputs every method shares."""

    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    on_order: Decimal = ZERO
    requested: Decimal = ZERO  # in open purchase requests (draft / sent) not counting the line itself

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def covered(self) -> Decimal:
        return self.available + self.on_order + self.requested

    def figures(self) -> dict[str, str]:
        return {"on_hand": plain(self.on_hand), "reserved": plain(self.reserved), "on_order": plain(self.on_order),
                "requested": plain(self.requested), "available": plain(self.available)}


@dataclass(frozen=True)
class Need:
    """A method's answer: the net quantity to buy (before supplier rounding) and how it was found."""

    qty: Decimal
    formula: str
    figures: dict[str, str] = field(default_factory=dict)


def _subtract_covered(target: Decimal, stock: Stock) -> tuple[Decimal, str]:
    """target - available - on order - requested, and the formula's tail."""
    net = target - stock.available - stock.on_order - stock.requested
    text = f"{plain(target)} − {_paren(stock.available)} − {plain(stock.on_order)}"
    if stock.requested:
        text += f" − {plain(stock.requested)}"
    return net, text


def _paren(value: Decimal) -> str:
    return f"({plain(value)})" if value < 0 else plain(value)


def daily_rate(consumed: Decimal, days: int) -> Decimal:
    """Average consumption per day over a period of `days` days (4 places, half up)."""
    if days <= 0:
        raise ValueError("the period must have at least one day")
    return (consumed / Decimal(days)).quantize(RATE_Q, rounding=ROUND_HALF_UP)


def sales_need(consumed: Decimal, days: int, lead_time_days: int, safety_days: int, stock: Stock) -> Need:
    """Sales analysis: average daily consumption x (lead time + safety days) - covered."""
    rate = daily_rate(consumed, days)
    cover = lead_time_days + safety_days
    demand = (rate * cover).quantize(QTY_Q, rounding=ROUND_HALF_UP)
    net, tail = _subtract_covered(demand, stock)
    formula = (f"{plain(consumed)} ÷ {days} = {plain(rate)}; {plain(rate)} × ({lead_time_days} + {safety_days}) = "
               f"{plain(demand)}; {tail} = {plain(net)}")
    return Need(max(net, ZERO), formula, {
        "consumed": plain(consumed), "days": str(days), "daily": plain(rate), "lead_time": str(lead_time_days),
        "safety_days": str(safety_days), "cover_days": str(cover), "demand": plain(demand), **stock.figures(),
    })


def cover_need(daily: Decimal, cover_days: int, stock: Stock) -> Need:
    """ABC class policy: keep `cover_days` of average consumption; daily rate given."""
    demand = (daily * cover_days).quantize(QTY_Q, rounding=ROUND_HALF_UP)
    net, tail = _subtract_covered(demand, stock)
    formula = f"{plain(daily)} × {cover_days} = {plain(demand)}; {tail} = {plain(net)}"
    return Need(max(net, ZERO), formula, {"daily": plain(daily), "cover_days": str(cover_days),
                                          "demand": plain(demand), **stock.figures()})


def demand_need(demand: Decimal, stock: Stock) -> Need:
    """Invoice analysis: what customers were invoiced for, less what is available or coming."""
    net, tail = _subtract_covered(demand, stock)
    return Need(max(net, ZERO), f"{tail} = {plain(net)}", {"demand": plain(demand), **stock.figures()})


def minimum_need(minimum: Decimal, stock: Stock) -> Need:
    """Product matrix: bring the item back to its minimum (nothing when it is not below it)."""
    if stock.covered >= minimum:
        return Need(ZERO, f"{plain(stock.covered)} ≥ {plain(minimum)}", {"min": plain(minimum), **stock.figures()})
    net, tail = _subtract_covered(minimum, stock)
    return Need(net, f"{tail} = {plain(net)}", {"min": plain(minimum), **stock.figures()})


def minmax_need(minimum: Decimal, maximum: Decimal, stock: Stock) -> Need:
    """Reorder point: when what is covered falls below min, order up to max."""
    figures = {"min": plain(minimum), "max": plain(maximum), **stock.figures()}
    if stock.covered >= minimum:
        return Need(ZERO, f"{plain(stock.covered)} ≥ {plain(minimum)}", figures)
    net, tail = _subtract_covered(maximum, stock)
    return Need(max(net, ZERO), f"{plain(stock.covered)} < {plain(minimum)}; {tail} = {plain(net)}", figures)


#: the rounding steps a line's reason may name (the pages say them in the reader's language)
STEP_UNIT = "unit"  # up to the unit's precision (whole pieces)
STEP_MIN = "min"  # up to the offer's minimum order quantity
STEP_PACK = "pack"  # up to whole packs


@dataclass(frozen=True)
class OrderQty:
    """The quantity to order and the rounding steps that changed it, in order, each with its figures."""

    qty: Decimal
    steps: tuple[dict[str, str], ...] = ()


def order_qty(need: Decimal, min_qty: Decimal | None = None, pack_qty: Decimal | None = None,
              unit_places: int | None = None) -> OrderQty:
    """The quantity to order for a net need: to the unit's precision, at least the minimum, whole packs.

    Zero or negative need orders nothing. The unit comes first (0.351 pieces -> 1), the minimum
    next, packs last, so 7 with a minimum of 10 and packs of 4 gives 12 (three packs), not 10.
    `unit_places` is the unit's number of decimals (0 for pieces); None leaves the quantity as it is.
    """
    if need <= 0:
        return OrderQty(ZERO)
    qty, steps = need, []
    if unit_places is not None and unit_places >= 0:
        rounded = qty.quantize(Decimal(1).scaleb(-unit_places), rounding=ROUND_CEILING)
        if rounded != qty:
            steps.append({"step": STEP_UNIT, "from": plain(qty), "to": plain(rounded), "places": str(unit_places)})
            qty = rounded
    if min_qty and min_qty > qty:
        steps.append({"step": STEP_MIN, "from": plain(qty), "to": plain(min_qty), "min_qty": plain(min_qty)})
        qty = min_qty
    if pack_qty and pack_qty > 0:
        packs = (qty / pack_qty).to_integral_value(rounding=ROUND_CEILING)
        if packs * pack_qty != qty:
            steps.append({"step": STEP_PACK, "from": plain(qty), "to": plain(packs * pack_qty),
                          "pack_qty": plain(pack_qty), "packs": plain(packs)})
        qty = packs * pack_qty
    return OrderQty(qty.quantize(QTY_Q), tuple(steps))


def round_order_qty(need: Decimal, min_qty: Decimal | None = None, pack_qty: Decimal | None = None,
                    unit_places: int | None = None) -> Decimal:
    """The quantity alone of `order_qty`."""
    return order_qty(need, min_qty, pack_qty, unit_places).qty


def rounding_note(need: Decimal, ordered: Decimal) -> str:
    """'7 → 12': the rounding step of the formula (the minimum and pack are shown beside it), or ''."""
    if need <= 0 or ordered == need.quantize(QTY_Q):
        return ""
    return f"{plain(need)} → {plain(ordered)}"
