"""The metric catalogue: every figure a KPI can measure, read from Fabrika's own registers.

Each metric turns the registers into `Part`s (one per document, or per item for stock figures)
with a numerator and a denominator in exact Decimal; the compute service buckets them into periods
and employees and sums them. One query per metric for the whole horizon, never one per period or
per employee: the parts carry their date and their employee, and Python does the bucketing.

Flow metrics (revenue, output...) date each part inside the period; point-in-time metrics (stock
value, overdue receivables) build their parts for each period's end (or start and end).
Amounts in base currency are rounded to the kopek per document, so the lineage adds up exactly
to the figure shown.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from app.domain import move_kinds
from app.domain.kpi import KOPEK, ZERO, Part, Period, kopeks
from app.models.catalog import Item
from app.models.crm import Deal, DealStage
from app.models.production import ProductionCompletion, ProductionOrder
from app.models.proposals import Proposal
from app.models.purchasing import PurchaseOrder, PurchaseReceipt, PurchaseReceiptLine
from app.models.sales import Payment, SalesInvoice, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from app.models.stock import StockBalance, StockDocument, StockMove
from app.permissions import (
    RESOURCE_DEAL,
    RESOURCE_INVOICE,
    RESOURCE_PRODUCTION,
    RESOURCE_PROPOSAL,
    RESOURCE_PURCHASING,
    RESOURCE_SERVICE,
    RESOURCE_SHIPMENT,
    RESOURCE_STOCK_REPORT,
)
from app.services.kpi import sources, sql_flows
from app.services.kpi.sources import Source

HUNDRED, ONE, TWO = Decimal(100), Decimal(1), Decimal(2)
DEAD_STOCK_DAYS = 90
ONE_DAY = timedelta(days=1)
OUT_KINDS = (move_kinds.SALE, move_kinds.PRODUCTION_ISSUE, move_kinds.ISSUE)

LEDGER_CACHE = "kpi_ledger_cache"  # session.info key: one ledger pass per computation, shared by stock metrics
FlowSource = Callable[[Session, date, date], list[Part]]
PointSource = Callable[[Session, Sequence[Period]], dict[Period, list[Part]]]


class Span(NamedTuple):
    """A document's share of a point metric on every day from `valid_from` to `valid_to` (None: still
    open): an overdue invoice's unpaid rest between two of its payments. A point figure's documents on a
    day are the spans holding that day, so they are stored once, not once per period end."""

    part: Part
    valid_from: date
    valid_to: date | None


SpanSource = Callable[[Session, Sequence[date]], list[Span]]


@dataclass(frozen=True)
class Metric:
    """A catalogue entry. `scale` None: a sum; else value = num / den x scale.

    `resource` is the register a reader must be allowed to read to see the figure (a storekeeper
    can't read invoices, so margins and revenue never reach their dashboard); `link` is the list
    behind the figure (endpoint, the state filter, the date column filtered to the period).
    """

    code: str
    label: Any
    division: str
    unit: str  # money / percent / days / count / times
    scale: Decimal | None
    resource: str
    link: tuple[str, str, str]  # (list endpoint, state, date column)
    flow: FlowSource | None = None
    point: PointSource | None = None
    by_employee: bool = False
    ref_type: str = ""  # what the parts are (invoice, shipment, item...)
    source: Source = sources.LEDGER  # the register whose watermark says when to read it again
    second: bool = False  # reads its flow's num2 / den2 (the flow is shared with the metric reading num / den)
    spans: SpanSource | None = None  # a point metric whose documents are stored as spans of days
    sql: sql_flows.SqlSource | None = None  # the flow's rows as SQL: summed and stored by the database

    def share(self, part: Part) -> tuple[Decimal, Decimal] | None:
        """This metric's (num, den) of a part; None when the part does not count for it."""
        if not self.second:
            return part.num, part.den
        return None if part.num2 is None else (part.num2, part.den2 or ZERO)


def _read(session: Session, stmt: Any) -> list[Any]:
    """Rows of a big read through the session's connection (its transaction), without the ORM's result
    layer (the metrics select columns, never entities), fetched at once, not row by row: together a
    third of the time of the read."""
    return session.connection().execute(stmt).all()


# --- sales -----------------------------------------------------------------------------------------


def _revenue(session: Session, since: date, until: date) -> list[Part]:
    rows = _read(session,
        select(SalesInvoice.id, SalesInvoice.number, SalesInvoice.invoice_date, SalesInvoice.amount_net,
               SalesInvoice.rate, SalesOrder.manager_id)
        .outerjoin(SalesOrder, SalesOrder.id == SalesInvoice.order_id)
        .where(SalesInvoice.state == "posted", SalesInvoice.invoice_date.between(since, until))
    )
    # positional and quantized inline: a hundred thousand invoices a year
    return [Part("invoice", i, n, d, (net * (rate or ONE)).quantize(KOPEK, ROUND_HALF_UP), ZERO, m)
            for i, n, d, net, rate, m in rows]


def _cash_collected(session: Session, since: date, until: date) -> list[Part]:
    rows = _read(session,
        select(Payment.id, Payment.number, Payment.pay_date, Payment.amount, SalesInvoice.rate, SalesOrder.manager_id)
        .join(SalesInvoice, SalesInvoice.id == Payment.invoice_id)
        .outerjoin(SalesOrder, SalesOrder.id == SalesInvoice.order_id)
        .where(Payment.state == "posted", Payment.pay_date.between(since, until))
    )
    return [Part("payment", i, n, d, (amount * (rate or ONE)).quantize(KOPEK, ROUND_HALF_UP), ZERO, m)
            for i, n, d, amount, rate, m in rows]


def _shipment_margins(session: Session, since: date, until: date) -> list[Part]:
    """Per posted shipment: num = revenue of what left minus its FIFO cost, den = that revenue.

    The revenue of a shipped line is its share of the order line's net amount (qty shipped / qty
    ordered) in base currency; the cost is what the FIFO lots gave up at posting.
    """
    rows = _read(session,
        select(Shipment.id, Shipment.number, Shipment.ship_date, SalesOrder.manager_id, SalesOrder.rate,
               ShipmentLine.qty, ShipmentLine.cost, SalesOrderLine.qty, SalesOrderLine.amount_net)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .join(SalesOrder, SalesOrder.id == Shipment.order_id)
        .where(Shipment.state == "posted", Shipment.ship_date.between(since, until))
    )
    acc: dict[int, list[Any]] = {}
    for sid, number, day, manager, rate, qty, cost, ordered, net in rows:
        entry = acc.setdefault(sid, [number, day, manager, ZERO, ZERO])
        revenue = kopeks(net * qty * (rate or ONE) / ordered)
        entry[3] += revenue - (cost or ZERO)
        entry[4] += revenue
    return [Part("shipment", sid, n, d, margin, revenue, m) for sid, (n, d, m, margin, revenue) in acc.items()]


def _completed_orders(session: Session, since: date, until: date) -> list[tuple]:
    """Orders shipped in full whose last shipment falls in the horizon: (id, number, ordered, asked, done, manager)."""
    last = func.max(Shipment.ship_date)
    return list(_read(session,
        select(SalesOrder.id, SalesOrder.number, SalesOrder.order_date, SalesOrder.delivery_date, last,
               SalesOrder.manager_id)
        .join(Shipment, and_(Shipment.order_id == SalesOrder.id, Shipment.state == "posted"))
        .where(SalesOrder.state.in_(("shipped", "closed")))
        .group_by(SalesOrder.id, SalesOrder.number, SalesOrder.order_date, SalesOrder.delivery_date,
                  SalesOrder.manager_id)
        .having(last.between(since, until))
    ))


def _completions(session: Session, since: date, until: date) -> list[Part]:
    """Per order shipped in full: its lead time in days (num / den), and whether it left by the asked date
    (num2 / den2; None without a delivery date). One read and one lineage for lead time and on-time %."""
    days = {}  # a few hundred distinct lead times: one Decimal each
    parts = []
    for i, n, ordered, asked, done, m in _completed_orders(session, since, until):
        lead = (done - ordered).days
        if lead not in days:
            days[lead] = Decimal(lead)
        on_time = None if asked is None else (ONE if done <= asked else ZERO)
        parts.append(Part("sales_order", i, n, done, days[lead], ONE, m, on_time, None if on_time is None else ONE))
    return parts


def _proposals(session: Session, since: date, until: date, column, states, won=None) -> list[Part]:
    rows = session.execute(
        select(Proposal.id, Proposal.number, Proposal.version, column, Proposal.state)
        .where(column.is_not(None), column >= since, column < until + timedelta(days=1), Proposal.state.in_(states))
    )
    parts = []
    for pid, number, version, at, state in rows:
        label = f"{number}/{version}" if version and version > 1 else number
        num = ONE if won is None else (ONE if state in won else ZERO)
        parts.append(Part("proposal", pid, label, at.date(), num, ONE))
    return parts


DECIDED_WON = ("approved", "converted")


def _proposals_sent(session: Session, since: date, until: date) -> list[Part]:
    return _proposals(session, since, until, Proposal.sent_at, ("sent", "approved", "rejected", "converted"))


def _proposals_won(session: Session, since: date, until: date) -> list[Part]:
    return _proposals(session, since, until, Proposal.decided_at, DECIDED_WON)


def _proposal_win_rate(session: Session, since: date, until: date) -> list[Part]:
    return _proposals(session, since, until, Proposal.decided_at, (*DECIDED_WON, "rejected"), won=DECIDED_WON)


def _deal_win_rate(session: Session, since: date, until: date) -> list[Part]:
    rows = session.execute(
        select(Deal.id, Deal.title, Deal.closed_at, DealStage.is_won, Deal.manager_id)
        .join(DealStage, DealStage.id == Deal.stage_id)
        .where(Deal.closed_at.is_not(None), Deal.closed_at >= since, Deal.closed_at < until + timedelta(days=1),
               (DealStage.is_won.is_(True)) | (DealStage.is_lost.is_(True)))
    )
    return [Part("deal", i, title[:64], at.date(), ONE if won else ZERO, ONE, m) for i, title, at, won, m in rows]


# --- production --------------------------------------------------------------------------------


def _production_output(session: Session, since: date, until: date) -> list[Part]:
    rows = session.execute(
        select(ProductionCompletion.id, ProductionCompletion.number, ProductionCompletion.doc_date,
               ProductionCompletion.output_value)
        .where(ProductionCompletion.state == "posted", ProductionCompletion.doc_date.between(since, until))
    )
    return [Part("production_completion", i, n, d, v) for i, n, d, v in rows]


def _production_cost(session: Session, since: date, until: date) -> list[Part]:
    o = ProductionOrder
    rows = session.execute(
        select(o.id, o.number, o.done_at, o.actual_material + o.actual_labour + o.actual_overhead,
               o.planned_material + o.planned_labour + o.planned_overhead)
        .where(o.state == "done", o.done_at.is_not(None), o.done_at >= since, o.done_at < until + timedelta(days=1))
    )
    return [Part("production_order", i, n or "", at.date(), actual, planned) for i, n, at, actual, planned in rows]


# --- purchasing --------------------------------------------------------------------------------


def _po_on_time(session: Session, since: date, until: date) -> list[Part]:
    last = func.max(PurchaseReceipt.receipt_date)
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.expected_date, last)
        .join(PurchaseReceipt, PurchaseReceipt.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.state == "received", PurchaseOrder.expected_date.is_not(None))
        .group_by(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.expected_date)
        .having(last.between(since, until))
    )
    return [Part("purchase_order", i, n, done, ONE if done <= expected else ZERO, ONE)
            for i, n, expected, done in rows]


