"""Computing KPIs: metric facts per period and employee with their lineage, then definitions' values.

`compute_kpis` is what the nightly job and "Run now" call. It works out which (metric, period kind,
employee) figures the active definitions need, reads each metric's parts once for the whole
horizon, buckets them, and writes only what changed:

* a fact whose parts are the same as stored (same digest) is left alone: recomputing is idempotent;
* a fact of the running period, or one not yet frozen, is overwritten;
* a fact of a period that was already closed when last computed is frozen: if a document dated
  inside it was posted or cancelled since, its figure is corrected *and* a KpiRestatement names
  the KPI, the period, the old and new value and the documents that changed.
"""

from __future__ import annotations

import ast
import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.calculators.errors import CalcError, Fail
from app.calculators.evaluator import Evaluator, deadline_after
from app.calculators.language import parse_program
from app.domain.errors import DomainError
from app.domain.kpi import (
    PERIOD_KINDS,
    ZERO,
    Part,
    Period,
    attainment,
    metric_value,
    period_of,
    periods_between,
    traffic_light,
)
from app.models.base import utcnow
from app.models.kpi import (
    KpiDefinition,
    KpiFact,
    KpiLineage,
    KpiLineageDoc,
    KpiRestatement,
    KpiScorePart,
    KpiSourceMark,
    KpiValue,
)
from app.services.base import unit_of_work
from app.services.driver_sql import bulk_insert
from app.services.kpi import sql_flows
from app.services.kpi.metrics import BY_CODE, LEDGER_CACHE, METRICS, Metric, Span, spans_on
from app.services.kpi.sources import ALL

FactKey = tuple[str, str, date, int]  # metric, period kind, period start, employee key (0 = all)


@dataclass
class ComputeStats:
    facts_written: int = 0
    facts_unchanged: int = 0
    values_written: int = 0
    restatements: int = 0
    periods_read: int = 0  # (metric, period kind, period) read from the registers again
    periods_skipped: int = 0  # ... left alone: their sources did not change
    recomputed: dict[str, int] = field(default_factory=dict)  # metric -> periods read again
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    turned_red: int = 0  # "KPI turned red" process events recorded


@dataclass
class _Change:
    """A frozen fact whose parts changed: the documents that caused it, for the restatement."""

    documents: list[dict[str, Any]]


def default_since(today: date) -> date:
    """The horizon: the previous calendar year and this one (every closed period in it is kept)."""
    return date(today.year - 1, 1, 1)


# --- formulas -----------------------------------------------------------------------------------


class _NoEnvironment:
    """KPI formulas read metrics only: no lookup tables, no item prices."""

    def lookup(self, table, key, column):
        raise CalcError([])

    def item_cost(self, code, source):
        raise CalcError([])

    def item_price(self, code):
        raise CalcError([])


def formula_metrics(formula: str) -> set[str]:
    """The metric codes a formula reads; a DomainError listing every problem when it is not valid."""
    program = parse_program(f"kpi = {formula}", set(BY_CODE))
    names: set[str] = set()
    for line in program.lines:
        names |= {n.id for n in ast.walk(line.expr) if isinstance(n, ast.Name) and n.id in BY_CODE}
    return names


def evaluate_formula(formula: str, values: dict[str, Decimal | None]) -> Decimal | None:
    """The formula over metric values; None when a metric it reads has no value or it divides by zero."""
    if any(v is None for v in values.values()):
        return None
    program = parse_program(f"kpi = {formula}", set(values))
    names: dict[str, Any] = dict(values)
    evaluator = Evaluator(names, _NoEnvironment(), deadline_after())
    try:
        for line in program.lines:
            names[line.name] = evaluator.value(line.expr)
    except Fail:
        return None
    result = names.get("kpi")
    return result.quantize(Decimal("0.0001")) if isinstance(result, Decimal) else None


def definition_metrics(defn: KpiDefinition) -> set[str]:
    if defn.metric:
        return {defn.metric}
    return formula_metrics(defn.formula)


def validate_definition(defn: KpiDefinition) -> None:
    """Refuse a definition that can't be computed: unknown metric, bad formula, employee on a division metric."""
    from app.domain.errors import Problem

    problems: list[Problem] = []
    if bool(defn.metric) == bool((defn.formula or "").strip()):
        problems.append(Problem("Give either a metric or a formula", field="metric"))
    elif defn.metric and defn.metric not in BY_CODE:
        problems.append(Problem("Unknown metric: %(metric)s", {"metric": defn.metric}, field="metric"))
    elif not defn.metric:
        try:
            formula_metrics(defn.formula)
        except CalcError as exc:
            problems.extend(exc.problems)
    # on a form the relationship is set before the id is (nothing is flushed while validating)
    if (defn.employee_id or defn.employee is not None) and not problems:
        flat = [c for c in definition_metrics(defn) if not BY_CODE[c].by_employee]
        if flat:
            problems.append(Problem("These metrics are not kept per employee: %(metrics)s",
                                    {"metrics": ", ".join(sorted(flat))}, field="employee"))
    if problems:
        raise DomainError(problems)


# --- facts --------------------------------------------------------------------------------------


def _digest(rows: list[tuple]) -> str:
    """A fingerprint of a figure's (ref_id, num, den) rows: equal when the same documents give the same shares.

    Built from numbers only (ids and Decimals, whose hashes are the same in every process, unlike
    strings'); a metric's parts are all of one kind of document, so the type needs no place in it.
    """
    rows.sort()
    return f"{len(rows)}:{hash(tuple(rows)) & 0xFFFFFFFFFFFFFFFF:016x}"


def _shares(metric: Metric, parts: list[Part]) -> list[tuple[int, Decimal, Decimal]]:
    """(ref_id, num, den) of the parts that count for the metric (its own share of a shared read)."""
    if not metric.second:
        return [(p.ref_id, p.num, p.den) for p in parts]
    return [(p.ref_id, p.num2, p.den2 or ZERO) for p in parts if p.num2 is not None]


