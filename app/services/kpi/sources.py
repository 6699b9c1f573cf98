"""Watermarks of the registers behind the metrics: what changed since the KPI job last ran.

Re-reading every document of a two-year horizon each night costs seconds at a million ledger rows
and is almost always for nothing: closed months rarely change. Each source register gets a cheap
watermark instead, read with one grouped query per source and stored with the figures
(KpiSourceMark, in the same transaction):

* documents (invoices, payments, shipments...): per document day, the count, the sum of ids, an
  amount sum and the latest change stamp of the rows the metric reads (same state filter). A
  posting or cancellation dated inside a closed month changes that day's stamp, so the month is
  recomputed and, being frozen, restated; the months with equal stamps are not read at all;
* the stock ledger, whose moves are never updated or deleted (database triggers): its highest id
  and row count. New moves give the earliest day they touch; a stock figure is a balance, so every
  period ending on or after that day is recomputed.

A flow metric (revenue, output...) is recomputed for the periods holding a changed day; a point
metric (stock value, overdue debts) for every period ending on or after the earliest changed day,
and for the running period when the day has moved on (its figure is "as of today").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.models.crm import Deal
from app.models.production import ProductionCompletion, ProductionOrder
from app.models.proposals import Proposal
from app.models.purchasing import PurchaseOrder, PurchaseReceipt
from app.models.sales import Payment, SalesInvoice, SalesOrder, Shipment
from app.models.stock import StockDocument, StockMove

Mark = dict[str, Any]  # what is stored: iso day -> stamp, or the ledger's {"max_id", "count"}
ALL = None  # "every period": no watermark to compare with, or one that can't say where the change is


def _day(value: Any) -> date:
    """A grouped day as a date: SQLite's date() gives text, PostgreSQL a date."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _stamps(session: Session, *statements: Select) -> Mark:
    """iso day -> stamp of that day's rows; statements select (day, aggregates...) grouped by day."""
    out: dict[str, str] = {}
    for n, stmt in enumerate(statements):
        for day, *rest in session.execute(stmt):
            if day is None:
                continue
            key = _day(day).isoformat()
            out[key] = out.get(key, "") + f"{n}:" + "|".join(map(str, rest)) + ";"
    return out


def _between(column, since: date | None, today: date):
    return column <= today if since is None else column.between(since, today)


