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
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

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
    sum_parts,
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
from app.services.kpi.metrics import BY_CODE, LEDGER_CACHE, METRICS, Metric
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


def _digest(parts: list[Part]) -> str:
    """A fingerprint of the parts: equal when the same documents give the same shares.

    Built from numbers only (ids and Decimals, whose hashes are the same in every process, unlike
    strings'); a metric's parts are all of one kind of document, so the type needs no place in it.
    """
    rows = sorted((p.ref_id, p.num, p.den) for p in parts)
    return f"{len(rows)}:{hash(tuple(rows)) & 0xFFFFFFFFFFFFFFFF:016x}"


def lineage_source(metric: Metric) -> str:
    """The name a metric's lineage is stored under: the first metric made from the same read of the
    registers (margin % shares margin's shipments), else its own code."""
    if metric.flow is not None:
        return next(m.code for m in METRICS if m.flow is metric.flow)
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
            today: date, reads: dict[Any, Any]) -> dict[FactKey, list[Part]]:
    """The metric's parts per (period, employee key), for the periods to recompute only.

    A flow metric reads its documents span by span (one query each, every employee at once: the
    parts carry their employee); `reads` shares a read between metrics of one source (margin and
    margin %, on time and lead time).
    """
    out: dict[FactKey, list[Part]] = {}
    for kind, plist in periods.items():
        for period in plist:
            for key in keys[(kind, period.start)] | {0}:  # the company figure holds the period's lineage
                out[(metric.code, kind, period.start, key)] = []
    if metric.flow is not None:
        starts: dict[tuple[str, date], date] = {}
        for first, last in _spans(periods, today):
            cache_key = (metric.flow, first, last)
            if cache_key not in reads:
                reads[cache_key] = metric.flow(session, first, last)
            for part in reads[cache_key]:
                for kind in periods:
                    start = starts.get((kind, part.day))
                    if start is None:
                        start = starts[(kind, part.day)] = period_of(kind, part.day).start
                    for key in (0, part.employee_id):
                        bucket = out.get((metric.code, kind, start, key))
                        if bucket is not None:
                            bucket.append(part)
    else:
        # the running period's figure is "so far": stock and debts as of today, not its last day
        asked = [Period(p.kind, p.start, min(p.end, today)) for plist in periods.values() for p in plist]
        for period, parts in metric.point(session, sorted(set(asked))).items():
            if (metric.code, period.kind, period.start, 0) in out:
                out[(metric.code, period.kind, period.start, 0)] = parts
    return out


def _diff(old: list[tuple], new: list[Part]) -> list[dict[str, Any]]:
    """The documents whose share changed: (ref_type, ref_id, label, num, den) rows before, parts after."""
    before = {(r[0], r[1]): r for r in old}
    after = {(p.ref_type, p.ref_id): p for p in new}
    changed = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1])):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and (b[3], b[4]) == (a.num, a.den):
            continue
        changed.append({"type": key[0], "id": key[1], "label": a.label if a is not None else b[2],
                        "old": None if b is None else str(b[3]), "new": None if a is None else str(a.num)})
    return changed


