"""Where an order line's price comes from, in any currency the order is in.

Most specific first: the client's own price list (PriceList.partner_id), then the general price
list in the order's currency,
then the base price list converted at the order's rate (the day's rate on the order date), then the
item's own sale price converted the same way. A converted price keeps the base price and the rate
on the line (`base_price`, `price_rate`), so whoever reads the order sees how 125 EUR came from
12 500 RUB at 100. An order in EUR is therefore priced like one in roubles; only an item nobody
priced anywhere is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import exact, round_money
from app.models.catalog import Item, PriceList
from app.models.core import Currency
from app.models.partners import Partner
from app.services.sales import pricing


@dataclass(frozen=True)
class LinePrice:
    """An item's unit price in the order's currency and, when converted, what from and at which rate."""

    price: Decimal
    base_price: Decimal | None = None  # base currency
    rate: Decimal | None = None  # base units per unit of the order's currency


def _converted(base_price: Decimal, rate: Decimal) -> LinePrice:
    with exact():
        return LinePrice(round_money(base_price / rate), base_price, rate)


def _client_list(session: Session, partner: Partner | None, currency: Currency) -> PriceList | None:
    """The client's own active price list, the one in the order's currency first."""
    if partner is None:
        return None
    lists = session.scalars(select(PriceList).where(PriceList.partner_id == partner.id, PriceList.active.is_(True))
                            .order_by(PriceList.id)).all()
    return next((pl for pl in lists if pl.currency_id == currency.id), lists[0] if lists else None)


def price_list_used(session: Session, partner: Partner | None, currency: Currency) -> PriceList | None:
    """The list an order names as its price list: the client's, else the one in the order's currency."""
    return _client_list(session, partner, currency) or pricing.price_list_for(session, currency.id)


def order_prices(session: Session, partner: Partner | None, currency: Currency, rate: Decimal | None,
                 items: dict[int, Item], on_date) -> dict[int, LinePrice]:
    """item id -> its price for an order in `currency` at `rate` (the order's rate on `on_date`)."""
    out: dict[int, LinePrice] = {}
    wanted = set(items)
    base = pricing.base_currency(session)
    client = _client_list(session, partner, currency)
    if client is not None:
        found = pricing.list_prices(session, client.id, wanted)
        if client.currency_id == currency.id:
            out.update({i: LinePrice(p) for i, p in found.items()})
        elif rate:
            list_rate = pricing.rate_on(session, client.currency, on_date)
            if list_rate:
                out.update({i: _converted(round_money(p * list_rate), rate) for i, p in found.items()})
    own = pricing.price_list_for(session, currency.id)
    if own is not None:
        for i, p in pricing.list_prices(session, own.id, wanted - set(out)).items():
            out[i] = LinePrice(p)
    if rate and base is not None and base.id != currency.id:
        base_list = pricing.price_list_for(session, base.id)
        if base_list is not None:
            for i, p in pricing.list_prices(session, base_list.id, wanted - set(out)).items():
                out[i] = _converted(p, rate)
    for i in sorted(wanted - set(out)):
        own_price = items[i].sale_price
        if own_price is not None and rate:
            out[i] = LinePrice(own_price) if base is None or base.id == currency.id else _converted(own_price, rate)
    return out