def _sum_shares(rows: list[tuple[int, Decimal, Decimal]]) -> tuple[Decimal, Decimal, int]:
    num = den = ZERO
    for _, n, d in rows:
        num += n
        den += d
    return num, den, len(rows)


def lineage_source(metric: Metric) -> str:
    """The name a metric's lineage is stored under: the first metric made from the same read of the
    registers that reads its num / den (margin % shares margin's shipments, on-time % lead time's
    orders), else its own code."""
    if metric.flow is not None:
        return next(m.code for m in METRICS if m.flow is metric.flow and not m.second)
    return metric.code


def _needs(definitions: list[KpiDefinition], metrics_of: dict[int, set[str]]) -> dict[str, dict[str, set[int]]]:
    """metric -> period kind -> employee keys the definitions read.

    A metric sharing its lineage with a needed one is computed with it (its company figure at least):
    the shared documents are rewritten when the read changes, so no stored figure is left pointing at
    documents that no longer add up to it.
    """
    needs: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for defn in definitions:
        for code in metrics_of[defn.id]:
            needs[code][defn.period].add(defn.employee_id or 0)
    for code, kinds in list(needs.items()):
        source = lineage_source(BY_CODE[code])
        for sibling in METRICS:
            if sibling.code != code and lineage_source(sibling) == source:
                for kind in list(kinds):
                    needs[sibling.code][kind].add(0)
    return needs


def _spans(periods: dict[str, list[Period]], today: date) -> list[tuple[date, date]]:
    """The days to read, as few contiguous spans as the periods to recompute allow (capped at today)."""
    spans: list[list[date]] = []
    for p in sorted((p for plist in periods.values() for p in plist), key=lambda p: p.start):
        end = min(p.end, today)
        if spans and p.start <= spans[-1][1] + timedelta(days=1):
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([p.start, end])
    return [(a, b) for a, b in spans]


def _bucket(metric: Metric, session: Session, periods: dict[str, list[Period]], keys: dict[tuple[str, date], set[int]],
            today: date, reads: dict[Any, Any], lineages: _Lineages) -> dict[FactKey, list[Part]]:
    """The metric's parts per (period, employee key), for the periods to recompute only.

    A flow metric reads its documents span by span (one query each, every employee at once: the
    parts carry their employee); `reads` shares a read between metrics of one source (margin and
    margin %, on time and lead time).
    """
    out: dict[FactKey, list[Part]] = {}
    employees: dict[tuple[str, date], dict[int, list[Part]]] = {}  # a period's employee buckets
    for kind, plist in periods.items():
        for period in plist:
            own = employees[(kind, period.start)] = {}
            for key in keys[(kind, period.start)] | {0}:  # the company figure holds the period's lineage
                bucket = out[(metric.code, kind, period.start, key)] = []
                if key:
                    own[key] = bucket
    if metric.flow is not None:
        for first, last in _spans(periods, today):
            cache_key = (metric.flow, first, last)
            if cache_key not in reads:
                reads[cache_key] = metric.flow(session, first, last)
            parts = reads[cache_key]
            for kind in periods:
                # per day its period's company bucket and employee buckets: a dict lookup or two a part
                by_day: dict[date, tuple[list[Part] | None, dict[Any, list[Part]]]] = {}
                for part in parts:
                    day = by_day.get(part.day)
                    if day is None:
                        start = period_of(kind, part.day).start
                        day = by_day[part.day] = (out.get((metric.code, kind, start, 0)),
                                                  employees.get((kind, start), {}))
                    if day[0] is not None:
                        day[0].append(part)
                    own = day[1].get(part.employee_id)
                    if own is not None:
                        own.append(part)
    else:
        # the running period's figure is "so far": stock and debts as of today, not its last day
        asked = sorted({Period(p.kind, p.start, min(p.end, today)) for plist in periods.values() for p in plist})
        if metric.spans is not None:
            # the spans must hold the days of the figures stored before too: they open the same pool
            days = sorted({p.end for p in asked} | lineages.as_of_days(metric))
            spans = reads[("spans", metric.code)] = metric.spans(session, days)
            by_period = spans_on(spans, asked)
        else:
            by_period = metric.point(session, asked)
        for period, parts in by_period.items():
            if (metric.code, period.kind, period.start, 0) in out:
                out[(metric.code, period.kind, period.start, 0)] = parts
    return out


def _diff(metric: Metric, old: list[tuple], new: list[Part]) -> list[dict[str, Any]]:
    """The documents whose share changed: (ref_type, ref_id, label, num, den) rows before, parts after."""
    before = {(r[0], r[1]): r for r in old}
    after = {(p.ref_type, p.ref_id): (p, share) for p in new if (share := metric.share(p)) is not None}
    changed = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1])):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and (b[3], b[4]) == a[1]:
            continue
        changed.append({"type": key[0], "id": key[1], "label": a[0].label if a is not None else b[2],
                        "old": None if b is None else str(b[3]), "new": None if a is None else str(a[1][0])})
    return changed


def _write_facts(session: Session, metric: Metric, buckets: dict[FactKey, list[Part]], today: date,
                 stats: ComputeStats, lineages: _Lineages, reads: dict[Any, Any]
                 ) -> tuple[dict[FactKey, _Change], set[FactKey]]:
    """Insert new figures, rewrite changed ones, leave the same ones alone; each points at its lineage.

    Core statements in bulk: a first run writes tens of thousands of figures. Their documents are
    written once per period (the company figure's parts), not once per figure (`_Lineages`).
    """
    shares = {key: _shares(metric, parts) for key, parts in buckets.items()}
    figures = {key: (_digest(list(rows)), *_sum_shares(rows)) for key, rows in shares.items()}
    ids = lineages.write(metric, {(k[1], k[2]): parts for k, parts in buckets.items() if k[3] == 0},
                         {(k[1], k[2]): min(period_of(k[1], k[2]).end, today) for k in buckets if k[3] == 0},
                         reads.get(("spans", metric.code)))
    return _store_facts(session, metric, figures, ids, today, stats, lineages, buckets.__getitem__)


