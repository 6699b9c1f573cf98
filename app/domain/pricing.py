"""Proposal pricing as pure Decimal arithmetic: FIFO cost net of reservations, margins, discounts, taxes,
currency and the payment schedule.

Margins are on the selling price (the economist's margin): price = cost / (1 - margin%), and the
margin of a price is (price - cost) / price. The rules for a line resolve field by field, most
specific first: the line's own figure, then the client's rule, then the nearest item group's,
then the rule for everything. The floor margin is the lowest margin a proposal may be saved with
without a manager's approval.

FIFO "what it would really cost now": the open lots of an item are walked oldest first; the
reserved quantity is already promised to other documents and FIFO would give it the oldest
lots, so it is skipped first; the demand then takes the next layers. Demand beyond the free
stock is a shortfall the caller prices another way (and says so).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any, NamedTuple

from app.domain.errors import Problem
from app.domain.money import ZERO, LineAmounts, document_totals, line_amounts, round_money

HUNDRED = Decimal(100)
PCT_Q = Decimal("0.01")
_PREC = 60

MSG_SCHEDULE_SUM = "The payment schedule must add up to 100%% (now %(total)s%%)"
MSG_SCHEDULE_PCT = "Instalment %(seq)s: the share must be more than 0%%"
MSG_SCHEDULE_DATE = "Instalment %(seq)s: give the due date"
MSG_MARGIN_RANGE = "The margin must be below 100%%"
MSG_DISCOUNT_RANGE = "The discount must be from 0 to 100%%"
MESSAGES = (MSG_SCHEDULE_SUM, MSG_SCHEDULE_PCT, MSG_SCHEDULE_DATE, MSG_MARGIN_RANGE, MSG_DISCOUNT_RANGE)


# --- FIFO net of reservations ------------------------------------------------------------------


class Layer(NamedTuple):
    """An open FIFO lot: what remains of it and that remainder's value; `key` orders lots oldest first.

    The value rather than a unit cost is kept, so a lot taken whole costs exactly its value and only
    a lot cut in two needs a division. A named tuple: a proposal reads thousands of lots per click.
    """

    qty: Decimal
    value: Decimal
    key: tuple = ()

    @classmethod
    def at(cls, qty: Decimal, unit_cost: Decimal, key: tuple = ()) -> Layer:
        return cls(qty, qty * unit_cost, key)

    def part(self, qty: Decimal) -> Decimal:
        """The value of `qty` of this layer (exact in a 60-digit context)."""
        if qty == self.qty:
            return self.value
        with localcontext() as ctx:
            ctx.prec = _PREC
            return self.value * qty / self.qty


@dataclass(frozen=True)
class FifoCost:
    demand: Decimal
    value: Decimal  # exact, for the covered quantity
    covered: Decimal
    last_unit_cost: Decimal | None  # the newest layer's cost (prices a shortfall at replacement cost)

    @property
    def shortfall(self) -> Decimal:
        return self.demand - self.covered


def free_layers(layers: Sequence[Layer], reserved: Decimal) -> list[Layer]:
    """The layers left after the reserved quantity took the oldest ones (layers given oldest first)."""
    out: list[Layer] = []
    skip = max(reserved, ZERO)
    for layer in layers:
        if layer.qty <= 0:
            continue
        if skip >= layer.qty:
            skip -= layer.qty
            continue
        if skip:
            left = layer.qty - skip
            out.append(Layer(left, layer.part(left), layer.key))
        else:
            out.append(layer)
        skip = ZERO
    return out


def fifo_cost(layers_by_store: Iterable[tuple[Sequence[Layer], Decimal]], demand: Decimal) -> FifoCost:
    """Cost of `demand` taken from the free layers of every store (warehouse), oldest first overall.

    `layers_by_store`: (that store's layers oldest first, its reserved quantity) pairs.
    """
    free: list[Layer] = []
    newest: Layer | None = None
    stores = 0
    for layers, reserved in layers_by_store:
        stores += 1
        if layers and (newest is None or layers[-1].key > newest.key):
            newest = max(layers, key=lambda lay: lay.key)
        free.extend(free_layers(layers, reserved))
    if stores > 1:
        free.sort(key=lambda lay: lay.key)
    value = covered = ZERO
    for layer in free:
        if covered >= demand:
            break
        take = min(layer.qty, demand - covered)
        value += layer.part(take)
        covered += take
    last = ratio(newest.value, newest.qty) if newest is not None and newest.qty else None
    return FifoCost(demand, value, covered, last)


def ratio(value: Decimal, qty: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _PREC
        return value / qty


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    scope: str  # all / group / partner
    margin_pct: Decimal | None = None
    discount_pct: Decimal | None = None
    floor_margin_pct: Decimal | None = None
    group_id: int | None = None
    partner_id: int | None = None


@dataclass(frozen=True)
class Terms:
    margin_pct: Decimal = ZERO
    discount_pct: Decimal = ZERO
    floor_margin_pct: Decimal = ZERO


def resolve(rules: Sequence[Rule], partner_id: int | None, group_chain: Sequence[int],
            margin: Decimal | None = None, discount: Decimal | None = None,
            floor: Decimal | None = None) -> Terms:
    """The line's terms, field by field: its own, the client's, the nearest group's, everyone's, zero.

    `group_chain` is the item's group first, then its parent groups up to the root.
    """
    ordered: list[Rule] = [r for r in rules if r.scope == "partner" and partner_id is not None
                           and r.partner_id == partner_id]
    for gid in group_chain:
        ordered.extend(r for r in rules if r.scope == "group" and r.group_id == gid)
    ordered.extend(r for r in rules if r.scope == "all")

    def pick(own: Decimal | None, attr: str) -> Decimal:
        if own is not None:
            return own
        for rule in ordered:
            value = getattr(rule, attr)
            if value is not None:
                return value
        return ZERO

    return Terms(pick(margin, "margin_pct"), pick(discount, "discount_pct"), pick(floor, "floor_margin_pct"))


# --- prices ------------------------------------------------------------------------------------


def price_for_margin(cost: Decimal, margin_pct: Decimal) -> Decimal:
    """The price at which `cost` leaves `margin_pct` of the price (exact)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        return cost * HUNDRED / (HUNDRED - margin_pct)


def group_margins(lines: Iterable[Any], rate: Decimal) -> list[dict]:
    """Cost, price and margin per group of lines (each with group_label, cost and price in the
    document currency; `rate` converts the price to the cost's currency), in the lines' order:
    the configurator's panel and the internal form show the same figures."""
    out: dict[str, dict] = {}
    for ln in lines:
        g = out.setdefault(ln.group_label, {"label": ln.group_label, "cost": ZERO, "price": ZERO})
        g["cost"] += ln.cost
        g["price"] += ln.price
    for g in out.values():
        g["margin_pct"] = margin_of(g["cost"], g["price"] * rate)
    return list(out.values())


def margin_of(cost: Decimal, price: Decimal) -> Decimal | None:
    """(price - cost) / price in percent, 2 places; None without a price."""
    if not price:
        return None
    with localcontext() as ctx:
        ctx.prec = _PREC
        return ((price - cost) * HUNDRED / price).quantize(PCT_Q)


@dataclass(frozen=True)
class LineIn:
    key: object
    qty: Decimal
    cost: Decimal  # for the whole quantity, base currency, exact
    terms: Terms


@dataclass(frozen=True)
class LineOut:
    key: object
    qty: Decimal
    cost: Decimal  # rounded, base currency
    unit_cost: Decimal
    list_unit_price: Decimal  # proposal currency, before discount
    unit_price: Decimal  # after discount
    price: Decimal  # unit_price x qty
    margin_pct: Decimal | None
    terms: Terms

    @property
    def below_floor(self) -> bool:
        return self.margin_pct is not None and self.margin_pct < self.terms.floor_margin_pct


@dataclass(frozen=True)
class SaleLine:
    """A line as the order and invoice made from the proposal will carry it, with its amounts.

    The configured product (the proposal's built-in lines) is sold as one line of the proposal's
    quantity at their summed price per unit; every other line is sold as it is.
    """

    keys: tuple[object, ...]  # the proposal lines it sells
    qty: Decimal
    unit_price: Decimal
    amounts: LineAmounts


def bundle_unit_price(price: Decimal, qty: Decimal) -> Decimal:
    """The unit price of the configured product: its lines' summed price per product (4 places)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        return round_money(price / qty)


def sale_lines(lines: Sequence[LineOut], tax_pct: Decimal, bundle: Collection[object] = (),
               bundle_qty: Decimal = Decimal(1)) -> list[SaleLine]:
    """The proposal's lines as they will be sold (product first, then the rest in order), each line's
    amounts under the one rule of app.domain.money (so the order and invoice equal the proposal)."""
    inside = [ln for ln in lines if ln.key in bundle]
    out = []
    if inside:
        unit = bundle_unit_price(sum((ln.price for ln in inside), ZERO), bundle_qty)
        out.append(SaleLine(tuple(ln.key for ln in inside), bundle_qty, unit,
                            line_amounts(bundle_qty, unit, ZERO, tax_pct)))
    out += [SaleLine((ln.key,), ln.qty, ln.unit_price, line_amounts(ln.qty, ln.unit_price, ZERO, tax_pct))
            for ln in lines if ln.key not in bundle]
    return out


@dataclass
class Priced:
    lines: list[LineOut] = field(default_factory=list)
    cost: Decimal = ZERO  # base currency
    price: Decimal = ZERO  # proposal currency, before tax
    tax: Decimal = ZERO
    total: Decimal = ZERO
    sold: list[SaleLine] = field(default_factory=list)
    margin_pct: Decimal | None = None
    floor_pct: Decimal = ZERO

    @property
    def below_floor(self) -> list[LineOut]:
        return [ln for ln in self.lines if ln.below_floor]

    @property
    def total_below_floor(self) -> bool:
        return self.margin_pct is not None and self.margin_pct < self.floor_pct


def price_lines(lines: Sequence[LineIn], rate: Decimal = Decimal(1), tax_pct: Decimal = ZERO,
                floor_pct: Decimal = ZERO, bundle: Collection[object] = (),
                bundle_qty: Decimal = Decimal(1)) -> Priced:
    """Price every line from its cost and terms; totals, tax and the total margin.

    `rate`: base currency per unit of the proposal currency. Unit prices are rounded to money
    places; the line price is unit price x quantity rounded to the kopek, the line rule of
    app.domain.money. Tax and totals are those of the lines as they will be sold (`sale_lines`:
    the `bundle` keys are the configured product, sold as one line of `bundle_qty`), so the order
    and the invoice made from the proposal carry exactly its totals.
    """
    out = Priced(floor_pct=floor_pct)
    cost_exact = ZERO
    with localcontext() as ctx:
        ctx.prec = _PREC
        for ln in lines:
            unit_cost = ln.cost / ln.qty if ln.qty else ZERO
            list_unit = round_money(price_for_margin(unit_cost, ln.terms.margin_pct) / rate)
            unit_price = round_money(list_unit * (HUNDRED - ln.terms.discount_pct) / HUNDRED)
            price = line_amounts(ln.qty, unit_price).net
            cost = round_money(ln.cost)
            out.lines.append(LineOut(ln.key, ln.qty, cost, round_money(unit_cost), list_unit, unit_price, price,
                                     margin_of(cost, price * rate), ln.terms))
            cost_exact += ln.cost
        out.cost = round_money(cost_exact)
        out.sold = sale_lines(out.lines, tax_pct, bundle, bundle_qty)
        totals = document_totals(s.amounts for s in out.sold)
        out.price, out.tax, out.total = totals.net, totals.tax, totals.total
        out.margin_pct = margin_of(out.cost, out.price * rate)
    return out


def term_problems(margin: Decimal | None, discount: Decimal | None, line: int | None = None) -> list[Problem]:
    problems = []
    if margin is not None and margin >= HUNDRED:
        problems.append(Problem(MSG_MARGIN_RANGE, line=line))
    if discount is not None and not ZERO <= discount <= HUNDRED:
        problems.append(Problem(MSG_DISCOUNT_RANGE, line=line))
    return problems


# --- payment schedule --------------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    seq: int
    pct: Decimal
    event: str = "order"
    due_date: date | None = None
    days: int = 0


def schedule_problems(instalments: Sequence[Instalment]) -> list[Problem]:
    """Shares above zero, a date where the instalment is due on a date, and 100% in all."""
    problems = []
    for inst in instalments:
        if inst.pct <= 0:
            problems.append(Problem(MSG_SCHEDULE_PCT, {"seq": inst.seq}))
        if inst.event == "date" and inst.due_date is None:
            problems.append(Problem(MSG_SCHEDULE_DATE, {"seq": inst.seq}))
    total = sum((i.pct for i in instalments), ZERO)
    if instalments and total != HUNDRED:
        problems.append(Problem(MSG_SCHEDULE_SUM, {"total": total.normalize()}))
    return problems


def schedule_amounts(total: Decimal, instalments: Sequence[Instalment]) -> list[Decimal]:
    """Each instalment's amount in cents; they add up to the total exactly (the last takes the rounding)."""
    if not instalments or not total:
        return [ZERO for _ in instalments]
    with localcontext() as ctx:
        ctx.prec = _PREC
        shares = [(total * i.pct / HUNDRED).quantize(PCT_Q, rounding=ROUND_DOWN) for i in instalments]
    shares[-1] = total - sum(shares[:-1], ZERO)
    return shares


def due_on(inst: Instalment, events: Mapping[str, date]) -> date | None:
    """The due date: fixed, or the event's date plus the days, when the event has happened."""
    if inst.event == "date":
        return inst.due_date
    happened = events.get(inst.event)
    return happened + timedelta(days=inst.days) if happened else None
