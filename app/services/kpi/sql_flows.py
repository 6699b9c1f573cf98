"""Flow metrics summed and stored by the database: the documents never pass through Python.

A first run over a million ledger rows spent most of its time turning 400,000 documents into Python
objects, bucketing them, hashing them and writing them back as lineage rows. For the metrics whose
per-document share is plain arithmetic (revenue, cash collected, lead time and on time), the database
does it instead:

* one grouped query per period kind gives, per period and employee, the count and sums the figures
  are made of, and a fingerprint of the documents (sums of ids, of id x employee, of id-weighted
  amounts) that says whether a stored lineage still holds;
* a lineage that changed is written by one INSERT ... SELECT of the same rows.

Exactness: each document's share is rounded to the kopek in the row expression itself, as the Python
flows do, so the grouped sum and the Decimal sum of the lineage rows written from the same expression
are equal. PostgreSQL computes in numeric (round(x, 2) rounds half away from zero, as ROUND_HALF_UP).
On SQLite money is stored as integers scaled by 10^4 (app/models/types.py): an amount in base currency
(rate 1) is rounded in integer arithmetic; an amount in another currency by `kpi_kopeks`, a Python
function registered on the connection that multiplies the two scaled integers as Decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from hashlib import blake2b
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.domain.kpi import KOPEK
from app.domain.money import MONEY_PLACES, QTY_PLACES
from app.models.kpi import KpiLineageDoc
from app.models.sales import Payment, SalesInvoice, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from app.models.types import Money, Rate

RATE_ONE = 10 ** Rate.places  # a rate of 1 as SQLite stores it
MIX = 1009  # the prime an amount is weighted by (id modulo) in a lineage's fingerprint
MIX_MOD = 1_000_000_007  # SQLite: the stored integer amount taken modulo this prime, so the sum stays exact


@dataclass(frozen=True)
class Aggregate:
    """What a period's (or one employee's) figures are made of, summed by the database."""

    count: int
    num: Decimal
    den: Decimal
    count2: int
    num2: Decimal
    den2: Decimal
    ids: int
    owners: int  # sum of id x employee: a document moved to another manager changes it
    mix: str  # sum of amount x (id mod MIX): two documents swapping amounts change it

    def plus(self, other: Aggregate) -> Aggregate:
        return Aggregate(self.count + other.count, self.num + other.num, self.den + other.den,
                         self.count2 + other.count2, self.num2 + other.num2, self.den2 + other.den2,
                         self.ids + other.ids, self.owners + other.owners, f"{self.mix}+{other.mix}")

    def digest(self) -> str:
        """What is stored and compared (the column holds 40 characters): the count and a hash of the rest.

        Amounts normalized (12.5 and 12.5000 are one figure): a sum read back from the stored lineage
        (numeric(18, 4) on PostgreSQL) must give the digest of the same sum from the registers.
        """
        num, den, num2, den2 = (_plain(v) for v in (self.num, self.den, self.num2, self.den2))
        text = f"{self.ids}:{self.owners}:{num}:{den}:{self.count2}:{num2}:{den2}:{self.mix}"
        return f"{self.count}:s{blake2b(text.encode(), digest_size=8).hexdigest()}"


def _plain(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: the same text for the same number."""
    return f"{value.normalize():f}" if value else "0"


EMPTY = Aggregate(0, Decimal(0), Decimal(0), 0, Decimal(0), Decimal(0), 0, 0, "0")

SqlSource = Callable[[Session, date, date], Select]


def _sqlite_kopeks(amount: int | None, rate: int | None) -> int | None:
    """amount x rate (both as SQLite stores them) rounded half up to the kopek, scaled back to storage."""
    if amount is None:
        return None
    value = Decimal(amount).scaleb(-MONEY_PLACES) * (Decimal(rate).scaleb(-Rate.places) if rate else Decimal(1))
    return int(value.quantize(KOPEK, ROUND_HALF_UP).scaleb(MONEY_PLACES))