def _sql_facts(session: Session, metric: Metric, periods: dict[str, list[Period]],
               keys: dict[tuple[str, date], set[int]], today: date, stats: ComputeStats, lineages: _Lineages,
               reads: dict[Any, Any]) -> tuple[dict[FactKey, _Change], set[FactKey]]:
    """As `_write_facts` for a metric the database sums and stores (app/services/kpi/sql_flows.py): one
    grouped query per period kind, one INSERT ... SELECT per kind for the lineages that changed."""
    sql_flows.prepare(session)
    figures: dict[FactKey, tuple[str, Decimal, Decimal, int]] = {}
    lineage_digests: dict[tuple[str, date], tuple[str, int]] = {}
    seeded: dict[tuple[str, date], tuple[str, int]] = {}
    for kind, plist in periods.items():
        cache_key = ("sql", metric.sql, kind, tuple(p.start for p in plist))
        if cache_key in reads:  # lead time and on time % share one read
            pass
        elif lineages.none_stored(metric, [(kind, p.start) for p in plist]):
            reads[cache_key] = _seed_sql_lineages(session, metric, kind, plist, today, lineages)
            seeded.update({(kind, p.start): ("", 0) for p in plist})
        else:
            reads[cache_key] = sql_flows.aggregates(session, metric.sql, [p.end for p in plist],
                                                    _spans({kind: plist}, today))
        by_period: dict[int, dict[int, sql_flows.Aggregate]] = defaultdict(dict)
        for (n, employee), agg in reads[cache_key].items():
            by_period[n][employee] = agg
        for n, period in enumerate(plist):
            own = by_period.get(n, {})
            company = sql_flows.EMPTY
            for employee in sorted(own):
                company = company.plus(own[employee])
            lineage_digests[(kind, period.start)] = (company.digest(), company.count)
            for key in keys[(kind, period.start)] | {0}:
                agg = company if key == 0 else own.get(key, sql_flows.EMPTY)
                share = (agg.num2, agg.den2, agg.count2) if metric.second else (agg.num, agg.den, agg.count)
                figures[(metric.code, kind, period.start, key)] = (agg.digest(), *share)

    def write(fresh: list[tuple[tuple[str, date], int]]) -> None:
        for kind in periods:
            sql_flows.write_lineage(session, metric.sql, metric.ref_type,
                                    [(k[1], min(period_of(*k).end, today), i) for k, i in fresh if k[0] == kind])

    lineages.settle(metric, {key: lineage_digests[key] for key in seeded})
    ids = lineages.write_sql(metric, lineage_digests, write)
    return _store_facts(session, metric, figures, ids, today, stats, lineages,
                        lambda key: _stored_parts(session, ids[(key[1], key[2])], key[3]))


def _seed_sql_lineages(session: Session, metric: Metric, kind: str, plist: list[Period], today: date,
                       lineages: _Lineages) -> dict[tuple[int, int], sql_flows.Aggregate]:
    """A first run of a database-summed metric: its periods' documents written by one INSERT ... SELECT,
    then summed from what was written (the lineage's own index), so the registers' joins are read once,
    not once for the sums and once more for the lineage. The digests are settled by the caller."""
    ids = lineages.reserve(metric, [(kind, p.start) for p in plist])
    sql_flows.write_lineage(session, metric.sql, metric.ref_type,
                            [(p.start, min(p.end, today), ids[(kind, p.start)]) for p in plist])
    return sql_flows.stored_aggregates(session, [ids[(kind, p.start)] for p in plist])


def _stored_parts(session: Session, lineage_id: int, employee_key: int) -> list[Part]:
    """A lineage's documents as parts (of one employee, or all): a restated figure's new documents."""
    d = KpiLineageDoc.__table__
    return [Part(*row) for row in session.execute(
        select(d.c.ref_type, d.c.ref_id, d.c.label, d.c.ref_date, d.c.num, d.c.den, d.c.employee_key, d.c.num2,
               d.c.den2).where(d.c.lineage_id == lineage_id, *([d.c.employee_key == employee_key] if employee_key
                                                               else [])))]


def _store_facts(session: Session, metric: Metric, figures: dict[FactKey, tuple[str, Decimal, Decimal, int]],
                 ids: dict[tuple[str, date], int], today: date, stats: ComputeStats, lineages: _Lineages,
                 parts_of: Callable[[FactKey], list[Part]]) -> tuple[dict[FactKey, _Change], set[FactKey]]:
    """Write each figure (digest, num, den, documents) unless stored the same; a closed one that changed
    keeps the documents whose share changed (`parts_of` gives its new ones) for its restatement."""
    t = KpiFact.__table__
    first = min((k[2] for k in figures), default=today)
    existing = {(r.metric, r.period_kind, r.period_start, r.employee_key): r for r in session.execute(
        select(t.c.id, t.c.metric, t.c.period_kind, t.c.period_start, t.c.employee_key, t.c.digest, t.c.closed,
               t.c.lineage_id)
        .where(t.c.metric == metric.code, t.c.period_start >= first))}
    changes: dict[FactKey, _Change] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    dirty: set[FactKey] = set()
    now = utcnow()
    for key, (digest, num, den, count) in figures.items():
        period = period_of(key[1], key[2])
        closed, lineage_id = period.closed_on(today), ids[(key[1], key[2])]
        row = existing.get(key)
        if row is not None and row.digest == digest and row.lineage_id == lineage_id:
            stats.facts_unchanged += 1
            continue
        value = metric_value(num, den, metric.scale)
        fields = {"num": num, "den": den, "docs": count, "digest": digest, "value": value, "closed": closed,
                  "computed_at": now, "lineage_id": lineage_id}
        if row is None:
            inserts.append({"metric": key[0], "period_kind": key[1], "period_start": key[2],
                            "period_end": period.end, "employee_key": key[3], **fields})
        else:
            if row.closed:
                changes[key] = _Change(_diff(metric, lineages.before(row.lineage_id, key[3], metric), parts_of(key)))
            updates.append({"b_id": row.id, **{f"b_{k}": v for k, v in fields.items()}})
        dirty.add(key)
        stats.facts_written += 1
    if updates:
        session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            **{k: bindparam(f"b_{k}") for k in ("num", "den", "docs", "digest", "value", "closed", "computed_at",
                                                 "lineage_id")}), updates)
    if inserts:
        session.execute(insert(t), inserts)
    return changes, dirty