def _price_variance(session: Session, since: date, until: date) -> list[Part]:
    """Per receipt: num = what the goods cost above the ordered price, den = their ordered value (base)."""
    rows = session.execute(
        select(PurchaseReceipt.id, PurchaseReceipt.doc_number, PurchaseReceipt.receipt_date, StockDocument.rate,
               PurchaseReceiptLine.qty, PurchaseReceiptLine.price, PurchaseReceiptLine.ordered_price)
        .join(PurchaseReceiptLine, PurchaseReceiptLine.receipt_id == PurchaseReceipt.id)
        .join(StockDocument, StockDocument.id == PurchaseReceipt.document_id)
        .where(StockDocument.state == "posted", PurchaseReceipt.receipt_date.between(since, until))
    )
    acc: dict[int, list[Any]] = {}
    for rid, number, day, rate, qty, price, ordered in rows:
        entry = acc.setdefault(rid, [number, day, ZERO, ZERO])
        paid, planned = kopeks(qty * price * (rate or ONE)), kopeks(qty * ordered * (rate or ONE))
        entry[2] += paid - planned
        entry[3] += planned
    return [Part("purchase_receipt", rid, n, d, num, den) for rid, (n, d, num, den) in acc.items()]


# --- stock (point in time) -------------------------------------------------------------------------


