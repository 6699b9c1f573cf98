"""The read side measured by W2 / W2b: on-hand per warehouse, the item card, the stock pages.

Where the app has a service or a page for a read, the benchmark calls it; where it does not yet,
it runs the SQL that page will run and says so in the note of its result. Which one was used is
decided at run time (`app.services.stock.reports`, `app.url_map`), so the suite follows the app.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.catalog import Item
from app.models.stock import StockBalance, StockMove, Warehouse

PAGE = 50


@dataclass
class ReadFn:
    """A callable read plus where it came from (service, SQL written here, or HTTP page)."""

    fn: Callable[[], Any]
    source: str


def on_hand_sql(session: Session, warehouse_id: int) -> list:
    """Every item's balance in one warehouse, read from the balance cache (never the ledger)."""
    return session.execute(
        select(Item.id, Item.code, Item.name, StockBalance.qty, StockBalance.reserved, StockBalance.value)
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.warehouse_id == warehouse_id)
        .order_by(Item.code)
    ).all()


def _service(name: str) -> Callable | None:
    """app.services.stock.reports.<name> if the app has it (the suite follows the app as it grows)."""
    try:
        from app.services.stock import reports  # type: ignore[attr-defined]
    except ImportError:
        return None
    fn = getattr(reports, name, None)
    return fn if callable(fn) else None


def _accepts(fn: Callable, *names: str) -> bool:
    params = inspect.signature(fn).parameters
    return all(n in params for n in names)


def on_hand(session: Session, warehouse_id: int) -> ReadFn:
    """All items of one warehouse: reports.on_hand(page_size=None) if the app has it, else the SQL."""
    fn = _service("on_hand")
    if fn is not None and _accepts(fn, "warehouse_id", "page_size"):
        return ReadFn(lambda: fn(session, warehouse_id=warehouse_id, page_size=None),
                      "service reports.on_hand(warehouse_id, page_size=None)")
    return ReadFn(lambda: on_hand_sql(session, warehouse_id),
                  "SQL in bench/reads.py (no reports.on_hand service yet)")


def on_hand_page(session: Session, warehouse_id: int) -> ReadFn | None:
    """The first page of 50 of the on-hand report, what the page shows (None: no service yet)."""
    fn = _service("on_hand")
    if fn is None or not _accepts(fn, "warehouse_id", "page_size"):
        return None
    return ReadFn(lambda: fn(session, warehouse_id=warehouse_id, page=1, page_size=PAGE),
                  "service reports.on_hand(warehouse_id, page=1, page_size=50): rows + totals")


def item_card(session: Session, item_id: int, warehouse_id: int, last_page: bool) -> ReadFn:
    """First or last page of the item card: reports.item_card if the app has it, else the SQL.

    The last page's number is found before timing, as a pager link would carry it.
    """
    fn = _service("item_card")
    if fn is not None and _accepts(fn, "warehouse_id", "page", "page_size"):
        page = 1
        if last_page:
            page = fn(session, item_id, warehouse_id=warehouse_id, page=1, page_size=PAGE).pages
            session.rollback()
        return ReadFn(lambda: fn(session, item_id, warehouse_id=warehouse_id, page=page, page_size=PAGE),
                      "service reports.item_card (count + flows + SUM() OVER page)")
    return ReadFn(item_card_sql(session, item_id, warehouse_id, last_page),
                  "SQL in bench/reads.py (no reports.item_card service yet)")


def _card_where(item_id: int, warehouse_id: int):
    return (StockMove.item_id == item_id, StockMove.warehouse_id == warehouse_id)


def item_card_count(session: Session, item_id: int, warehouse_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StockMove).where(*_card_where(item_id, warehouse_id)))


def item_card_page(session: Session, item_id: int, warehouse_id: int, offset: int) -> list:
    """One page of the item card: moves in date order with the running quantity and value.

    The window runs over the whole (item, warehouse) partition before LIMIT/OFFSET, so a page's
    running balance is right whatever page it is; the count is what the pager shows.
    """
    order = (StockMove.move_date, StockMove.id)
    return session.execute(
        select(StockMove.id, StockMove.move_date, StockMove.doc_number, StockMove.kind, StockMove.qty,
               StockMove.value,
               func.sum(StockMove.qty).over(order_by=order).label("balance_qty"),
               func.sum(StockMove.value).over(order_by=order).label("balance_value"))
        .where(*_card_where(item_id, warehouse_id))
        .order_by(*order).limit(PAGE).offset(offset)
    ).all()


def item_card_sql(session: Session, item_id: int, warehouse_id: int, last_page: bool) -> Callable[[], Any]:
    """Count + first or last page in plain SQL: the floor under any item card service."""
    def run() -> list:
        total = item_card_count(session, item_id, warehouse_id)
        offset = max((total - 1) // PAGE, 0) * PAGE if last_page else 0
        return item_card_page(session, item_id, warehouse_id, offset)
    return run


def stock_list_sql(session: Session) -> Callable[[], Any]:
    """What the stock-on-hand list page asks for: the count and the first page with names."""
    def run() -> list:
        session.scalar(select(func.count()).select_from(StockBalance))
        return session.execute(
            select(StockBalance.id, Item.code, Item.name, Warehouse.code, StockBalance.qty, StockBalance.reserved,
                   StockBalance.value, StockBalance.last_move_date)
            .join(Item, Item.id == StockBalance.item_id).join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .order_by(StockBalance.id).limit(PAGE)
        ).all()
    return run


# --- pages through the Flask test client ---------------------------------------------------


def rules(app) -> set[str]:
    return {r.rule for r in app.url_map.iter_rules()}


def item_card_url(app, item_id: int, warehouse_id: int) -> str | None:
    """The item card page for our item and warehouse, if the app has one.

    /stock/item-card/ takes ?item=&warehouse=&page=; any other rule with 'card' in it gets its
    path arguments filled by name and both spellings of the query arguments.
    """
    query = f"item={item_id}&warehouse={warehouse_id}&item_id={item_id}&warehouse_id={warehouse_id}"
    if "/stock/item-card/" in rules(app):
        return f"/stock/item-card/?item={item_id}&warehouse={warehouse_id}"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "card" not in rule.rule or "GET" not in (rule.methods or ()):
            continue
        url = rule.rule
        for arg in rule.arguments:
            value = warehouse_id if ("wh" in arg or "warehouse" in arg) else item_id
            url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
        if "<" not in url:
            return f"{url}?{query}"
    return None


def login_admin(app):
    """A test client signed in as a freshly made Admin (roles synced as the app does)."""
    from app.extensions import db
    from app.security import sync_roles

    sm = app.appbuilder.sm
    sync_roles(app.appbuilder)
    if not sm.find_user(username="benchadmin"):
        sm.add_user("benchadmin", "Bench", "Admin", "bench@example.invalid", sm.find_role("Admin"), "bench-Pw-1")
    db.session.commit()
    db.session.remove()
    client = app.test_client()
    resp = client.post("/login/", data={"username": "benchadmin", "password": "bench-Pw-1"})
    if resp.status_code not in (302, 303):
        raise RuntimeError(f"bench admin login failed: {resp.status_code}")
    return client


def http_get(client, url: str, expect: str | None = None) -> Callable[[], Any]:
    """GET `url`; refuse anything but a 200 that shows `expect` (a page that ignored our filters
    would otherwise be timed as if it had done the work)."""
    def run() -> None:
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} -> {resp.status_code}")
        if expect and expect.encode() not in resp.data:
            raise RuntimeError(f"GET {url}: the page does not show {expect!r}")
    return run