def _lineage_digest(parts: list[Part]) -> str:
    """As `_digest`, with each document's employee (a manager changed on an order moves its documents)
    and its second share when two metrics come from the read."""
    rows = sorted((p.ref_id, p.num, p.den, p.employee_id or 0) if p.num2 is None else
                  (p.ref_id, p.num, p.den, p.employee_id or 0, p.num2, p.den2 or ZERO) for p in parts)
    return f"{len(rows)}:{hash(tuple(rows)) & 0xFFFFFFFFFFFFFFFF:016x}"


def _span_digest(spans: list[Span]) -> str:
    """As `_digest`, over a span pool (days as ordinals: the hash of a date object is salted per process)."""
    rows = sorted((s.part.ref_id, s.part.num, s.valid_from.toordinal(), s.valid_to.toordinal() if s.valid_to else 0)
                  for s in spans)
    return f"{len(rows)}:{hash(tuple(rows)) & 0xFFFFFFFFFFFFFFFF:016x}"


POOL_KIND, POOL_START = "spans", date(1970, 1, 1)  # the KpiLineage row holding a point metric's span pool


class _Lineages:
    """The documents behind the figures, once per read of the registers and period (see KpiLineage).

    Margin and margin %, lead time and on-time % come from one read each: the second metric finds the
    lineage already written this run. A point metric kept as spans (overdue receivables) stores one
    pool of spans for all its periods; each period's lineage names the day its documents were taken on.
    A lineage rewritten in a closed period keeps its old documents for the run, so each figure
    pointing at it can name, in its restatement, the documents whose share changed.
    """

    def __init__(self, session: Session, today: date) -> None:
        self.session, self.today = session, today
        # source -> (kind, start) -> [id, digest, as_of]
        self.rows: dict[str, dict[tuple[str, date], list[Any]]] = {}
        # lineage id (or ("pool", source)) -> rows before this run: (employee, type, id, label, num, den, num2, den2
        # [, valid_from, valid_to])
        self.old: dict[Any, list[tuple]] = {None: []}
        self.was: dict[int, date | None] = {}  # lineage id -> the day its span documents were taken on, before

    def _stored(self, source: str) -> dict[tuple[str, date], list[Any]]:
        if source not in self.rows:
            t = KpiLineage.__table__
            self.rows[source] = {(k, s): [i, d, a] for i, k, s, d, a in self.session.execute(
                select(t.c.id, t.c.period_kind, t.c.period_start, t.c.digest, t.c.as_of).where(t.c.source == source))}
        return self.rows[source]

    def as_of_days(self, metric: Metric) -> set[date]:
        """The days the stored span figures of the metric were taken on (its pool must keep holding them)."""
        return {row[2] for row in self._stored(lineage_source(metric)).values() if row[2] is not None}

    def _docs(self, lineage_id: int | None) -> list[tuple]:
        if lineage_id not in self.old:
            d = KpiLineageDoc.__table__
            self.old[lineage_id] = [tuple(r) for r in self.session.execute(
                select(d.c.employee_key, d.c.ref_type, d.c.ref_id, d.c.label, d.c.num, d.c.den, d.c.num2, d.c.den2,
                       d.c.valid_from, d.c.valid_to)
                .where(d.c.lineage_id == lineage_id))]
        return self.old[lineage_id]

    def _keep_old(self, source: str, row: list[Any]) -> None:
        """Read a lineage's documents (its pool's for spans) before they are rewritten: for restatements."""
        self.was[row[0]] = row[2]
        if row[2] is None:
            self._docs(row[0])
        elif ("pool", source) not in self.old:
            pool = self._stored(source).get((POOL_KIND, POOL_START))
            self.old[("pool", source)] = self._docs(pool[0]) if pool else []

    def before(self, lineage_id: int | None, employee_key: int, metric: Metric) -> list[tuple]:
        """A figure's documents as they were when it was computed: (type, id, label, num, den) of the metric."""
        source = lineage_source(metric)
        as_of = self.was.get(lineage_id) if lineage_id is not None else None
        if as_of is None:
            rows = self._docs(lineage_id)
        else:
            rows = [r for r in self.old.get(("pool", source), ()) if r[8] <= as_of and (r[9] is None or as_of <= r[9])]
        if metric.second:
            return [(r[1], r[2], r[3], r[6], r[7] or ZERO) for r in rows
                    if (not employee_key or r[0] == employee_key) and r[6] is not None]
        return [r[1:6] for r in rows if not employee_key or r[0] == employee_key]

    def write(self, metric: Metric, periods: dict[tuple[str, date], list[Part]], as_of: dict[tuple[str, date], date],
              spans: list[Span] | None) -> dict[tuple[str, date], int]:
        """Store each period's documents unless stored the same; the lineage id of every period.

        With `spans`, a period stores no documents of its own but the day they were taken on, and the
        pool of spans is rewritten when it changed.
        """
        source = lineage_source(metric)
        stored = self._stored(source)
        fresh: list[tuple[tuple[str, date], list[Part], str, date | None]] = []
        for key, parts in periods.items():
            digest, day = _lineage_digest(parts), as_of[key] if spans is not None else None
            row = stored.get(key)
            if row is not None and row[1] == digest and row[2] == day:
                continue
            if row is not None and period_of(*key).closed_on(self.today):
                self._keep_old(source, row)  # for the restatements of the figures pointing at it
            fresh.append((key, parts, digest, day))
        if spans is not None:
            self._write_pool(source, stored, spans)
        if fresh:
            self._rewrite(source, stored, fresh)
        return {key: stored[key][0] for key in periods}

    def write_sql(self, metric: Metric, digests: dict[tuple[str, date], tuple[str, int]],
                  insert_docs: Callable[[list[tuple[tuple[str, date], int]]], None]) -> dict[tuple[str, date], int]:
        """As `write` for a lineage the database writes: (digest, documents) per period; `insert_docs`
        stores the documents of the (period, lineage id) pairs whose digest changed."""
        source = lineage_source(metric)
        stored = self._stored(source)
        fresh: list[tuple[tuple[str, date], Any, str, date | None]] = []
        for key, (digest, count) in digests.items():
            row = stored.get(key)
            if row is not None and row[1] == digest and row[2] is None:
                continue
            if row is not None and period_of(*key).closed_on(self.today):
                self._keep_old(source, row)
            fresh.append((key, count, digest, None))
        if fresh:
            self._rewrite(source, stored, fresh)
            insert_docs([(key, stored[key][0]) for key, *_ in fresh])
        return {key: stored[key][0] for key in digests}

    def none_stored(self, metric: Metric, keys: list[tuple[str, date]]) -> bool:
        """No lineage of the metric's read is stored for any of these periods (a first run)."""
        stored = self._stored(lineage_source(metric))
        return not any(key in stored for key in keys)

    def reserve(self, metric: Metric, keys: list[tuple[str, date]]) -> dict[tuple[str, date], int]:
        """New lineage rows for these periods, their documents to be written and their digest settled."""
        source = lineage_source(metric)
        stored = self._stored(source)
        self._rewrite(source, stored, [(key, 0, "", None) for key in keys])
        return {key: stored[key][0] for key in keys}

    def settle(self, metric: Metric, digests: dict[tuple[str, date], tuple[str, int]]) -> None:
        """The digest and document count of lineages reserved and written this run."""
        if not digests:
            return
        stored, t = self._stored(lineage_source(metric)), KpiLineage.__table__
        self.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            digest=bindparam("b_digest"), docs=bindparam("b_docs")),
            [{"b_id": stored[key][0], "b_digest": digest, "b_docs": count} for key, (digest, count) in digests.items()])
        for key, (digest, _) in digests.items():
            stored[key][1] = digest

    def _write_pool(self, source: str, stored: dict, spans: list[Span]) -> None:
        digest = _span_digest(spans)
        row = stored.get((POOL_KIND, POOL_START))
        if row is not None and row[1] == digest:
            return
        if row is not None and ("pool", source) not in self.old:
            self.old[("pool", source)] = self._docs(row[0])  # a closed figure may still be restated from it
        self._rewrite(source, stored, [((POOL_KIND, POOL_START), [], digest, None)], len(spans))
        _insert_docs(self.session, [(stored[(POOL_KIND, POOL_START)][0], s.part.employee_id or 0, s.part.ref_type,
                                     s.part.ref_id, s.part.label[:64], s.part.day, s.part.num, s.part.den, None, None,
                                     s.valid_from, s.valid_to) for s in spans])

    def _rewrite(self, source: str, stored: dict, fresh: list[tuple[tuple[str, date], list[Part], str, date | None]],
                 pool_docs: int | None = None) -> None:
        t, d = KpiLineage.__table__, KpiLineageDoc.__table__
        old = [(stored[key][0], parts, digest, day) for key, parts, digest, day in fresh if key in stored]
        new = [(key, parts, digest, day) for key, parts, digest, day in fresh if key not in stored]
        for chunk in range(0, len(old), 500):
            self.session.execute(delete(d).where(d.c.lineage_id.in_([r[0] for r in old[chunk:chunk + 500]])))
        if old:
            self.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
                digest=bindparam("b_digest"), docs=bindparam("b_docs"), as_of=bindparam("b_as_of")),
                [{"b_id": i, "b_digest": digest, "b_docs": _count(parts) if pool_docs is None else pool_docs,
                  "b_as_of": day} for i, parts, digest, day in old])
        if new:
            ids = self.session.scalars(insert(t).returning(t.c.id, sort_by_parameter_order=True), [
                {"source": source, "period_kind": key[0], "period_start": key[1], "digest": digest,
                 "docs": _count(parts) if pool_docs is None else pool_docs, "as_of": day}
                for key, parts, digest, day in new])
            for (key, _, digest, day), lineage_id in zip(new, ids, strict=True):
                stored[key] = [lineage_id, digest, day]
        for key, _, digest, day in fresh:
            stored[key][1:] = [digest, day]
        _insert_docs(self.session, [(stored[key][0], p.employee_id or 0, p.ref_type, p.ref_id, p.label[:64], p.day,
                                     p.num, p.den, p.num2, p.den2, None, None)
                                    for key, parts, _, day in fresh if day is None and not isinstance(parts, int)
                                    for p in parts])