def _sqlite_line_revenue(net: int, qty: int, rate: int | None, ordered: int) -> int:
    """A shipped line's share of its order line's net amount in base currency, to the kopek (as
    `_shipment_margins`), from and to SQLite's scaled integers."""
    value = (Decimal(net).scaleb(-MONEY_PLACES) * Decimal(qty).scaleb(-QTY_PLACES)
             * (Decimal(rate).scaleb(-Rate.places) if rate else Decimal(1)) / Decimal(ordered).scaleb(-QTY_PLACES))
    return int(value.quantize(KOPEK, ROUND_HALF_UP).scaleb(MONEY_PLACES))


def prepare(session: Session) -> None:
    """Register the rounding functions on the session's SQLite connection (PostgreSQL rounds in numeric)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function("kpi_kopeks", 2, _sqlite_kopeks, deterministic=True)
        raw.create_function("kpi_line_revenue", 4, _sqlite_line_revenue, deterministic=True)


def _sqlite_round(amount: str) -> str:
    """A stored SQLite amount (scaled integer) rounded half up to the kopek in integer arithmetic (division
    truncates toward zero, so half is added away from zero first)."""
    half = 10 ** (MONEY_PLACES - 2) // 2
    return f"(({amount} + CASE WHEN {amount} < 0 THEN -{half} ELSE {half} END) / {2 * half} * {2 * half})"


def _kopeks(session: Session, amount: Any, rate: Any) -> Any:
    """SQL for kopeks(amount x (rate or 1)) in the column's storage form (see the module's docstring)."""
    a, r = amount.expression.compile(), rate.expression.compile()
    if session.get_bind().dialect.name == "sqlite":
        text = f"CASE WHEN {r} IS NULL OR {r} IN (0, {RATE_ONE}) THEN {_sqlite_round(a)} ELSE kpi_kopeks({a}, {r}) END"
    else:
        text = f"round({a} * CASE WHEN coalesce({r}, 0) = 0 THEN 1 ELSE {r} END, 2)"
    return literal_column(text, type_=Money())


def _rows(ref_id: Any, label: Any, day: Any, employee: Any, num: Any, den: Any = None, num2: Any = None,
          den2: Any = None) -> list[Any]:
    zero, none = cast(literal_column("0"), Money()), cast(null(), Money())  # typed: PostgreSQL sums numeric
    return [ref_id.label("ref_id"), label.label("label"), day.label("day"),
            func.coalesce(employee, 0).label("employee_key"), num.label("num"), (den if den is not None else zero)
            .label("den"), (num2 if num2 is not None else none).label("num2"),
            (den2 if den2 is not None else none).label("den2")]


def revenue(session: Session, since: date, until: date) -> Select:
    """Posted invoices by invoice date: the net amount in base currency, to the kopek (as `_revenue`)."""
    i = SalesInvoice
    return (select(*_rows(i.id, i.number, i.invoice_date, SalesOrder.manager_id,
                          _kopeks(session, i.amount_net, i.rate)))
            .outerjoin(SalesOrder, SalesOrder.id == i.order_id)
            .where(i.state == "posted", i.invoice_date.between(since, until)))


def cash(session: Session, since: date, until: date) -> Select:
    """Posted payments by pay date, in base currency at their invoice's rate (as `_cash_collected`)."""
    p, i = Payment, SalesInvoice
    return (select(*_rows(p.id, p.number, p.pay_date, SalesOrder.manager_id, _kopeks(session, p.amount, i.rate)))
            .join(i, i.id == p.invoice_id).outerjoin(SalesOrder, SalesOrder.id == i.order_id)
            .where(p.state == "posted", p.pay_date.between(since, until)))


