"""Decimal money and quantity helpers: one place for precision and rounding rules.

Money is Numeric(18, 4), quantities Numeric(18, 6); rounding is half-up (the accountant's rule).
Parsing refuses NaN, infinities, over-precise and over-large values instead of silently rounding,
because a silently rounded quantity is a stock error nobody can find later.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_PLACES = 4
QTY_PLACES = 6
MONEY_Q = Decimal(1).scaleb(-MONEY_PLACES)
QTY_Q = Decimal(1).scaleb(-QTY_PLACES)
# 18 digits in total: 12 integer digits for quantities, 14 for money
MAX_QTY = Decimal(10) ** (18 - QTY_PLACES) - QTY_Q
MAX_MONEY = Decimal(10) ** (18 - MONEY_PLACES) - MONEY_Q
ZERO = Decimal(0)


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


def parse_decimal(raw: object, places: int, maximum: Decimal) -> tuple[Decimal | None, str | None]:
    """Parse a user-entered number; return (value, None) or (None, msgid of the problem)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "A number is required"
    if isinstance(raw, bool):
        return None, "Not a number: %(value)s"
    try:
        text = raw.strip().replace(" ", "").replace("\u00a0", "") if isinstance(raw, str) else raw
        if isinstance(text, str) and text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        value = D(text)
    except (InvalidOperation, ValueError):
        return None, "Not a number: %(value)s"
    if not value.is_finite():
        return None, "Not a number: %(value)s"
    if abs(value) > maximum:
        return None, "The number %(value)s is too large"
    if value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        return None, "Too many decimal places in %(value)s (at most %(places)s)"
    return value, None


def parse_quantity(raw: object) -> tuple[Decimal | None, str | None]:
    return parse_decimal(raw, QTY_PLACES, MAX_QTY)


def parse_money(raw: object) -> tuple[Decimal | None, str | None]:
    return parse_decimal(raw, MONEY_PLACES, MAX_MONEY)