def _count(parts: list[Part] | int) -> int:
    """A lineage's documents: its parts, or their count when the database writes them."""
    return parts if isinstance(parts, int) else len(parts)


class LineageDoc(NamedTuple):
    """One document behind a figure, as the metric counts it (on-time % reads its read's second share)."""

    ref_type: str
    ref_id: int
    label: str
    ref_date: date | None
    num: Decimal
    den: Decimal


def fact_documents(session: Session, facts: list[KpiFact]) -> dict[int, list[LineageDoc]]:
    """Each figure's documents, oldest first: its period's lineage (those of its employee for an
    employee's figure), or for a span figure the spans of its source's pool holding its day.
    Their num and den add up to the figure's exactly. A few queries whatever the number of figures."""
    t, d = KpiLineage.__table__, KpiLineageDoc.__table__
    ids = sorted({f.lineage_id for f in facts if f.lineage_id is not None})
    if not ids:
        return {f.id: [] for f in facts}
    lineages = {i: (src, day) for i, src, day in session.execute(
        select(t.c.id, t.c.source, t.c.as_of).where(t.c.id.in_(ids)))}
    span_sources = sorted({src for src, day in lineages.values() if day is not None})
    pools = {src: i for src, i in session.execute(select(t.c.source, t.c.id).where(
        t.c.source.in_(span_sources), t.c.period_kind == POOL_KIND))} if span_sources else {}
    columns = (d.c.ref_type, d.c.ref_id, d.c.label, d.c.ref_date, d.c.num, d.c.den, d.c.num2, d.c.den2,
               d.c.employee_key)
    rows: dict[tuple[int, int], list] = {}
    for key in sorted({f.employee_key for f in facts}):
        plain = [i for i in ids if lineages.get(i, ("", None))[1] is None]
        where = [d.c.employee_key == key] if key else []
        if plain:
            for lineage_id, *row in session.execute(select(d.c.lineage_id, *columns).where(
                    d.c.lineage_id.in_(plain), *where).order_by(d.c.ref_date, d.c.id)):
                rows.setdefault((lineage_id, key), []).append(row)
        for i in ids:
            src, day = lineages.get(i, ("", None))
            if day is not None and src in pools:
                rows[(i, key)] = [list(r) for r in session.execute(select(*columns).where(
                    d.c.lineage_id == pools[src], d.c.valid_from <= day,
                    or_(d.c.valid_to.is_(None), d.c.valid_to >= day), *where).order_by(d.c.ref_date, d.c.id))]
    out: dict[int, list[LineageDoc]] = {}
    for f in facts:
        metric = BY_CODE.get(f.metric)
        found = rows.get((f.lineage_id, f.employee_key), [])
        # a second metric's figure stored before its read was shared has a lineage of its own (num / den)
        if metric is not None and metric.second and lineages.get(f.lineage_id, ("", None))[0] != metric.code:
            out[f.id] = [LineageDoc(*r[:4], r[6], r[7] or ZERO) for r in found if r[6] is not None]
        else:
            out[f.id] = [LineageDoc(*r[:6]) for r in found]
    return out