def _write_facts(session: Session, metric: Metric, buckets: dict[FactKey, list[Part]], today: date,
                 stats: ComputeStats, lineages: _Lineages) -> tuple[dict[FactKey, _Change], set[FactKey]]:
    """Insert new figures, rewrite changed ones, leave the same ones alone; each points at its lineage.

    Core statements in bulk: a first run writes tens of thousands of figures. Their documents are
    written once per period (the company figure's parts), not once per figure (`_Lineages`).
    """
    t = KpiFact.__table__
    first = min((k[2] for k in buckets), default=today)
    existing = {(r.metric, r.period_kind, r.period_start, r.employee_key): r for r in session.execute(
        select(t.c.id, t.c.metric, t.c.period_kind, t.c.period_start, t.c.employee_key, t.c.digest, t.c.closed,
               t.c.lineage_id)
        .where(t.c.metric == metric.code, t.c.period_start >= first))}
    digests = {key: _digest(parts) for key, parts in buckets.items()}
    ids = lineages.write(metric, {(k[1], k[2]): parts for k, parts in buckets.items() if k[3] == 0})
    changes: dict[FactKey, _Change] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    dirty: set[FactKey] = set()
    now = utcnow()
    for key, parts in buckets.items():
        period = period_of(key[1], key[2])
        digest, closed, lineage_id = digests[key], period.closed_on(today), ids[(key[1], key[2])]
        row = existing.get(key)
        if row is not None and row.digest == digest and row.lineage_id == lineage_id:
            stats.facts_unchanged += 1
            continue
        num, den, count = sum_parts(parts)
        value = metric_value(num, den, metric.scale)
        fields = {"num": num, "den": den, "docs": count, "digest": digest, "value": value, "closed": closed,
                  "computed_at": now, "lineage_id": lineage_id}
        if row is None:
            inserts.append({"metric": key[0], "period_kind": key[1], "period_start": key[2],
                            "period_end": period.end, "employee_key": key[3], **fields})
        else:
            if row.closed:
                changes[key] = _Change(_diff(lineages.before(row.lineage_id, key[3]), parts))
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
    """As `_digest`, with each document's employee: a manager changed on an order moves its documents."""
    rows = sorted((p.ref_id, p.num, p.den, p.employee_id or 0) for p in parts)
    return f"{len(rows)}:{hash(tuple(rows)) & 0xFFFFFFFFFFFFFFFF:016x}"


class _Lineages:
    """The documents behind the figures, once per read of the registers and period (see KpiLineage).

    Margin and margin % come from one read: the second finds the lineage already written this run.
    A lineage rewritten in a closed period keeps its old documents for the run, so each figure
    pointing at it can name, in its restatement, the documents whose share changed.
    """

    def __init__(self, session: Session, today: date) -> None:
        self.session, self.today = session, today
        self.rows: dict[str, dict[tuple[str, date], list[Any]]] = {}  # source -> (kind, start) -> [id, digest]
        self.old: dict[int | None, list[tuple]] = {None: []}  # lineage id -> (employee, type, id, label, num, den)

    def _stored(self, source: str) -> dict[tuple[str, date], list[Any]]:
        if source not in self.rows:
            t = KpiLineage.__table__
            self.rows[source] = {(k, s): [i, d] for i, k, s, d in self.session.execute(
                select(t.c.id, t.c.period_kind, t.c.period_start, t.c.digest).where(t.c.source == source))}
        return self.rows[source]

    def _docs(self, lineage_id: int | None) -> list[tuple]:
        if lineage_id not in self.old:
            d = KpiLineageDoc.__table__
            self.old[lineage_id] = [tuple(r) for r in self.session.execute(
                select(d.c.employee_key, d.c.ref_type, d.c.ref_id, d.c.label, d.c.num, d.c.den)
                .where(d.c.lineage_id == lineage_id))]
        return self.old[lineage_id]

    def before(self, lineage_id: int | None, employee_key: int) -> list[tuple]:
        """A figure's documents as they were when it was computed: (type, id, label, num, den)."""
        return [r[1:] for r in self._docs(lineage_id) if not employee_key or r[0] == employee_key]

    def write(self, metric: Metric, periods: dict[tuple[str, date], list[Part]]) -> dict[tuple[str, date], int]:
        """Store each period's documents unless stored the same; the lineage id of every period."""
        source = lineage_source(metric)
        stored = self._stored(source)
        fresh: list[tuple[tuple[str, date], list[Part], str]] = []
        for key, parts in periods.items():
            digest = _lineage_digest(parts)
            row = stored.get(key)
            if row is not None and row[1] == digest:
                continue
            if row is not None and period_of(*key).closed_on(self.today):
                self._docs(row[0])  # kept for the restatements of the figures pointing at it
            fresh.append((key, parts, digest))
        if fresh:
            self._rewrite(source, stored, fresh)
        return {key: stored[key][0] for key in periods}

    def _rewrite(self, source: str, stored: dict, fresh: list[tuple[tuple[str, date], list[Part], str]]) -> None:
        t, d = KpiLineage.__table__, KpiLineageDoc.__table__
        old = [(stored[key][0], parts, digest) for key, parts, digest in fresh if key in stored]
        new = [(key, parts, digest) for key, parts, digest in fresh if key not in stored]
        for chunk in range(0, len(old), 500):
            self.session.execute(delete(d).where(d.c.lineage_id.in_([i for i, _, _ in old[chunk:chunk + 500]])))
        if old:
            self.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
                digest=bindparam("b_digest"), docs=bindparam("b_docs")),
                [{"b_id": i, "b_digest": digest, "b_docs": len(parts)} for i, parts, digest in old])
        if new:
            ids = self.session.scalars(insert(t).returning(t.c.id, sort_by_parameter_order=True), [
                {"source": source, "period_kind": key[0], "period_start": key[1], "digest": digest,
                 "docs": len(parts)} for key, parts, digest in new])
            for (key, _, digest), lineage_id in zip(new, ids, strict=True):
                stored[key] = [lineage_id, digest]
        for key, _, digest in fresh:
            stored[key][1] = digest
        _insert_docs(self.session, [(stored[key][0], p.employee_id or 0, p.ref_type, p.ref_id, p.label[:64], p.day,
                                     p.num, p.den) for key, parts, _ in fresh for p in parts])


