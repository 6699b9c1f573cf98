"""The most popular items, suggested while an order is entered: for this client and over all clients.

One aggregate query each over order lines of orders that were not cancelled, most ordered first:
counted in orders, then quantity. A client's list reads that client's orders of the last year
(index ix_so_partner_date). The overall list is the same for everybody and needs not be to the
minute, so it covers the last 90 days and is kept for ten minutes per process: at 200,000 orders
the aggregate costs about a second, which a user typing an order should not wait for each time.
The overall list leaves out one-off custom items (the item a TCP's configuration became, marked by
Proposal.custom_item_id): made for one client, nobody else can order them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.catalog import Item
from app.models.proposals import Proposal
from app.models.sales import SO_CANCELLED, SalesOrder, SalesOrderLine

DEFAULT_DAYS = 365
OVERALL_DAYS = 90
OVERALL_TTL_SECONDS = 600
_cache: dict[tuple, tuple[float, list]] = {}
_cache_lock = threading.Lock()


@dataclass
class PopularItem:
    item_id: int
    code: str
    name: str
    orders: int
    qty: Decimal


def popular_items(session: Session, partner_id: int | None = None, limit: int = 8, days: int = DEFAULT_DAYS,
                  locale: str = "en", today: date | None = None, catalog_only: bool = False) -> list[PopularItem]:
    """Items most often ordered in the last `days` (by one client when partner_id is given); with
    `catalog_only`, without the one-off items made from a TCP."""
    since = (today or date.today()) - timedelta(days=days)
    orders = func.count(func.distinct(SalesOrderLine.order_id)).label("orders")
    q = (select(SalesOrderLine.item_id, orders, func.sum(SalesOrderLine.qty).label("qty"))
         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
         .where(SalesOrderLine.item_id.is_not(None), SalesOrder.state != SO_CANCELLED, SalesOrder.order_date >= since)
         .group_by(SalesOrderLine.item_id).order_by(orders.desc(), func.sum(SalesOrderLine.qty).desc(),
                                                    SalesOrderLine.item_id).limit(limit))
    if partner_id is not None:
        q = q.where(SalesOrder.partner_id == partner_id)
    if catalog_only:
        q = q.where(SalesOrderLine.item_id.not_in(
            select(Proposal.custom_item_id).where(Proposal.custom_item_id.is_not(None))))
    rows = session.execute(q).all()
    if not rows:
        return []
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_([r.item_id for r in rows])))}
    return [PopularItem(r.item_id, items[r.item_id].code, items[r.item_id].label(locale), r.orders, r.qty)
            for r in rows if r.item_id in items]


def overall_popular(session: Session, limit: int = 8, locale: str = "en") -> list[PopularItem]:
    """The overall list, from the per-process cache when it is younger than OVERALL_TTL_SECONDS.

    The key includes the newest order (its id and creation time, one index look-up), so a new order
    refreshes the list at once and another database never sees this one's.
    """
    newest = session.execute(select(SalesOrder.id, SalesOrder.created_at).order_by(SalesOrder.id.desc())
                             .limit(1)).first()
    key = (str(session.get_bind().url), limit, locale, date.today(), tuple(newest) if newest else None)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < OVERALL_TTL_SECONDS:
        return hit[1]
    rows = popular_items(session, None, limit, days=OVERALL_DAYS, locale=locale, catalog_only=True)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (now, rows)
    return rows


def forget_cache() -> None:
    """Drop the cached overall lists (tests that build their own data)."""
    with _cache_lock:
        _cache.clear()


def suggestions(session: Session, partner_id: int | None, limit: int = 8, locale: str = "en") -> dict:
    """Both lists, ready for the order page and the JSON endpoint."""
    def plain(rows: list[PopularItem]) -> list[dict]:
        return [{"item_id": r.item_id, "code": r.code, "name": r.name, "orders": r.orders,
                 "qty": format(r.qty.normalize(), "f")} for r in rows]

    return {"client": plain(popular_items(session, partner_id, limit, locale=locale)) if partner_id else [],
            "overall": plain(overall_popular(session, limit, locale))}