_DOC_COLUMNS = ("lineage_id", "employee_key", "ref_type", "ref_id", "label", "ref_date", "num", "den", "num2", "den2",
                "valid_from", "valid_to")


def _insert_docs(session: Session, rows: list[tuple]) -> None:
    bulk_insert(session, KpiLineageDoc.__table__, _DOC_COLUMNS, rows)


# --- definitions' values ------------------------------------------------------------------------------


def _definition_value(defn: KpiDefinition, codes: set[str], period: Period,
                      facts: dict[FactKey, Decimal | None]) -> Decimal | None:
    key = defn.employee_id or 0
    if defn.metric:
        return facts.get((defn.metric, period.kind, period.start, key))
    values = {code: facts.get((code, period.kind, period.start, key)) for code in codes}
    return evaluate_formula(defn.formula, values)


def _stored_facts(session: Session, codes: set[str], first: date) -> dict[FactKey, Decimal | None]:
    """Every stored figure of these metrics from `first` on: what definitions' values are made of."""
    t = KpiFact.__table__
    return {(m, k, s, e): v for m, k, s, e, v in session.execute(
        select(t.c.metric, t.c.period_kind, t.c.period_start, t.c.employee_key, t.c.value)
        .where(t.c.metric.in_(sorted(codes)), t.c.period_start >= first))}


_VALUE_COLUMNS = ("definition_id", "period_kind", "period_start", "period_end", "value", "status", "attainment",
                  "closed", "computed_at")


def _write_values(session: Session, definitions: list[KpiDefinition], metrics_of: dict[int, set[str]],
                  changes: dict[FactKey, _Change], dirty: set[FactKey],
                  since: date, today: date, stats: ComputeStats) -> None:
    """Every definition's value per period, its light and attainment; bulk insert / update of what changed.

    Only definitions with something new are looked at: a figure they read changed (or its period
    closed), the definition was edited since its values were computed, or a period has no value yet.
    """
    t = KpiValue.__table__
    periods = {kind: periods_between(kind, since, today) for kind in {d.period for d in definitions}}
    first = min((p[0].start for p in periods.values() if p), default=since)
    stamps = {def_id: (at, count) for def_id, at, count in session.execute(
        select(t.c.definition_id, func.min(t.c.computed_at), func.count())
        .where(t.c.period_start >= first).group_by(t.c.definition_id))}
    todo, touched = [], []
    for defn in definitions:
        at, count = stamps.get(defn.id, (None, 0))
        edited = at is not None and defn.updated_at is not None and defn.updated_at > at
        keys = ((code, defn.period, p.start, defn.employee_id or 0) for code in metrics_of[defn.id]
                for p in periods[defn.period])
        if at is None or count < len(periods[defn.period]) or edited or any(k in dirty for k in keys):
            todo.append(defn)
            if edited:
                touched.append(defn.id)
    if not todo:
        return
    ids = [d.id for d in todo]
    existing = {}
    for chunk in range(0, len(ids), 900):
        existing.update({(r.definition_id, r.period_start): r for r in session.execute(
            select(t.c.id, t.c.definition_id, t.c.period_start, t.c.value, t.c.status, t.c.attainment, t.c.closed)
            .where(t.c.period_start >= first, t.c.definition_id.in_(ids[chunk:chunk + 900])))})
    definitions = todo
    facts = _stored_facts(session, set().union(*(metrics_of[d.id] for d in todo)), first)
    inserts: list[tuple] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    closed_on = {p: p.closed_on(today) for plist in periods.values() for p in plist}
    for defn in definitions:
        # its attributes read once, not once per period (65,000 values on a first run)
        def_id, metric, key, red, green, direction, target = (defn.id, defn.metric, defn.employee_id or 0,
                                                              defn.red_threshold, defn.green_threshold,
                                                              defn.direction, defn.target)
        for period in periods[defn.period]:
            value = (facts.get((metric, period.kind, period.start, key)) if metric
                     else _definition_value(defn, metrics_of[def_id], period, facts))
            row = existing.get((def_id, period.start))
            closed = closed_on[period]
            status = traffic_light(value, red, green, direction)
            reached = attainment(value, target, direction)
            if row is not None and (row.value, row.status, row.attainment) == (value, status, reached):
                continue
            if row is None:
                inserts.append((def_id, period.kind, period.start, period.end, value, status, reached, closed, now))
            else:
                if row.closed and row.value != value:
                    _restate(session, defn, metrics_of[defn.id], period, row.value, value, changes)
                    stats.restatements += 1
                updates.append({"b_id": row.id, "b_value": value, "b_status": status, "b_attainment": reached,
                                "b_closed": closed, "b_computed_at": now})
            stats.values_written += 1
    if touched:  # an edited definition whose values stayed the same: they are now computed for its edit
        for chunk in range(0, len(touched), 900):
            session.execute(update(t).where(t.c.definition_id.in_(touched[chunk:chunk + 900])).values(computed_at=now))
    bulk_insert(session, t, _VALUE_COLUMNS, inserts)
    if updates:
        session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            value=bindparam("b_value"), status=bindparam("b_status"), attainment=bindparam("b_attainment"),
            closed=bindparam("b_closed"), computed_at=bindparam("b_computed_at")), updates)