@dataclass(frozen=True)
class DaySource:
    """A register stamped per document day."""

    name: str
    read: Callable[[Session, date | None, date], Mark]
    point: bool = False  # a change moves every later balance (overdue debts), not only its own period

    def mark(self, session: Session, since: date, today: date) -> Mark:
        """The watermark now: one grouped query (two for debts) over the horizon."""
        return self.read(session, None if self.point else since, today)

    def changed(self, session: Session, old: Mark | None, new: Mark, since: date) -> set[date] | None:
        """The days whose documents changed between two watermarks (ALL without an old one)."""
        if old is None:
            return ALL
        days = {date.fromisoformat(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
        return {d for d in days if self.point or d >= since}


@dataclass(frozen=True)
class LedgerSource:
    """The stock ledger: append-only, so its highest id and count say what is new."""

    name: str = "ledger"
    point: bool = True

    def mark(self, session: Session, since: date, today: date) -> Mark:
        top, count = session.execute(select(func.coalesce(func.max(StockMove.id), 0), func.count())
                                     .select_from(StockMove)).one()
        return {"max_id": int(top), "count": int(count)}

    def changed(self, session: Session, old: Mark | None, new: Mark, since: date) -> set[date] | None:
        """The earliest day of the moves added since `old` (ALL when rows went missing: a restored backup)."""
        if old is None:
            return ALL
        if new == old:
            return set()
        added, first = session.execute(select(func.count(), func.min(StockMove.move_date))
                                       .where(StockMove.id > old.get("max_id", 0))).one()
        if new["count"] - old.get("count", 0) != added or first is None:
            return ALL
        return {_day(first)}


# --- the registers ----------------------------------------------------------------------------------


def _invoices(session: Session, since: date | None, today: date) -> Mark:
    i = SalesInvoice
    return _stamps(session, select(i.invoice_date, func.count(), func.sum(i.id), func.sum(i.amount_net),
                                   func.max(i.updated_at), func.sum(SalesOrder.manager_id))
                   .outerjoin(SalesOrder, SalesOrder.id == i.order_id)
                   .where(i.state == "posted", _between(i.invoice_date, since, today)).group_by(i.invoice_date))


def _payments(session: Session, since: date | None, today: date) -> Mark:
    p = Payment
    return _stamps(session, select(p.pay_date, func.count(), func.sum(p.id), func.sum(p.amount),
                                   func.max(p.updated_at), func.sum(SalesOrder.manager_id))
                   .join(SalesInvoice, SalesInvoice.id == p.invoice_id)
                   .outerjoin(SalesOrder, SalesOrder.id == SalesInvoice.order_id)
                   .where(p.state == "posted", _between(p.pay_date, since, today)).group_by(p.pay_date))


def _shipments(session: Session, since: date | None, today: date) -> Mark:
    """Margins (lines and their FIFO cost) and completed orders (the order's state and dates)."""
    s = Shipment
    return _stamps(session, select(s.ship_date, func.count(), func.sum(s.id), func.max(s.updated_at),
                                   func.sum(SalesOrder.manager_id), func.max(SalesOrder.updated_at))
                   .join(SalesOrder, SalesOrder.id == s.order_id)
                   .where(s.state == "posted", _between(s.ship_date, since, today)).group_by(s.ship_date))


def _by_datetime(column, since: date | None, today: date, *aggregates) -> Select:
    """Grouped by the day of a timestamp (sent, decided, closed at...), days up to `today` included."""
    day = func.date(column)
    bounds = [column < datetime.combine(today + timedelta(days=1), time())]
    if since is not None:
        bounds.append(column >= datetime.combine(since, time()))
    return select(day, func.count(), *aggregates).where(*bounds).group_by(day)


def _proposals(session: Session, since: date | None, today: date) -> Mark:
    p = Proposal
    return _stamps(session, *(_by_datetime(col, since, today, func.sum(p.id), func.max(p.updated_at))
                              for col in (p.sent_at, p.decided_at)))


def _deals(session: Session, since: date | None, today: date) -> Mark:
    d = Deal
    return _stamps(session, _by_datetime(d.closed_at, since, today, func.sum(d.id), func.max(d.updated_at),
                                         func.sum(d.stage_id), func.sum(d.manager_id)))


def _completions(session: Session, since: date | None, today: date) -> Mark:
    c = ProductionCompletion
    return _stamps(session, select(c.doc_date, func.count(), func.sum(c.id), func.sum(c.output_value),
                                   func.max(c.posted_at), func.max(c.cancelled_at))
                   .where(c.state == "posted", _between(c.doc_date, since, today)).group_by(c.doc_date))


def _production_orders(session: Session, since: date | None, today: date) -> Mark:
    o = ProductionOrder
    return _stamps(session, _by_datetime(o.done_at, since, today, func.sum(o.id), func.max(o.updated_at))
                   .where(o.state == "done"))


def _receipts(session: Session, since: date | None, today: date) -> Mark:
    """Receipts with their order (on time: the order's state) and stock document (variance: posted)."""
    r = PurchaseReceipt
    return _stamps(session, select(r.receipt_date, func.count(), func.sum(r.id), func.max(PurchaseOrder.updated_at),
                                   func.max(StockDocument.updated_at))
                   .join(PurchaseOrder, PurchaseOrder.id == r.order_id)
                   .join(StockDocument, StockDocument.id == r.document_id)
                   .where(_between(r.receipt_date, since, today)).group_by(r.receipt_date))


def _debts(session: Session, since: date | None, today: date) -> Mark:
    """Invoices by due date and payments by day: a debt's figure moves from then on."""
    i, p = SalesInvoice, Payment
    return _stamps(session,
                   select(i.due_date, func.count(), func.sum(i.id), func.sum(i.amount_total), func.max(i.updated_at))
                   .where(i.state == "posted", i.kind == "invoice", _between(i.due_date, since, today))
                   .group_by(i.due_date),
                   select(p.pay_date, func.count(), func.sum(p.id), func.sum(p.amount), func.max(p.updated_at))
                   .where(p.state == "posted", _between(p.pay_date, since, today)).group_by(p.pay_date))


def _service_requests(session: Session, since: date | None, today: date) -> Mark:
    """Service requests by the day they were opened, first answered and resolved (the service KPIs' days)."""
    from app.models.service import ServiceRequest as r

    return _stamps(session, *(_by_datetime(col, since, today, func.sum(r.id), func.max(r.updated_at))
                              for col in (r.opened_at, r.first_response_at, r.resolved_at)))


INVOICES = DaySource("invoices", _invoices)
PAYMENTS = DaySource("payments", _payments)
SHIPMENTS = DaySource("shipments", _shipments)
PROPOSALS = DaySource("proposals", _proposals)
DEALS = DaySource("deals", _deals)
COMPLETIONS = DaySource("completions", _completions)
PRODUCTION_ORDERS = DaySource("production_orders", _production_orders)
RECEIPTS = DaySource("receipts", _receipts)
DEBTS = DaySource("debts", _debts, point=True)
SERVICE_REQUESTS = DaySource("service_requests", _service_requests)
LEDGER = LedgerSource()
Source = DaySource | LedgerSource