@dataclass
class _ItemLedger:
    """One item's ledger at each boundary day (shared list): value, consumption and moves so far."""

    value: list[Decimal]
    consumed: list[Decimal]  # sales, production issues and write-offs, positive, net of their reversals
    moves: list[int]


def _ledger_by_item(session: Session, boundaries: list[date]) -> dict[int, _ItemLedger]:
    """Per item, the ledger summed up to each boundary day, in one grouped pass over recent moves.

    The days asked for (period ends, the day before each period, 90 days before each end) are the
    only points any stock metric reads, so the moves are grouped by item and by the span between two
    boundaries (a CASE over the boundaries), not by day: a few thousand rows. Only moves after the
    first boundary are read (the move-date index): the value on that day is the item's balance (a
    cache of the ledger equal to the sum of its moves, app/services/stock/verify.py) less what moved
    after it; consumption and move counts are only ever compared between two boundaries, so they
    start from zero there. A nightly run reads 90 days of moves, not the whole ledger.
    A reversal of a consumption move gives the consumption back (a second, small query).
    """
    first = boundaries[0]
    size = len(boundaries)
    span = _span_index(StockMove.move_date, boundaries, 0, size)
    out_value = func.sum(case((StockMove.kind.in_(OUT_KINDS), StockMove.value), else_=0))
    reversals = func.sum(case((StockMove.kind == move_kinds.REVERSAL, 1), else_=0))  # most groups have none
    rows = _read(session,
        select(StockMove.item_id, span, func.sum(StockMove.value), out_value, func.count(), reversals)
        .where(StockMove.move_date > first).group_by(StockMove.item_id, span)
    )
    back = _reversed_consumption(session, boundaries, sorted({r[0] for r in rows if r[5]}))
    balance = dict(_read(session, select(StockBalance.item_id, func.sum(StockBalance.value))
                                   .group_by(StockBalance.item_id)))
    spans: dict[int, list[tuple[Decimal, Decimal, int]]] = {i: [(ZERO, ZERO, 0)] * (size + 1) for i in balance}
    for item_id, n, value, out, count, _ in rows:
        per = spans.setdefault(item_id, [(ZERO, ZERO, 0)] * (size + 1))
        per[n] = (value, -(out or ZERO) - back.get((item_id, n), ZERO), count)
    ledgers: dict[int, _ItemLedger] = {}
    for item_id, per in spans.items():
        led = ledgers[item_id] = _ItemLedger([], [], [])
        value = (balance.get(item_id) or ZERO) - sum((v for v, _, _ in per[1:]), ZERO)  # on the first boundary
        consumed, moves = ZERO, 0
        for v, c, k in per[:size]:
            value, consumed, moves = value + v, consumed + c, moves + k
            led.value.append(value)
            led.consumed.append(consumed)
            led.moves.append(moves)
    return ledgers