def _restate(session: Session, defn: KpiDefinition, codes: set[str], period: Period, old: Decimal | None,
             new: Decimal | None, changes: dict[FactKey, _Change]) -> None:
    documents: list[dict[str, Any]] = []
    for code in sorted(codes):
        change = changes.get((code, period.kind, period.start, defn.employee_id or 0))
        if change is not None:
            documents.extend({**doc, "metric": code} for doc in change.documents)
    session.add(KpiRestatement(definition_id=defn.id, period_kind=period.kind, period_start=period.start,
                               period_end=period.end, old_value=old, new_value=new, documents=documents))


def _record_turned_red(session: Session, kinds: set[str], today: date) -> int:
    """The "KPI turned red" process events of the values just stored, for the last closed and the running
    period of each kind only: a first run stores every month of history, whose lights are not news."""
    from app.services.projects.processes import record_red_kpis

    periods = sorted((kind, p.start) for kind in kinds for p in (period_of(kind, today).previous(),
                                                                 period_of(kind, today)))
    total = 0
    while periods:
        recorded = record_red_kpis(session, periods=periods)
        total += recorded
        if recorded < 500:  # the scan records at most 500 a call
            break
    return total


def _close_periods(session: Session, today: date) -> None:
    """Freeze every figure and value whose period is over (after they were brought up to date): from
    now on a change to it is a restatement. Two statements, whatever was recomputed."""
    for table in (KpiFact.__table__, KpiValue.__table__):
        session.execute(update(table).where(table.c.closed.is_(False), table.c.period_end < today)
                        .values(closed=True))


def score_resources(codes: set[str]) -> str:
    """The registers a KPI's metrics read, as stored beside its score parts ("?": it can't be read)."""
    if not codes or any(c not in BY_CODE for c in codes):
        return "?"
    return ",".join(sorted({BY_CODE[c].resource for c in codes}))


def _write_scores(session: Session, definitions: list[KpiDefinition], metrics_of: dict[int, set[str]],
                  today: date) -> None:
    """Store what the weighted scores of the last closed and the running period of each kind are made of.

    A dashboard used to read every KPI's value to score divisions and employees (5,000 values at 100
    employees); now it adds the few rows written here. All rows are replaced: a few hundred, one
    query for the values they are made of. Each scored period gets a mark naming the definitions
    it was scored from (count, latest edit): an edit since then makes the reader score live.
    """
    t = KpiScorePart.__table__
    scored = {(kind, p.start) for kind in PERIOD_KINDS
              for p in (period_of(kind, today).previous(), period_of(kind, today))}
    v = KpiValue.__table__
    reached = {(d, k, s): a for d, k, s, a in session.execute(
        select(v.c.definition_id, v.c.period_kind, v.c.period_start, v.c.attainment).where(
            or_(*(and_(v.c.period_kind == k, v.c.period_start == s) for k, s in sorted(scored)))))}
    parts: dict[tuple[str, date, str, int, str], list[Any]] = defaultdict(lambda: [0, ZERO, ZERO])
    resources = {defn.id: score_resources(metrics_of[defn.id]) for defn in definitions}
    for defn in definitions:
        weight = defn.weight or ZERO
        for kind, start in scored:
            if kind != defn.period:
                continue
            part = parts[(kind, start, defn.division, defn.employee_id or 0, resources[defn.id])]
            part[0] += 1
            value = reached.get((defn.id, kind, start))
            if value is not None and weight > 0:
                part[1] += weight
                part[2] += weight * value
    latest = max((d.updated_at for d in definitions if d.updated_at is not None), default=None)
    rows = [{"period_kind": k, "period_start": s, "division": div, "employee_id": emp, "resources": res,
             "count": c, "weight": w, "weighted": ws, "definitions_at": None}
            for (k, s, div, emp, res), (c, w, ws) in parts.items()]
    rows += [{"period_kind": k, "period_start": s, "division": "", "employee_id": 0, "resources": "",
              "count": len(definitions), "weight": ZERO, "weighted": ZERO, "definitions_at": latest}
             for k, s in sorted(scored)]
    columns = ("period_kind", "period_start", "division", "employee_id", "resources", "count", "weight", "weighted",
               "definitions_at")
    stored = {tuple(r) for r in session.execute(select(*(t.c[c] for c in columns)))}
    if stored == {tuple(r[c] for c in columns) for r in rows}:
        return  # recomputing is idempotent: nothing is written when the scores are the same
    session.execute(delete(t))
    session.execute(insert(t), rows)


class _Marks:
    """The watermarks stored for each (metric, period kind), and the sources' marks now (read once a run)."""

    def __init__(self, session: Session, since: date, today: date) -> None:
        self.session, self.since, self.today = session, since, today
        self.stored = {(r.metric, r.period_kind): r for r in session.scalars(select(KpiSourceMark))}
        self.now: dict[str, Any] = {}

    def source_now(self, metric: Metric) -> Any:
        source = metric.source
        if source.name not in self.now:
            self.now[source.name] = source.mark(self.session, self.since, self.today)
        return self.now[source.name]

    def changed(self, metric: Metric, kind: str) -> tuple[set[date] | None, bool]:
        """The changed days of the metric's source since its figures of `kind` were computed, and
        whether the day moved on since (a point figure's running period is "as of today")."""
        row = self.stored.get((metric.code, kind))
        days = metric.source.changed(self.session, row.mark if row else None, self.source_now(metric), self.since)
        return days, row is None or row.computed_on != self.today

    def save(self, metric: Metric, kind: str) -> None:
        row, mark = self.stored.get((metric.code, kind)), self.source_now(metric)
        if row is None:
            self.session.add(KpiSourceMark(metric=metric.code, period_kind=kind, mark=mark, computed_on=self.today))
        elif row.mark != mark or row.computed_on != self.today:
            row.mark, row.computed_on = mark, self.today