def margins(session: Session, since: date, until: date) -> Select:
    """Posted shipments: num = revenue of what left minus its FIFO cost, den = that revenue; each line's
    revenue its share of the order line's net amount in base currency, to the kopek (as `_shipment_margins`),
    worked out once per line in an inner select."""
    s, line, ol, o = Shipment, ShipmentLine, SalesOrderLine, SalesOrder
    names = [str(c.expression.compile()) for c in (ol.amount_net, line.qty, o.rate, ol.qty)]
    net, qty, rate, ordered = names
    if session.get_bind().dialect.name == "sqlite":  # a line shipped in full in base currency: its net amount
        revenue = (f"CASE WHEN {qty} = {ordered} AND ({rate} IS NULL OR {rate} IN (0, {RATE_ONE})) "
                   f"THEN {_sqlite_round(net)} ELSE kpi_line_revenue({', '.join(names)}) END")
    else:
        revenue = f"round({net} * {qty} * CASE WHEN coalesce({rate}, 0) = 0 THEN 1 ELSE {rate} END / {ordered}, 2)"
    lines = (select(s.id, s.number, s.ship_date, o.manager_id, literal_column(revenue, type_=Money()).label("revenue"),
                    func.coalesce(line.cost, 0).label("cost"))
             .join(line, line.shipment_id == s.id).join(ol, ol.id == line.order_line_id).join(o, o.id == s.order_id)
             .where(s.state == "posted", s.ship_date.between(since, until)).subquery("kpi_shipped_line"))
    total = func.sum(lines.c.revenue)
    return (select(*_rows(lines.c.id, lines.c.number, lines.c.ship_date, lines.c.manager_id,
                          total - func.sum(lines.c.cost), total))
            .group_by(lines.c.id, lines.c.number, lines.c.ship_date, lines.c.manager_id))


def completions(session: Session, since: date, until: date) -> Select:
    """Orders shipped in full whose last shipment falls in the horizon: lead time in days (num / den 1),
    and on time (num2 / den2, none without a delivery date), as `_completions`."""
    o, s = SalesOrder, Shipment
    last = (select(s.order_id.label("order_id"), func.max(s.ship_date).label("done"))
            .where(s.state == "posted").group_by(s.order_id).subquery("kpi_last_shipment"))
    scale = 10 ** MONEY_PLACES
    if session.get_bind().dialect.name == "sqlite":
        days = f"CAST(julianday({last.c.done.compile()}) - julianday(sales_order.order_date) AS INTEGER) * {scale}"
        one = str(scale)
    else:
        days = f"({last.c.done.compile()} - sales_order.order_date)"
        one = "1"
    on_time = type_coerce(case((o.delivery_date.is_(None), null()), (last.c.done <= o.delivery_date,
                                                                      literal_column(one)), else_=literal_column("0")),
                          Money())
    asked = type_coerce(case((o.delivery_date.is_(None), null()), else_=literal_column(one)), Money())
    return (select(*_rows(o.id, o.number, last.c.done, o.manager_id, literal_column(days, type_=Money()),
                          literal_column(one, type_=Money()), on_time, asked))
            .join(last, last.c.order_id == o.id)
            .where(o.state.in_(("shipped", "closed")), last.c.done.between(since, until)))


def _in_spans(column: Any, spans: list[tuple[date, date]]) -> Any:
    return or_(*(column.between(a, b) for a, b in spans))


def _period_of(column: Any, ends: list[date], values: list[int], lo: int, hi: int) -> Any:
    """values[k] for the first of the sorted `ends` on or after the column's day: a balanced CASE tree."""
    if lo == hi:
        return literal_column(str(int(values[lo])))
    mid = (lo + hi) // 2
    return case((column <= ends[mid], _period_of(column, ends, values, lo, mid)),
                else_=_period_of(column, ends, values, mid + 1, hi))


