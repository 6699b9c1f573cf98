"""The KPI scorecard as a read model: which KPIs a reader sees, their stored values, trends and scores.

Dashboards, the scorecard page, its PDF and the scheduled reports all read this, and it reads only
stored values (KpiValue, KpiFact), never the registers, so a dashboard costs the same at a million
ledger rows as at a hundred.

What a reader sees: the divisions of their role (a director - Manager or Admin - sees all), and of
those only the KPIs whose metrics read registers the reader may read (a storekeeper can't read
invoices, so revenue and margins never reach their dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.domain.kpi import PERIOD_KINDS, ZERO, Period, Scored, period_of, score_of, weighted_score
from app.models.kpi import DIVISIONS, KpiDefinition, KpiFact, KpiScorePart, KpiValue
from app.services.kpi.compute import definition_metrics, formula_metrics
from app.services.kpi.metrics import BY_CODE

ALL = frozenset(DIVISIONS)
ROLE_DIVISIONS: dict[str, frozenset[str]] = {
    "Admin": ALL, "Manager": ALL, "Economist": frozenset({"finance", "sales", "production", "purchasing"}),
    "Sales": frozenset({"sales"}), "Production": frozenset({"production"}), "Engineer": frozenset({"production"}),
    "Warehouse": frozenset({"warehouse"}), "Purchasing": frozenset({"purchasing", "warehouse"}),
    "Service": frozenset({"sales", "service"}),
}
TREND_POINTS = 12


def period_label(period: Period, lang: str) -> str:
    """A period as people name it: "ноябрь 2026", "T4 2026", "2026", "30.11–06.12.2026"."""
    from babel.dates import format_date

    from app.printing.formatting import date as numeric_date

    if period.kind == "month":
        return format_date(period.start, "LLLL yyyy", locale=lang)
    if period.kind == "quarter":
        return format_date(period.start, "QQQ yyyy", locale=lang)
    if period.kind == "year":
        return str(period.start.year)
    return f"{numeric_date(period.start, lang)[:5]}–{numeric_date(period.end, lang)}"


def role_divisions(roles: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLE_DIVISIONS.get(role, frozenset())
    return frozenset(out)


EVERYONE_ROLES = frozenset({"Admin", "Manager", "Economist"})  # see every employee's KPIs, not only their own


@dataclass(frozen=True)
class Reader:
    """Whose dashboard: their divisions, the registers they may read, themselves, and whether they
    see other employees' KPIs (the director and the economist do; an employee sees only their own)."""

    divisions: frozenset[str]
    can_read: Callable[[str], bool]
    user_id: int | None = None
    everyone: bool = True


def _metrics_readable(metric: str, formula: str, can_read: Callable[[str], bool], memo: dict) -> bool:
    key = (metric, formula)
    if key not in memo:
        try:
            codes = {metric} if metric else formula_metrics(formula)
        except Exception:  # noqa: BLE001 - a broken formula is not shown (its edit form says why)
            codes = {"?"}
        memo[key] = all(code in BY_CODE and can_read(BY_CODE[code].resource) for code in codes)
    return memo[key]


def readable(defn: KpiDefinition, can_read: Callable[[str], bool]) -> bool:
    """The reader may read every register the KPI's metrics come from."""
    return _metrics_readable(defn.metric, defn.formula, can_read, {})


def _scope(reader: Reader, own_only: bool) -> list:
    where = [KpiDefinition.active.is_(True), KpiDefinition.division.in_(sorted(reader.divisions))]
    if own_only or not reader.everyone:
        where.append(or_(KpiDefinition.employee_id.is_(None), KpiDefinition.employee_id == reader.user_id))
    return where


def visible_definitions(session: Session, reader: Reader, own_only: bool = True) -> list[KpiDefinition]:
    """The reader's KPIs as objects: division KPIs and their own (every employee's with own_only=False)."""
    rows = session.scalars(select(KpiDefinition).options(selectinload(KpiDefinition.employee))
                           .where(*_scope(reader, own_only))
                           .order_by(KpiDefinition.division, KpiDefinition.sort, KpiDefinition.id))
    memo: dict = {}
    return [d for d in rows if _metrics_readable(d.metric, d.formula, reader.can_read, memo)]


