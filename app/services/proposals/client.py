"""The client's currency and the conversion of a proposal's prices into it for the customer's form.

A partner has no currency field: the currency it pays in is read from what it already uses, most
specific first: its own active price list, its default bank account, its latest sales order, its
latest deal; else the company's base currency (None). The configurator starts a new TCP in it and the
customer's form is printed in it at the day's rate, so a Spanish school never reads roubles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import exact, line_amounts
from app.models.catalog import PriceList
from app.models.core import Currency
from app.models.crm import Deal
from app.models.partners import PartnerBankAccount
from app.models.sales import SalesOrder
from app.services.sales.pricing import rate_on


def client_currency_id(session: Session, partner_id: int | None) -> int | None:
    """The id of the currency the client pays in (see the module docstring), None when nothing says."""
    if partner_id is None:
        return None
    queries = (
        select(PriceList.currency_id).where(PriceList.partner_id == partner_id, PriceList.active.is_(True))
        .order_by(PriceList.id.desc()),
        select(PartnerBankAccount.currency_id).where(PartnerBankAccount.partner_id == partner_id,
                                                     PartnerBankAccount.currency_id.is_not(None))
        .order_by(PartnerBankAccount.is_default.desc(), PartnerBankAccount.id),
        select(SalesOrder.currency_id).where(SalesOrder.partner_id == partner_id)
        .order_by(SalesOrder.order_date.desc(), SalesOrder.id.desc()),
        select(Deal.currency_id).where(Deal.partner_id == partner_id, Deal.currency_id.is_not(None))
        .order_by(Deal.id.desc()),
    )
    for query in queries:
        found = session.scalar(query.limit(1))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Conversion:
    """From the proposal's currency into the client's: amount x factor, rounded per line."""

    currency: Currency
    factor: Decimal  # client currency units per unit of the proposal's currency
    rate: Decimal  # base units per unit of the client's currency, on `on`
    on: date

    def price(self, value: Decimal) -> Decimal:
        """A unit price in the client's currency, to the kopek (cent)."""
        with exact():
            return line_amounts(Decimal(1), value * self.factor).net


def conversion(session: Session, partner_id: int | None, currency_id: int, rate: Decimal,
               on: date) -> Conversion | None:
    """How to print a proposal in `currency_id` at `rate` for the client, or None when it needs no
    conversion (same currency, no client currency, or no rate known for it on `on`)."""
    target_id = client_currency_id(session, partner_id)
    if target_id is None or target_id == currency_id:
        return None
    target = session.get(Currency, target_id)
    target_rate = rate_on(session, target, on) if target is not None else None
    if not target_rate or not rate:
        return None
    with exact():
        return Conversion(target, rate / target_rate, target_rate, on)
