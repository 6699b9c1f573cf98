"""The dashboard's panels beyond KPI tiles: what needs attention today.

The charts (revenue by month, output, stock value) read stored KPI figures. The attention lists
(overdue invoices, today's shortages, top items of the last 30 days, the funnel) are small bounded
queries on indexed columns, each with a LIMIT, so the page costs the same at any history size.
Tile choices are per user: everything the role may see is shown unless the user hid it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.kpi import ZERO
from app.models.base import current_locale
from app.models.catalog import Item
from app.models.kpi import DashboardPreference
from app.models.partners import Partner
from app.models.purchasing import ReorderPoint
from app.models.sales import SalesInvoice, SalesInvoiceLine
from app.models.stock import StockBalance
from app.services.base import unit_of_work
from app.services.stock.reports import item_label_column

LIST_LIMIT = 8


@dataclass(frozen=True)
class OverdueRow:
    id: int
    number: str
    partner: str
    due_date: date
    due: Decimal


def overdue_invoices(session: Session, today: date) -> tuple[int, Decimal, list[OverdueRow]]:
    """Count and amount (base currency) of invoices past due, and the oldest few.

    The count and amount are the KPI job's overdue receivables of this month when it stored them
    (a scan of every open invoice otherwise); the oldest few come from the due-date index.
    """
    from app.services.kpi.scorecard import stored_figure

    due = SalesInvoice.amount_total - SalesInvoice.amount_paid
    where = (SalesInvoice.state == "posted", SalesInvoice.kind == "invoice", SalesInvoice.due_date < today,
             SalesInvoice.amount_paid < SalesInvoice.amount_total)
    stored = stored_figure(session, "overdue_receivables", today)
    if stored is not None and stored[0] is not None:
        total, count = stored
    else:
        count, total = session.execute(select(func.count(), func.coalesce(func.sum(due), 0)).where(*where)).one()
    rows = session.execute(
        select(SalesInvoice.id, SalesInvoice.number, Partner.name, SalesInvoice.due_date, due)
        .join(Partner, Partner.id == SalesInvoice.partner_id).where(*where)
        .order_by(SalesInvoice.due_date, SalesInvoice.id).limit(LIST_LIMIT)
    )
    return count, Decimal(total), [OverdueRow(*r) for r in rows]


@dataclass(frozen=True)
class ShortageRow:
    item_id: int
    code: str
    name: str
    warehouse_id: int
    on_hand: Decimal
    min_qty: Decimal


def shortages(session: Session) -> list[ShortageRow]:
    """Items below their reorder minimum right now (available = on hand - reserved)."""
    available = func.coalesce(StockBalance.qty - StockBalance.reserved, 0)
    rows = session.execute(
        select(Item.id, Item.code, item_label_column(current_locale()), ReorderPoint.warehouse_id, available,
               ReorderPoint.min_qty)
        .join(Item, Item.id == ReorderPoint.item_id)
        .outerjoin(StockBalance, (StockBalance.item_id == ReorderPoint.item_id)
                   & (StockBalance.warehouse_id == ReorderPoint.warehouse_id))
        .where(ReorderPoint.active.is_(True), available < ReorderPoint.min_qty)
        .order_by(Item.code).limit(LIST_LIMIT)
    )
    return [ShortageRow(item_id, code, name, wh, Decimal(qty), minimum)
            for item_id, code, name, wh, qty, minimum in rows]


def top_items(session: Session, today: date, days: int = 30) -> list[tuple[int, str, str, Decimal]]:
    """The items invoiced most (net, invoice currency x rate) in the last `days` days.

    The state is compared through coalesce() so that SQLite walks the invoice-date index: with the
    bare column it picks the (state, due date) index and reads every posted invoice ever made
    (100,000 rows for a month's slice).
    """
    since = today - timedelta(days=days)
    amount = func.sum(SalesInvoiceLine.amount)
    name = item_label_column(current_locale())  # the reader's language
    rows = session.execute(
        select(Item.id, Item.code, name, amount)
        .join(SalesInvoice, SalesInvoice.id == SalesInvoiceLine.invoice_id)
        .join(Item, Item.id == SalesInvoiceLine.item_id)
        .where(func.coalesce(SalesInvoice.state, "") == "posted", SalesInvoice.invoice_date > since)
        .group_by(Item.id, Item.code, name).order_by(amount.desc()).limit(LIST_LIMIT)
    )
    return [(i, c, n, a or ZERO) for i, c, n, a in rows]


def hidden_tiles(session: Session, user_id: int) -> set[str]:
    pref = session.scalar(select(DashboardPreference).where(DashboardPreference.user_id == user_id))
    return set(pref.hidden) if pref else set()


def save_hidden_tiles(session: Session, user_id: int, available: set[str], shown: set[str]) -> set[str]:
    """Remember which of the `available` tiles the user unticked; returns the hidden set."""
    hidden = sorted(available - shown)
    with unit_of_work(session):
        pref = session.scalar(select(DashboardPreference).where(DashboardPreference.user_id == user_id))
        if pref is None:
            session.add(DashboardPreference(user_id=user_id, hidden=hidden))
        else:
            pref.hidden = hidden
    return set(hidden)
