"""The product matrix as a source of decisions: the best supplier offer for an item on a date.

"Best" is the cheapest valid offer converted to the base currency (units of base currency per
unit of the offer's currency, CurrencyRate on or before the date), ties broken by the shorter lead
time, then by the older offer. An offer is valid on a date when it is active, its supplier is an
active supplier and the date lies within [valid_from, valid_to]. Offers whose minimum quantity
fits the asked quantity are preferred; when none fits, all valid offers compete (the order is then
rounded up to the chosen one's minimum). An offer in a currency without a rate can't be compared
and is left out.

`best_offers` does the same for many items in three queries (the reorder run over 10,000 items
must not cost 10,000 look-ups); `best_offer` is its one-item form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.money import ZERO, round_money
from app.models.core import Company, Currency, CurrencyRate
from app.models.partners import Partner
from app.models.purchasing import SupplierOffer
from app.services.purchasing.bulk import rows_for_ids


@dataclass
class OfferChoice:
    """A valid offer with its price in base currency; `alternatives` are the other valid offers."""

    offer_id: int
    supplier_id: int
    supplier_name: str
    price: Decimal
    currency_code: str
    price_base: Decimal
    lead_time_days: int
    min_qty: Decimal
    pack_qty: Decimal | None
    currency_id: int = 0
    supplier_item_code: str = ""
    item_id: int = 0
    alternatives: list[OfferChoice] = field(default_factory=list)


def base_currency_id(session: Session) -> int | None:
    return session.scalar(select(Company.base_currency_id).order_by(Company.id).limit(1))


def rates_on(session: Session, on_date: date, currency_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """currency id -> units of base currency per unit, from the latest rate on or before `on_date`.

    The base currency is always 1, with or without a rate row.
    """
    stmt = select(CurrencyRate.currency_id, CurrencyRate.rate).where(CurrencyRate.on_date <= on_date)
    if currency_ids is not None:
        stmt = stmt.where(CurrencyRate.currency_id.in_(set(currency_ids)))
    out: dict[int, Decimal] = {}
    for cid, rate in session.execute(stmt.order_by(CurrencyRate.currency_id, CurrencyRate.on_date.desc())):
        out.setdefault(cid, rate)
    base = base_currency_id(session)
    if base is not None:
        out[base] = Decimal(1)
    return out


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    return round_money(amount * rate)


def _valid_rows(session: Session, item_ids: list[int], on_date: date) -> list[tuple]:
    stmt = (select(SupplierOffer.item_id, SupplierOffer.id, SupplierOffer.supplier_id, Partner.name,
                   SupplierOffer.price, SupplierOffer.currency_id, Currency.code, SupplierOffer.lead_time_days,
                   SupplierOffer.min_qty, SupplierOffer.pack_qty, SupplierOffer.supplier_item_code)
            .join(Partner, Partner.id == SupplierOffer.supplier_id)
            .join(Currency, Currency.id == SupplierOffer.currency_id)
            .where(SupplierOffer.active.is_(True), Partner.active.is_(True), SupplierOffer.valid_from <= on_date,
                   or_(SupplierOffer.valid_to.is_(None), SupplierOffer.valid_to >= on_date)))
    return list(rows_for_ids(session, stmt, SupplierOffer.item_id, item_ids))


def _rank_key(c: OfferChoice) -> tuple:
    return (c.price_base, c.lead_time_days, c.offer_id)


def best_offers(session: Session, item_ids: Iterable[int], on_date: date,
                qty: dict[int, Decimal] | Decimal | None = None) -> dict[int, OfferChoice]:
    """item id -> its best valid offer (with the alternatives); items without one are absent."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = _valid_rows(session, ids, on_date)
    rates = rates_on(session, on_date, {r[5] for r in rows})
    by_item: dict[int, list[OfferChoice]] = defaultdict(list)
    for item_id, oid, sid, sname, price, cid, code, lead, min_qty, pack, sup_code in rows:
        rate = rates.get(cid)
        if rate is None:
            continue
        by_item[item_id].append(OfferChoice(oid, sid, sname, price, code, to_base(price, rate), lead,
                                            min_qty or ZERO, pack, cid, sup_code, item_id))
    out = {}
    for item_id, choices in by_item.items():
        wanted = qty.get(item_id) if isinstance(qty, dict) else qty
        fitting = [c for c in choices if wanted is None or c.min_qty <= wanted]
        ranked = sorted(fitting or choices, key=_rank_key)
        best = ranked[0]
        others = sorted((c for c in choices if c is not best), key=_rank_key)
        best.alternatives = others  # built by this call: nobody else holds these objects
        out[item_id] = best
    return out


def best_offer(session: Session, item_id: int, on_date: date, qty: Decimal) -> OfferChoice | None:
    """The cheapest valid offer for `qty` of the item on `on_date` in base currency, or None."""
    return best_offers(session, [item_id], on_date, qty).get(item_id)
