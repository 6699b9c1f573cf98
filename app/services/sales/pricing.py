"""Prices and amounts of order and invoice lines: one price look-up, and the one rounding rule.

Line amounts come from app.domain.money.line_amounts (per line, to the kopek, tax on the rounded
net) and document totals are sums of rounded lines, so a printed invoice adds up to the last kopek
and equals the proposal it was made from; the names below re-export that rule for the sales code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import LineAmounts, document_totals, exact, round_amount, round_money
from app.domain.money import line_amounts as line_amounts  # re-exported: the one line rule
from app.models.catalog import PriceList, PriceListItem
from app.models.core import Company, Currency, CurrencyRate

HUNDRED = Decimal(100)
round_kopek = round_amount  # the sales name of the one rounding helper


def net_price(unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """Unit price after discount, to 4 places (the Money column), for invoice lines."""
    with exact():
        return round_money(unit_price * (HUNDRED - discount_pct) / HUNDRED)


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
    return session.scalar(select(PriceList).where(PriceList.currency_id == currency_id, PriceList.active.is_(True),
                                                  PriceList.partner_id.is_(None))  # a client's own list is not for all
                          .order_by(PriceList.id).limit(1))


def list_prices(session: Session, price_list_id: int | None, item_ids: set[int]) -> dict[int, Decimal]:
    """Prices of many items in one query."""
    if price_list_id is None or not item_ids:
        return {}
    rows = session.execute(select(PriceListItem.item_id, PriceListItem.price).where(
        PriceListItem.price_list_id == price_list_id, PriceListItem.item_id.in_(sorted(item_ids))))
    return {i: p for i, p in rows}


def totals(lines) -> tuple[Decimal, Decimal, Decimal]:
    """A document's (net, tax, total) from its stored line amounts: sums of rounded lines."""
    out = document_totals(LineAmounts(line.amount_net, line.amount_tax, line.amount_net + line.amount_tax)
                          for line in lines)
    return out.net, out.tax, out.total
