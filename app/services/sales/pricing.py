"""Prices and amounts of order and invoice lines: one rounding rule, one price look-up.

Every line amount is rounded to the currency's minor unit (the kopek) here and nowhere else, and
document totals are sums of rounded lines, so a printed invoice adds up to the last kopek.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.models.catalog import Item, PriceList, PriceListItem
from app.models.core import Company, Currency, CurrencyRate

KOPEK = Decimal("0.01")
HUNDRED = Decimal(100)


def round_kopek(value: Decimal) -> Decimal:
    """The one rounding helper of sales amounts: half-up to the kopek (cent)."""
    return Decimal(value).quantize(KOPEK, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal  # after discount, without tax
    tax: Decimal
    total: Decimal


def line_amounts(qty: Decimal, unit_price: Decimal, discount_pct: Decimal, tax_rate: Decimal) -> LineAmounts:
    """Net, tax and total of a line, each rounded once to the kopek (tax on the rounded net)."""
    with localcontext() as ctx:
        ctx.prec = 60
        net = round_kopek(qty * unit_price * (HUNDRED - discount_pct) / HUNDRED)
        tax = round_kopek(net * tax_rate / HUNDRED)
    return LineAmounts(net, tax, net + tax)


def net_price(unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """Unit price after discount, to 4 places (the Money column), for invoice lines."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (unit_price * (HUNDRED - discount_pct) / HUNDRED).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def base_currency(session: Session) -> Currency | None:
    company = session.scalar(select(Company).order_by(Company.id).limit(1))
    if company is not None:
        return company.base_currency
    return session.scalar(select(Currency).where(Currency.code == "RUB")) or session.scalar(
        select(Currency).order_by(Currency.id).limit(1))


def rate_on(session: Session, currency: Currency, on_date: date) -> Decimal | None:
    """Base currency units per one unit of `currency` on a date (the last rate known by then)."""
    base = base_currency(session)
    if base is None or base.id == currency.id:
        return Decimal(1)
    return session.scalar(
        select(CurrencyRate.rate).where(CurrencyRate.currency_id == currency.id, CurrencyRate.on_date <= on_date)
        .order_by(CurrencyRate.on_date.desc()).limit(1))


def price_list_for(session: Session, currency_id: int) -> PriceList | None:
    return session.scalar(select(PriceList).where(PriceList.currency_id == currency_id, PriceList.active.is_(True))
                          .order_by(PriceList.id).limit(1))


def list_prices(session: Session, price_list_id: int | None, item_ids: set[int]) -> dict[int, Decimal]:
    """Prices of many items in one query."""
    if price_list_id is None or not item_ids:
        return {}
    rows = session.execute(select(PriceListItem.item_id, PriceListItem.price).where(
        PriceListItem.price_list_id == price_list_id, PriceListItem.item_id.in_(sorted(item_ids))))
    return {i: p for i, p in rows}


def fallback_price(item: Item, rate: Decimal) -> Decimal | None:
    """An item's own sale price (base currency) converted to the order currency, when no list has it."""
    if item.sale_price is None or not rate:
        return None
    if rate == 1:
        return item.sale_price
    with localcontext() as ctx:
        ctx.prec = 60
        return (item.sale_price / rate).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def totals(lines) -> tuple[Decimal, Decimal, Decimal]:
    net = sum((line.amount_net for line in lines), ZERO)
    tax = sum((line.amount_tax for line in lines), ZERO)
    return net, tax, net + tax