def _stored_keys(session: Session, first: date) -> dict[tuple[str, str, date], set[int]]:
    """(metric, kind, period start) -> employee keys of the figures stored from `first` on."""
    t = KpiFact.__table__
    out: dict[tuple[str, str, date], set[int]] = defaultdict(set)
    for m, k, s, e in session.execute(select(t.c.metric, t.c.period_kind, t.c.period_start, t.c.employee_key)
                                      .where(t.c.period_start >= first)):
        out[(m, k, s)].add(e)
    return out


def _to_recompute(metric: Metric, kind: str, keys: set[int], marks: _Marks, stored: dict, since: date,
                  today: date) -> tuple[list[Period], dict[tuple[str, date], set[int]]]:
    """The periods of `kind` whose figures must be computed again, and the employee keys of each.

    A period is recomputed when its source changed (a flow metric: a changed day inside it; a point
    metric: a changed day on or before its end, or the running period once the day moved on), or
    when a figure a definition needs is missing. Every stored key of the period is recomputed with
    it, so a figure no definition reads today is not left stale for the day one does again.
    """
    days, moved = marks.changed(metric, kind)
    plist = periods_between(kind, since, today)
    if days is not ALL:
        first = min(days, default=None)
        starts = {period_of(kind, d).start for d in days}
        point = metric.point is not None
        plist = [p for n, p in enumerate(plist)
                 if (point and ((first is not None and p.end >= first) or (moved and n == len(plist) - 1)))
                 or (not point and p.start in starts)
                 or not keys <= stored.get((metric.code, kind, p.start), set())]
    return plist, {(kind, p.start): keys | stored.get((metric.code, kind, p.start), set()) for p in plist}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the job runs.

    A first run holds a million short tuples and Decimals (parts, rows, shares) alive at once: every
    few thousand allocations the collector walked all of them again, a quarter of the run's CPU. The
    job makes next to no reference cycles; what it leaves is collected when the collector is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


SQLITE_CACHE_KIB = 65_536  # the job's page cache on SQLite while it runs (the default is 2 MB)


@contextmanager
def _sqlite_cache(session: Session) -> Iterator[None]:
    """A 64 MB SQLite page cache on the job's connection while it runs, the default back after.

    A first run reads the ledger and the sales registers several times (marks, sums, lineage) and
    writes 400,000 lineage rows with their index: with SQLite's default 2 MB cache, pages were read
    again and again from the OS (a seventh of the run's CPU at a million ledger rows). The cache
    belongs to this connection only: requests served meanwhile keep theirs. (In-memory sorts,
    temp_store, would save another ~0.3 s, but SQLite refuses to change it inside a transaction,
    and the job may run inside one.)
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(before)}")


def compute_kpis(session: Session, today: date | None = None, since: date | None = None) -> ComputeStats:
    """Compute every active KPI for every period from `since` to the running one; one transaction.

    Only the figures whose source registers changed since they were computed are read again
    (app/services/kpi/sources.py); a run where nothing changed reads watermarks and stored values only.
    """
    today = today or date.today()
    since = since or default_since(today)
    stats = ComputeStats()
    started = time.perf_counter()
    with _collector_paused(), unit_of_work(session), _sqlite_cache(session):
        definitions = list(session.scalars(select(KpiDefinition).where(KpiDefinition.active.is_(True))
                                           .order_by(KpiDefinition.id)))
        metrics_of = {d.id: definition_metrics(d) for d in definitions}
        changes: dict[FactKey, _Change] = {}
        dirty: set[FactKey] = set()
        reads: dict[Any, Any] = {}
        marks = _Marks(session, since, today)
        lineages = _Lineages(session, today)
        stored = _stored_keys(session, period_of("week", since).start)
        session.info[LEDGER_CACHE] = {}
        try:
            for code, kinds in sorted(_needs(definitions, metrics_of).items()):
                metric = BY_CODE[code]
                t0 = time.perf_counter()
                periods: dict[str, list[Period]] = {}
                keys: dict[tuple[str, date], set[int]] = {}
                for kind, wanted in kinds.items():
                    plist, pkeys = _to_recompute(metric, kind, wanted, marks, stored, since, today)
                    if plist:
                        periods[kind] = plist
                        keys.update(pkeys)
                    stats.periods_skipped += len(periods_between(kind, since, today)) - len(plist)
                if periods:
                    if metric.sql is not None:
                        changed, fresh = _sql_facts(session, metric, periods, keys, today, stats, lineages, reads)
                    else:
                        buckets = _bucket(metric, session, periods, keys, today, reads, lineages)
                        changed, fresh = _write_facts(session, metric, buckets, today, stats, lineages, reads)
                    changes.update(changed)
                    dirty |= fresh
                    stats.recomputed[code] = sum(len(p) for p in periods.values())
                    stats.periods_read += stats.recomputed[code]
                for kind in kinds:
                    marks.save(metric, kind)
                stats.timings[code] = round(time.perf_counter() - t0, 3)
        finally:
            session.info.pop(LEDGER_CACHE, None)
        t0 = time.perf_counter()
        _write_values(session, definitions, metrics_of, changes, dirty, since, today, stats)
        _close_periods(session, today)
        stats.timings["(values)"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        _write_scores(session, definitions, metrics_of, today)
        stats.timings["(scores)"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        stats.turned_red = _record_turned_red(session, {d.period for d in definitions}, today)
        stats.timings["(events)"] = round(time.perf_counter() - t0, 3)
    stats.seconds = round(time.perf_counter() - started, 3)
    return stats