def _reversed_consumption(session: Session, boundaries: list[date], items: list[int]
                          ) -> dict[tuple[int, int], Decimal]:
    """(item, span) -> value of the reversals of consumption moves, for the items the grouped pass saw a
    reversal of: most ledgers have none, and looking for them in every recent move (no index leads to a
    reversal) cost as much as the pass itself."""
    if not items:
        return {}
    original = aliased(StockMove)
    span = _span_index(StockMove.move_date, boundaries, 0, len(boundaries))
    out: dict[tuple[int, int], Decimal] = {}
    for chunk in range(0, len(items), 500):
        out.update({(item_id, n): value for item_id, n, value in _read(session,
            select(StockMove.item_id, span, func.sum(StockMove.value))
            .join(original, original.id == StockMove.reversal_of_id)
            .where(StockMove.kind == move_kinds.REVERSAL, original.kind.in_(OUT_KINDS),
                   StockMove.move_date > boundaries[0], StockMove.item_id.in_(items[chunk:chunk + 500]))
            .group_by(StockMove.item_id, span))})
    return out


def _span_index(column: Any, boundaries: list[date], lo: int, hi: int) -> Any:
    """The index of the first boundary on or after the column's day (len(boundaries) after the last), as a
    balanced CASE tree: log2(n) date comparisons a row instead of up to n (the ledger has a million rows)."""
    if lo == hi:
        return literal_column(str(lo))
    mid = (lo + hi) // 2
    return case((column <= boundaries[mid], _span_index(column, boundaries, lo, mid)),
                else_=_span_index(column, boundaries, mid + 1, hi))


