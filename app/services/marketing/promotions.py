"""Promotions: which time-limited discount an order line gets, decided in one place.

Candidates are the active promotions whose dates cover the order date and whose scope matches: the
item itself, its group, or every item (neither set); everyone, one client, or the members of a
segment. Each candidate's discount is first cut to the promotion's floor: the net price must keep
`floor_margin_pct` of margin on the selling price over the item's standard cost (a promotion with a
floor and an item without a cost is not applied: its margin can't be known). Then the largest cut
discount wins, then the higher priority, then the older promotion. Discounts are never added
together: the line carries the larger of its manual discount and the winning promotion's, and
names the promotion only when the promotion's was used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.errors import Collector, DomainError
from app.domain.money import ZERO, exact
from app.models.catalog import Item
from app.models.marketing import Promotion, SegmentMember

HUNDRED = Decimal(100)
PCT_Q = Decimal("0.01")


@dataclass(frozen=True)
class Offer:
    """The promotion a line gets and its discount after the floor."""

    promotion_id: int
    name: str
    discount_pct: Decimal
    priority: int = 0


def capped_discount(list_price: Decimal, unit_cost: Decimal | None, pct: Decimal, floor_pct: Decimal) -> Decimal:
    """The largest discount up to `pct` keeping `floor_pct` margin on the net price (0 when none does).

    Margin is on the selling price, as in proposals: (net - cost) / net >= floor, so
    net >= cost / (1 - floor), i.e. discount <= 100 x (1 - cost / ((1 - floor) x list price)).
    """
    if floor_pct <= 0:
        return pct
    if unit_cost is None or list_price <= 0 or floor_pct >= HUNDRED:
        return ZERO
    with exact():
        lowest_net = unit_cost / ((HUNDRED - floor_pct) / HUNDRED)
        room = (HUNDRED * (1 - lowest_net / list_price)).quantize(PCT_Q, rounding=ROUND_DOWN)
    return max(ZERO, min(pct, room))


def candidates(session: Session, partner_id: int | None, items: dict[int, Item], on_date: date) -> list[Promotion]:
    """Every promotion that could apply to one of these items for this client on this date (one query)."""
    if not items:
        return []
    groups = sorted({i.group_id for i in items.values() if i.group_id})
    in_segments = select(SegmentMember.segment_id).where(SegmentMember.partner_id == partner_id)
    q = select(Promotion).where(
        Promotion.active.is_(True), Promotion.date_from <= on_date, Promotion.date_to >= on_date,
        or_(Promotion.item_id.in_(sorted(items)), Promotion.group_id.in_(groups),
            Promotion.item_id.is_(None) & Promotion.group_id.is_(None)),
        or_(Promotion.partner_id.is_(None), Promotion.partner_id == partner_id),
        or_(Promotion.segment_id.is_(None), Promotion.segment_id.in_(in_segments)))
    return list(session.scalars(q.order_by(Promotion.id)))


def _covers(promo: Promotion, item: Item) -> bool:
    if promo.item_id is not None:
        return promo.item_id == item.id
    return promo.group_id is None or promo.group_id == item.group_id


def best_offers(session: Session, partner_id: int | None, items: dict[int, Item], prices: dict[int, Decimal],
                rate: Decimal | None, on_date: date, costs: Mapping[int, Decimal] | None = None,
                floors: Mapping[int, Decimal] | None = None) -> dict[int, Offer]:
    """item id -> the winning promotion for it; `prices` are list prices in the document's currency.

    The unit cost (base currency) is the item's standard cost, or `costs[item]` when given (a proposal
    line's cost from its costing source), brought to the document's currency at `rate`. `floors[item]`
    is a margin floor of the document's own (a proposal's pricing rules) that every promotion must also
    keep: the higher of it and the promotion's floor holds. Orders and proposals both ask this function.
    """
    promos = candidates(session, partner_id, items, on_date)
    out: dict[int, Offer] = {}
    for item_id, item in items.items():
        price = prices.get(item_id)
        if price is None:
            continue
        base_cost = costs.get(item_id) if costs is not None and item_id in costs else item.standard_cost
        cost = None
        if base_cost is not None and rate:
            with exact():
                cost = Decimal(base_cost) / Decimal(rate)
        own_floor = Decimal((floors or {}).get(item_id) or 0)
        best: Offer | None = None
        for promo in promos:
            if not _covers(promo, item):
                continue
            floor = max(Decimal(promo.floor_margin_pct or 0), own_floor)
            pct = capped_discount(price, cost, Decimal(promo.discount_pct), floor)
            offer = Offer(promo.id, promo.label(), pct, promo.priority)
            if pct > 0 and (best is None or (pct, promo.priority) > (best.discount_pct, best.priority)):
                best = offer
        if best is not None:
            out[item_id] = best
    return out


def choose(manual_pct: Decimal, offer: Offer | None) -> tuple[Decimal, int | None]:
    """The line's discount and promotion: the larger of the manual one and the offer, never their sum."""
    if offer is not None and offer.discount_pct > manual_pct:
        return offer.discount_pct, offer.promotion_id
    return manual_pct, None


def validate(promo: Promotion) -> None:
    """The promotion's own rules, each problem naming its field."""
    problems = Collector()
    if not (promo.name or "").strip():
        problems.add("Give the promotion a name", field="name")
    if promo.date_from is None or promo.date_to is None or promo.date_to < promo.date_from:
        problems.add("The promotion ends before it starts", field="date_to")
    pct = promo.discount_pct
    if pct is None or not ZERO < Decimal(pct) <= HUNDRED:
        problems.add("The discount must be above 0 and at most 100%%", field="discount_pct")
    floor = promo.floor_margin_pct
    if floor is not None and not ZERO <= Decimal(floor) < HUNDRED:
        problems.add("The floor margin must be from 0 to below 100%%", field="floor_margin_pct")
    problems.raise_if_any()


__all__ = ["DomainError", "Offer", "best_offers", "capped_discount", "choose", "validate"]
