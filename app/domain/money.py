"""Decimal money and quantity helpers: one place for precision and rounding rules.

Money is Numeric(18, 4), quantities Numeric(18, 6); rounding is half-up (the accountant's rule).
Parsing refuses NaN, infinities, over-precise and over-large values instead of silently rounding,
because a silently rounded quantity is a stock error nobody can find later.

Amounts of documents (proposals, orders, invoices, acts, waybills and their PDFs) follow ONE rule,
`line_amounts`: per line, net = qty x unit price less the discount, rounded to the kopek (cent);
tax = the rounded net x rate, rounded to the kopek; a document's totals are the sums of its rounded
lines (`document_totals`). Tax is per line because Russian and Spanish invoices print VAT per line
and the printed lines must add up to the printed total; a document converted from another (TCP ->
order -> invoice) carries the same lines and so the same totals, to the kopek.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from app.domain import numbers as NUM

MONEY_PLACES = 4
QTY_PLACES = 6
MONEY_Q = Decimal(1).scaleb(-MONEY_PLACES)
QTY_Q = Decimal(1).scaleb(-QTY_PLACES)
# 18 digits in total: 12 integer digits for quantities, 14 for money
MAX_QTY = Decimal(10) ** (18 - QTY_PLACES) - QTY_Q
MAX_MONEY = Decimal(10) ** (18 - MONEY_PLACES) - MONEY_Q
ZERO = Decimal(0)
AMOUNT_Q = Decimal("0.01")  # the kopek (cent): document amounts, tax and totals
HUNDRED = Decimal(100)
#: digits kept while computing (shares, rates, per-unit costs) before the one rounding at the end
EXACT_PREC = 60


def exact() -> AbstractContextManager:
    """The one computing context: enough digits that only the final round_money / round_qty rounds."""
    return localcontext(prec=EXACT_PREC)


def D(value: object) -> Decimal:
    """Convert to Decimal without passing through float (str for floats is exact enough)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None:
        return ZERO
    return Decimal(str(value))


def round_money(value: Decimal) -> Decimal:
    return D(value).quantize(MONEY_Q, rounding=ROUND_HALF_UP)


def round_qty(value: Decimal) -> Decimal:
    return D(value).quantize(QTY_Q, rounding=ROUND_HALF_UP)


def round_amount(value: Decimal) -> Decimal:
    """The one rounding of document amounts: half-up to the kopek (cent)."""
    return D(value).quantize(AMOUNT_Q, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """A document line's (or a document's) net, tax and total, each a whole number of kopeks."""

    net: Decimal  # after discount, without tax
    tax: Decimal
    total: Decimal


def line_amounts(qty: Decimal, unit_price: Decimal, discount_pct: Decimal = ZERO,
                 tax_rate: Decimal = ZERO) -> LineAmounts:
    """Net, tax and total of one line under the rule of this module (tax on the rounded net)."""
    with exact():
        net = round_amount(qty * unit_price * (HUNDRED - discount_pct) / HUNDRED)
        tax = round_amount(net * tax_rate / HUNDRED)
    return LineAmounts(net, tax, net + tax)


def document_totals(lines: Iterable[LineAmounts]) -> LineAmounts:
    """A document's totals: the sums of its rounded lines (never re-rounded, never taxed again)."""
    net = tax = ZERO
    for line in lines:
        net += line.net
        tax += line.tax
    return LineAmounts(net, tax, net + tax)


def parse_decimal(raw: object, places: int, maximum: Decimal,
                  locale: str | None | object = ...) -> tuple[Decimal | None, str | None]:
    """Parse a user-entered number; return (value, None) or (None, msgid of the problem).

    Text is read by `app.domain.numbers.parse_number` in the typing person's locale (by default the
    one the web layer reports; None: the locale-free rule of machines), so "50 000,00" is fifty
    thousand on a Russian page. Numbers (Decimal, int, float) are taken as they are.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "A number is required"
    if isinstance(raw, bool):
        return None, NUM.MSG_NOT_NUMBER
    try:
        if isinstance(raw, str):
            value = NUM.parse_number(raw, NUM.input_locale() if locale is ... else locale)
        else:
            value = D(raw)
    except NUM.NumberError as exc:
        return None, exc.msgid
    except (InvalidOperation, ValueError):
        return None, NUM.MSG_NOT_NUMBER
    if not value.is_finite():
        return None, NUM.MSG_NOT_NUMBER
    if abs(value) > maximum:
        return None, "The number %(value)s is too large"
    if value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        return None, "Too many decimal places in %(value)s (at most %(places)s)"
    return value, None


def read_decimal(raw: object) -> Decimal | None:
    """Typed text (in the user's locale, by `parse_number`) or a number as a finite Decimal, else None."""
    if raw is None or isinstance(raw, bool) or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = NUM.parse_number(raw, NUM.input_locale()) if isinstance(raw, str) else D(raw)
    except (NUM.NumberError, InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_quantity(raw: object) -> tuple[Decimal | None, str | None]:
    return parse_decimal(raw, QTY_PLACES, MAX_QTY)


def parse_money(raw: object) -> tuple[Decimal | None, str | None]:
    return parse_decimal(raw, MONEY_PLACES, MAX_MONEY)