def _item_labels(session: Session, ids) -> dict[int, str]:
    if not ids:
        return {}
    return {i: code for i, code in session.execute(select(Item.id, Item.code).where(Item.id.in_(list(ids))))}


def _boundaries(periods: Sequence[Period]) -> list[date]:
    days = set()
    for p in periods:
        days.update((p.end, p.start - timedelta(days=1), p.end - timedelta(days=DEAD_STOCK_DAYS)))
    return sorted(days)


def _stock_points(kind: str) -> PointSource:
    def build(session: Session, periods: Sequence[Period]) -> dict[Period, list[Part]]:
        if not periods:
            return {}
        boundaries = _boundaries(periods)
        cache = session.info.get(LEDGER_CACHE)
        key = tuple(boundaries)
        if cache is not None and key in cache:
            ledgers = cache[key]
        else:
            ledgers = _ledger_by_item(session, boundaries)
            if cache is not None:
                cache[key] = ledgers
        labels = _item_labels(session, ledgers)
        index = {day: n for n, day in enumerate(boundaries)}
        out: dict[Period, list[Part]] = {}
        for period in periods:
            parts = []
            for item_id, led in ledgers.items():
                part = _stock_part(kind, item_id, labels.get(item_id, ""), led, period, index)
                if part is not None:
                    parts.append(part)
            out[period] = parts
        return out

    return build


def _stock_part(kind: str, item_id: int, label: str, led: _ItemLedger, period: Period,
                index: dict[date, int]) -> Part | None:
    end = index[period.end]
    closing = led.value[end]
    if kind == "value":
        return Part("item", item_id, label, period.end, closing) if closing else None
    if kind == "dead":
        quiet = led.moves[end] == led.moves[index[period.end - timedelta(days=DEAD_STOCK_DAYS)]]
        return Part("item", item_id, label, period.end, closing) if closing > 0 and quiet else None
    # turnover: consumption in the period over (opening + closing) / 2
    before = index[period.start - timedelta(days=1)]
    opening = led.value[before]
    consumed = led.consumed[end] - led.consumed[before]
    if not consumed and not opening and not closing:
        return None
    return Part("item", item_id, label, period.end, consumed, opening + closing)


def spans_on(spans: Sequence[Span], periods: Sequence[Period]) -> dict[Period, list[Part]]:
    """Each period's parts on its last day (the caller caps a running period at today): the spans holding it."""
    out: dict[Period, list[Part]] = {p: [] for p in periods}
    by_end: dict[date, list[Period]] = defaultdict(list)
    for p in periods:
        by_end[p.end].append(p)
    ends = sorted(by_end)
    for span in spans:
        k = bisect_left(ends, span.valid_from)
        while k < len(ends) and (span.valid_to is None or ends[k] <= span.valid_to):
            for period in by_end[ends[k]]:
                out[period].append(span.part)
            k += 1
    return out


def _overdue(session: Session, periods: Sequence[Period]) -> dict[Period, list[Part]]:
    """Per period end: posted invoices past due on that day, less what was paid by that day (base)."""
    return spans_on(_overdue_spans(session, sorted({p.end for p in periods})), periods)