def visible_ids(session: Session, reader: Reader) -> list[int]:
    """Ids of every KPI the reader may see (employees' included when they see everyone), light."""
    memo: dict = {}
    return [i for i, metric, formula in session.execute(
        select(KpiDefinition.id, KpiDefinition.metric, KpiDefinition.formula).where(*_scope(reader, False)))
            if _metrics_readable(metric, formula, reader.can_read, memo)]


@dataclass
class Tile:
    """One KPI as a dashboard tile: the last closed period, the running one so far, the trend."""

    definition: KpiDefinition
    unit: str
    period: Period  # the last closed period
    value: Decimal | None
    status: str
    attainment: Decimal | None
    value_id: int | None
    running: Decimal | None
    trend: list[tuple[date, Decimal | None]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"kpi:{self.definition.code}"

    @property
    def metric(self) -> str:
        return self.definition.metric or sorted(definition_metrics(self.definition))[0]


def _unit(defn: KpiDefinition) -> str:
    if defn.metric:
        return BY_CODE[defn.metric].unit
    return "number"


def tiles(session: Session, definitions: list[KpiDefinition], today: date) -> list[Tile]:
    """Every definition's tile from stored values: one query for all of them."""
    if not definitions:
        return []
    since = today - timedelta(days=370 * 3)
    values: dict[int, list[KpiValue]] = defaultdict(list)
    for row in session.scalars(select(KpiValue).where(KpiValue.definition_id.in_([d.id for d in definitions]),
                                                      KpiValue.period_start >= since)
                               .order_by(KpiValue.period_start)):
        values[row.definition_id].append(row)
    out = []
    for defn in definitions:
        running_period = period_of(defn.period, today)
        closed_period = running_period.previous()
        rows = {v.period_start: v for v in values[defn.id]}
        closed, running = rows.get(closed_period.start), rows.get(running_period.start)
        trend = [(v.period_start, v.value) for v in values[defn.id] if v.period_start <= closed_period.start]
        out.append(Tile(defn, _unit(defn), closed_period, closed.value if closed else None,
                        closed.status if closed else "grey", closed.attainment if closed else None,
                        closed.id if closed else None, running.value if running else None,
                        trend[-TREND_POINTS:]))
    return out


@dataclass(frozen=True)
class Score:
    label: str  # a division code or an employee's name
    is_employee: bool
    score: Decimal | None
    count: int


def scores(session: Session, reader: Reader, today: date) -> list[Score]:
    """Weighted attainment per division and per employee over their last closed periods.

    The KPI job stores what they are made of (KpiScorePart): a dashboard adds a few hundred rows.
    When the job has not scored these periods, or a definition changed since, they are scored live.
    """
    stored = _stored_scores(session, reader, today)
    return stored if stored is not None else _live_scores(session, reader, today)


def _stored_scores(session: Session, reader: Reader, today: date) -> list[Score] | None:
    """The scores from the job's parts, or None when they are missing or older than the definitions."""
    t = KpiScorePart.__table__
    rows = session.execute(select(t.c.period_kind, t.c.division, t.c.employee_id, t.c.resources, t.c.count,
                                  t.c.weight, t.c.weighted, t.c.definitions_at).where(
        or_(*(and_(t.c.period_kind == kind, t.c.period_start == period_of(kind, today).previous().start)
              for kind in PERIOD_KINDS)))).all()
    marks = [r for r in rows if not r.division]
    if len(marks) != len(PERIOD_KINDS):
        return None
    count, latest = session.execute(select(func.count(), func.max(KpiDefinition.updated_at))
                                    .where(KpiDefinition.active.is_(True))).one()
    if any((m.count, m.definitions_at) != (count, latest) for m in marks):
        return None
    readable_memo: dict[str, bool] = {}
    kept = []
    for r in rows:
        if not r.division or r.division not in reader.divisions:
            continue
        if r.employee_id and not reader.everyone and r.employee_id != reader.user_id:
            continue
        if r.resources not in readable_memo:
            readable_memo[r.resources] = all(res != "?" and reader.can_read(res) for res in r.resources.split(","))
        if readable_memo[r.resources]:
            kept.append(r)
    names = _user_names(session, {r.employee_id for r in kept if r.employee_id})
    groups: dict[tuple[bool, str], list] = defaultdict(lambda: [0, ZERO, ZERO])
    for r in kept:
        group = groups[(True, names.get(r.employee_id, str(r.employee_id))) if r.employee_id else (False, r.division)]
        group[0] += r.count
        group[1] += r.weight
        group[2] += r.weighted
    return [Score(label, is_emp, score_of(weight, weighted), n)
            for (is_emp, label), (n, weight, weighted) in sorted(groups.items())]


def _live_scores(session: Session, reader: Reader, today: date) -> list[Score]:
    """The scores from every visible KPI's value of its last closed period: two queries, plain rows."""
    memo: dict = {}
    rows = [r for r in session.execute(
        select(KpiDefinition.id, KpiDefinition.division, KpiDefinition.employee_id, KpiDefinition.weight,
               KpiDefinition.period, KpiDefinition.metric, KpiDefinition.formula).where(*_scope(reader, False)))
            if _metrics_readable(r.metric, r.formula, reader.can_read, memo)]
    closed = {kind: period_of(kind, today).previous().start for kind in {r.period for r in rows}}
    reached: dict[int, Decimal | None] = {}
    if closed:
        wanted = {r.id: closed[r.period] for r in rows}
        for def_id, start, value in session.execute(
                select(KpiValue.definition_id, KpiValue.period_start, KpiValue.attainment)
                .where(or_(*(and_(KpiValue.period_kind == kind, KpiValue.period_start == start)
                             for kind, start in closed.items())))):
            if wanted.get(def_id) == start:
                reached[def_id] = value
    names = _user_names(session, {r.employee_id for r in rows if r.employee_id})
    groups: dict[tuple[bool, str], list[Scored]] = defaultdict(list)
    for r in rows:
        key = (True, names.get(r.employee_id, str(r.employee_id))) if r.employee_id else (False, r.division)
        groups[key].append(Scored(r.weight or Decimal(0), reached.get(r.id)))
    return [Score(label, is_emp, weighted_score(items), len(items))
            for (is_emp, label), items in sorted(groups.items())]


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    from flask_appbuilder.security.sqla.models import User

    return {i: f"{first} {last}".strip() for i, first, last in session.execute(
        select(User.id, User.first_name, User.last_name).where(User.id.in_(sorted(ids))))}


def stored_figure(session: Session, metric: str, today: date) -> tuple[Decimal | None, int] | None:
    """The job's figure of `metric` for the running month (everyone) and its document count, if stored."""
    row = session.execute(select(KpiFact.value, KpiFact.docs).where(
        KpiFact.metric == metric, KpiFact.period_kind == "month", KpiFact.employee_key == 0,
        KpiFact.period_start == period_of("month", today).start)).first()
    return (row.value, row.docs) if row is not None else None


def monthly_series(session: Session, metric: str, today: date, points: int = TREND_POINTS
                   ) -> list[tuple[date, Decimal | None]]:
    """A metric's stored monthly figures (everyone), oldest first: revenue by month, output, stock value."""
    first = period_of("month", today)
    for _ in range(points - 1):
        first = first.previous()
    rows = session.execute(select(KpiFact.period_start, KpiFact.value)
                           .where(KpiFact.metric == metric, KpiFact.period_kind == "month", KpiFact.employee_key == 0,
                                  KpiFact.period_start >= first.start)
                           .order_by(KpiFact.period_start)).all()
    return [(start, value) for start, value in rows]


@dataclass
class MetricLineage:
    """One metric of a stored value: its figure (None when never computed) and the documents behind it."""

    metric: str
    fact: KpiFact | None
    docs: list


def lineage(session: Session, row: KpiValue) -> list[MetricLineage]:
    """Per metric of the value's definition, its figure for that period and its documents, oldest first.

    A few queries whatever the number of metrics (the page and the REST API both show it): a figure's
    documents are its period's lineage, those of its employee for an employee's figure (compute.fact_documents).
    """
    from app.services.kpi.compute import fact_documents

    defn = row.definition
    codes = sorted(definition_metrics(defn))
    key = defn.employee_id or 0
    facts = {f.metric: f for f in session.scalars(select(KpiFact).where(
        KpiFact.metric.in_(codes), KpiFact.period_kind == row.period_kind,
        KpiFact.period_start == row.period_start, KpiFact.employee_key == key))}
    docs = fact_documents(session, list(facts.values()))
    return [MetricLineage(code, facts.get(code), docs[facts[code].id] if code in facts else []) for code in codes]