def _mix(session: Session, num: Any, ref_id: Any) -> Any:
    """sum(amount x (id mod MIX)), exact whatever the order rows are summed in: PostgreSQL sums numeric;
    SQLite's integers would overflow at a million documents, so the stored amount is taken modulo a prime
    first (a float total could differ in its last digits between two reads of the same rows)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.sum(type_coerce(num, Integer) % MIX_MOD * (ref_id % MIX))
    return func.sum(num * (ref_id % MIX))


def _sums(session: Session, c: Any) -> list[Any]:
    """The columns an Aggregate is made of, over rows with ref_id, employee_key, num, den, num2, den2."""
    zero = literal_column("0", type_=Money())
    return [func.count(), func.coalesce(func.sum(c.num), zero), func.coalesce(func.sum(c.den), zero),
            func.count(c.num2), func.coalesce(func.sum(c.num2), zero), func.coalesce(func.sum(c.den2), zero),
            func.sum(c.ref_id), func.sum(c.ref_id * c.employee_key), _mix(session, c.num, c.ref_id)]


def _aggregate(count: int, num: Any, den: Any, count2: int, num2: Any, den2: Any, ids: Any, owners: Any,
               mixed: Any) -> Aggregate:
    mix = _plain(Decimal(mixed)) if mixed is not None else "0"
    return Aggregate(count, Decimal(num), Decimal(den), count2, Decimal(num2), Decimal(den2), int(ids),
                     int(owners or 0), mix)


def aggregates(session: Session, source: SqlSource, ends: list[date], spans: list[tuple[date, date]]
               ) -> dict[tuple[int, int], Aggregate]:
    """(index of the period in `ends`, employee key) -> its Aggregate; days outside `spans` left out."""
    src = source(session, spans[0][0], spans[-1][1]).subquery()
    period = _period_of(src.c.day, ends, list(range(len(ends))), 0, len(ends) - 1)
    stmt = (select(period, src.c.employee_key, *_sums(session, src.c))
            .where(_in_spans(src.c.day, spans))
            .group_by(literal_column("1"), literal_column("2")))  # by position: one period is the constant 0
    return {(int(n), int(employee or 0)): _aggregate(*rest)
            for n, employee, *rest in session.connection().execute(stmt)}


def stored_aggregates(session: Session, lineage_ids: list[int]) -> dict[tuple[int, int], Aggregate]:
    """As `aggregates`, from lineages just written (index of the lineage in `lineage_ids`): a first run
    writes every document once and sums what it wrote, instead of reading the registers twice."""
    d = KpiLineageDoc.__table__
    index = {lineage_id: n for n, lineage_id in enumerate(lineage_ids)}
    stmt = (select(d.c.lineage_id, d.c.employee_key, *_sums(session, d.c))
            .where(d.c.lineage_id.in_(lineage_ids)).group_by(d.c.lineage_id, d.c.employee_key))
    return {(index[lineage_id], int(employee or 0)): _aggregate(*rest)
            for lineage_id, employee, *rest in session.connection().execute(stmt)}


def write_lineage(session: Session, source: SqlSource, ref_type: str, periods: list[tuple[date, date, int]]) -> None:
    """Store the documents of each (start, end, lineage id) by one INSERT ... SELECT of the source rows."""
    if not periods:
        return
    periods = sorted(periods)
    src = source(session, periods[0][0], periods[-1][1]).subquery()
    lineage = _period_of(src.c.day, [p[1] for p in periods], [p[2] for p in periods], 0, len(periods) - 1)
    d = KpiLineageDoc.__table__
    session.execute(insert(d).from_select(
        ["lineage_id", "employee_key", "ref_type", "ref_id", "label", "ref_date", "num", "den", "num2", "den2"],
        select(lineage, src.c.employee_key, literal(ref_type), src.c.ref_id, func.substr(src.c.label, 1, 64),
               src.c.day, src.c.num, src.c.den, src.c.num2, src.c.den2)
        .where(_in_spans(src.c.day, [(a, b) for a, b, _ in periods]))))