def _overdue_spans(session: Session, days: Sequence[date]) -> list[Span]:
    """Overdue invoices as spans: from the day after the due date (or the first day asked) to the day
    before each payment, the unpaid rest in base currency; only spans holding one of `days` (sorted).

    An invoice settled in full by the first day asked for is settled on every later one: the
    payments up to that day are summed in SQL, and only the invoices still open then come back with
    the payments made after it. Of those, an invoice paid in full with no day asked for between its
    due date and its last payment has no span to keep (most invoices: paid a few days late inside a
    month): SQL leaves it out too, so only the invoices overdue on some day asked for are read.
    """
    if not days:
        return []
    last, first_end = days[-1], days[0]
    early = (select(Payment.invoice_id,
                    func.sum(case((Payment.pay_date <= first_end, Payment.amount), else_=0)).label("paid"),
                    func.sum(Payment.amount).label("total"), func.max(Payment.pay_date).label("last_day"))
             .where(Payment.state == "posted").group_by(Payment.invoice_id).subquery())
    paid_early = func.coalesce(early.c.paid, 0)
    due = SalesInvoice.due_date
    open_invoice = and_(SalesInvoice.state == "posted", SalesInvoice.kind == "invoice",
                        due.is_not(None), due < last, SalesInvoice.amount_total > paid_early,
                        or_(early.c.total.is_(None), SalesInvoice.amount_total > early.c.total,
                            *(and_(due < day, early.c.last_day > day) for day in days)))
    later = and_(Payment.invoice_id == SalesInvoice.id, Payment.state == "posted", Payment.pay_date > first_end)
    rows = _read(session,  # each open invoice with its payments after the first day, in one pass
        select(SalesInvoice.id, SalesInvoice.number, SalesInvoice.due_date, SalesInvoice.amount_total,
               SalesInvoice.rate, paid_early, Payment.pay_date, Payment.amount)
        .outerjoin(early, early.c.invoice_id == SalesInvoice.id).outerjoin(Payment, later).where(open_invoice)
        .order_by(SalesInvoice.id, Payment.pay_date)
    )
    out: list[Span] = []
    for n, (inv_id, number, due, total, rate, settled, day, amount) in enumerate(rows):
        if not n or rows[n - 1][0] != inv_id:  # the invoice's first row: its rest at the first day asked
            start, rest = max(due + ONE_DAY, first_end), total - Decimal(settled)
        if day is not None and rest > 0:
            if day > start:  # unpaid rest constant from `start` to the day before this payment
                _keep_span(out, days, Part("invoice", inv_id, number, due, kopeks(rest * (rate or ONE))), start,
                           day - ONE_DAY)
                start = day
            rest -= amount
        if (n + 1 == len(rows) or rows[n + 1][0] != inv_id) and rest > 0:  # still open after its last payment
            _keep_span(out, days, Part("invoice", inv_id, number, due, kopeks(rest * (rate or ONE))), start, None)
    return out


def _keep_span(out: list[Span], days: Sequence[date], part: Part, first: date, last: date | None) -> None:
    """Keep the span if it holds one of the days asked for (sorted)."""
    k = bisect_left(days, first)
    if k < len(days) and (last is None or days[k] <= last):
        out.append(Span(part, first, last))


# --- service ---------------------------------------------------------------------------------------

REPEAT_DAYS = 90  # a request about the same product from the same client within 90 days is a repeat


def _service_rows(session: Session, column, since: date, until: date) -> list:
    from app.models.service import ServiceRequest as r

    upto = datetime.combine(until + timedelta(days=1), time())
    return list(session.execute(
        select(r.id, r.number, r.opened_at, r.first_response_at, r.resolved_at, r.resolution_due_at, r.assignee_id,
               r.priority, r.partner_id, r.item_id)
        .where(column >= datetime.combine(since, time()), column < upto).order_by(r.id)))


def _service_sla(session: Session, since: date, until: date) -> list[Part]:
    """Requests resolved in the period, and whether by their (pause-adjusted) deadline."""
    from app.models.service import ServiceRequest as r

    return [Part("service_request", i, n, resolved.date(), ONE if due is None or resolved <= due else ZERO, ONE, who)
            for i, n, _o, _f, resolved, due, who, *_rest in _service_rows(session, r.resolved_at, since, until)]