_DOC_COLUMNS = ("lineage_id", "employee_key", "ref_type", "ref_id", "label", "ref_date", "num", "den")


def _insert_docs(session: Session, rows: list[tuple]) -> None:
    """Write the lineage rows straight through the driver: COPY on PostgreSQL, one executemany on SQLite.

    A first run writes hundreds of thousands of them; through insert() each value went through statement
    compilation and parameter processing, three quarters of the run's time. Here each column's own
    bind processor (money as scaled integers on SQLite, dates as text) is applied once per value.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    table = KpiLineageDoc.__table__
    names = ", ".join(_DOC_COLUMNS)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in _DOC_COLUMNS]
    if any(procs):
        rows = [tuple(v if f is None or v is None else f(v) for f, v in zip(procs, row, strict=True)) for row in rows]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(_DOC_COLUMNS))})"
    for chunk in range(0, len(rows), 50_000):
        conn.exec_driver_sql(sql, rows[chunk:chunk + 50_000])


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
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    for defn in definitions:
        for period in periods[defn.period]:
            value = _definition_value(defn, metrics_of[defn.id], period, facts)
            row = existing.get((defn.id, period.start))
            closed = period.closed_on(today)
            status = traffic_light(value, defn.red_threshold, defn.green_threshold, defn.direction)
            reached = attainment(value, defn.target, defn.direction)
            if row is not None and (row.value, row.status, row.attainment) == (value, status, reached):
                continue
            if row is None:
                inserts.append({"definition_id": defn.id, "period_kind": period.kind, "period_start": period.start,
                                "period_end": period.end, "value": value, "status": status, "attainment": reached,
                                "closed": closed, "computed_at": now})
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
    if inserts:
        session.execute(insert(t), inserts)
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


def compute_kpis(session: Session, today: date | None = None, since: date | None = None) -> ComputeStats:
    """Compute every active KPI for every period from `since` to the running one; one transaction.

    Only the figures whose source registers changed since they were computed are read again
    (app/services/kpi/sources.py); a run where nothing changed reads watermarks and stored values only.
    """
    today = today or date.today()
    since = since or default_since(today)
    stats = ComputeStats()
    started = time.perf_counter()
    with unit_of_work(session):
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
                    buckets = _bucket(metric, session, periods, keys, today, reads)
                    changed, fresh = _write_facts(session, metric, buckets, today, stats, lineages)
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
    stats.seconds = round(time.perf_counter() - started, 3)
    return stats