def _service_first_response(session: Session, since: date, until: date) -> list[Part]:
    """Working hours from opening to the first answer, in each priority's calendar, per answered request."""
    from app.models.service import ServiceRequest as r
    from app.models.service import SlaPolicy
    from app.services.service_desk.requests import work_calendar

    calendars = {p.priority: work_calendar(p.calendar) for p in session.scalars(select(SlaPolicy))}
    out = []
    for i, n, opened, first, _res, _due, who, priority, *_rest in _service_rows(session, r.first_response_at, since,
                                                                                 until):
        cal = calendars.get(priority)
        minutes = cal.working_minutes(opened, first) if cal else int((first - opened).total_seconds() // 60)
        out.append(Part("service_request", i, n, first.date(), Decimal(minutes) / 60, ONE, who))
    return out


def _service_repeats(session: Session, since: date, until: date) -> list[Part]:
    """Requests opened in the period that repeat one of the same client about the same product shortly before."""
    from app.models.service import ServiceRequest as r

    rows = _service_rows(session, r.opened_at, since - timedelta(days=REPEAT_DAYS), until)
    last: dict[tuple, datetime] = {}
    out = []
    for i, n, opened, _f, _res, _due, who, _prio, partner, item in rows:
        key = (partner, item)
        earlier = last.get(key)
        last[key] = opened
        if opened.date() >= since:
            repeat = item is not None and earlier is not None and (opened - earlier).days <= REPEAT_DAYS
            out.append(Part("service_request", i, n, opened.date(), ONE if repeat else ZERO, ONE, who))
    return out


# --- the catalogue -----------------------------------------------------------------------------------

_INV = ("SalesInvoiceView.list", "posted", "invoice_date")
METRICS: tuple[Metric, ...] = (
    Metric("revenue", _l("Revenue"), "sales", "money", None, RESOURCE_INVOICE, _INV, flow=_revenue,
           by_employee=True, ref_type="invoice", source=sources.INVOICES, sql=sql_flows.revenue),
    Metric("gross_margin", _l("Gross margin at FIFO cost"), "sales", "money", None, RESOURCE_INVOICE,
           ("ShipmentView.list", "posted", "ship_date"), flow=_shipment_margins, by_employee=True,
           ref_type="shipment", source=sources.SHIPMENTS, sql=sql_flows.margins),
    Metric("gross_margin_pct", _l("Gross margin, %"), "sales", "percent", HUNDRED, RESOURCE_INVOICE,
           ("ShipmentView.list", "posted", "ship_date"), flow=_shipment_margins, by_employee=True,
           ref_type="shipment", source=sources.SHIPMENTS, sql=sql_flows.margins),
    Metric("on_time_pct", _l("Orders shipped on time, %"), "sales", "percent", HUNDRED, RESOURCE_SHIPMENT,
           ("SalesOrderView.list", "shipped", "order_date"), flow=_completions, by_employee=True,
           ref_type="sales_order", source=sources.SHIPMENTS, second=True, sql=sql_flows.completions),
    Metric("order_lead_time", _l("Order lead time, days"), "sales", "days", ONE, RESOURCE_SHIPMENT,
           ("SalesOrderView.list", "shipped", "order_date"), flow=_completions, by_employee=True,
           ref_type="sales_order", source=sources.SHIPMENTS, sql=sql_flows.completions),
    Metric("proposals_sent", _l("Proposals sent"), "sales", "count", None, RESOURCE_PROPOSAL,
           ("ProposalView.list", "", "proposal_date"), flow=_proposals_sent, ref_type="proposal",
           source=sources.PROPOSALS),
    Metric("proposals_won", _l("Proposals won"), "sales", "count", None, RESOURCE_PROPOSAL,
           ("ProposalView.list", "approved", "proposal_date"), flow=_proposals_won, ref_type="proposal",
           source=sources.PROPOSALS),
    Metric("proposal_win_rate", _l("Proposal win rate, %"), "sales", "percent", HUNDRED, RESOURCE_PROPOSAL,
           ("ProposalView.list", "", "proposal_date"), flow=_proposal_win_rate, ref_type="proposal",
           source=sources.PROPOSALS),
    Metric("deal_win_rate", _l("Funnel conversion: deals won, %"), "sales", "percent", HUNDRED, RESOURCE_DEAL,
           ("DealView.list", "", "expected_close"), flow=_deal_win_rate, by_employee=True, ref_type="deal",
           source=sources.DEALS),
    Metric("production_output", _l("Production output"), "production", "money", None, RESOURCE_PRODUCTION,
           ("ProductionCompletionView.list", "posted", "doc_date"), flow=_production_output,
           ref_type="production_completion", source=sources.COMPLETIONS),
    Metric("production_cost_pct", _l("Actual vs planned production cost, %"), "production", "percent", HUNDRED,
           RESOURCE_PRODUCTION, ("ProductionOrderView.list", "done", "order_date"), flow=_production_cost,
           ref_type="production_order", source=sources.PRODUCTION_ORDERS),
    Metric("stock_value", _l("Stock value"), "warehouse", "money", None, RESOURCE_STOCK_REPORT,
           ("StockOnHandReportView.index", "", ""), point=_stock_points("value"), ref_type="item",
           source=sources.LEDGER),
    Metric("stock_turnover", _l("Stock turnover"), "warehouse", "times", TWO, RESOURCE_STOCK_REPORT,
           ("TurnoverView.index", "", ""), point=_stock_points("turnover"), ref_type="item", source=sources.LEDGER),
    Metric("dead_stock_value", _l("Dead stock value (no movement for 90 days)"), "warehouse", "money", None,
           RESOURCE_STOCK_REPORT, ("StockOnHandReportView.index", "", ""), point=_stock_points("dead"),
           ref_type="item", source=sources.LEDGER),
    Metric("po_on_time_pct", _l("Purchase orders received on time, %"), "purchasing", "percent", HUNDRED,
           RESOURCE_PURCHASING, ("PurchaseOrderView.list", "received", "order_date"), flow=_po_on_time,
           ref_type="purchase_order", source=sources.RECEIPTS),
    Metric("price_variance_pct", _l("Supplier price variance, %"), "purchasing", "percent", HUNDRED,
           RESOURCE_PURCHASING, ("PurchaseOrderView.list", "", "order_date"), flow=_price_variance,
           ref_type="purchase_receipt", source=sources.RECEIPTS),
    Metric("overdue_receivables", _l("Overdue receivables"), "finance", "money", None, RESOURCE_INVOICE,
           ("SalesInvoiceView.list", "posted", "due_date"), point=_overdue, spans=_overdue_spans, ref_type="invoice",
           source=sources.DEBTS),
    Metric("cash_collected", _l("Cash collected"), "finance", "money", None, RESOURCE_INVOICE,
           ("PaymentView.list", "posted", "pay_date"), flow=_cash_collected, by_employee=True, ref_type="payment",
           source=sources.PAYMENTS, sql=sql_flows.cash),
    Metric("service_sla_pct", _l("Service requests resolved within SLA, %"), "service", "percent", HUNDRED,
           RESOURCE_SERVICE, ("ServiceRequestView.list", "resolved", "resolved_at"), flow=_service_sla,
           by_employee=True, ref_type="service_request", source=sources.SERVICE_REQUESTS),
    Metric("service_first_response", _l("First response time, working hours"), "service", "number", ONE,
           RESOURCE_SERVICE, ("ServiceRequestView.list", "", "first_response_at"), flow=_service_first_response,
           by_employee=True, ref_type="service_request", source=sources.SERVICE_REQUESTS),
    Metric("service_repeat_pct", _l("Repeat service requests, %"), "service", "percent", HUNDRED,
           RESOURCE_SERVICE, ("ServiceRequestView.list", "", "opened_at"), flow=_service_repeats,
           ref_type="service_request", source=sources.SERVICE_REQUESTS),
)
BY_CODE: dict[str, Metric] = {m.code: m for m in METRICS}


def get_metric(code: str) -> Metric | None:
    return BY_CODE.get(code)
