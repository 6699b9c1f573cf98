"""The KPI context: definitions (what is measured, for whom, against which target), the stored values
per period with their lineage, restatements of closed periods, dashboard tile choices, and
scheduled reports with every run they made.

Metric facts (`KpiFact`) are computed once per metric, period and employee, whatever number of
definitions read them. The documents behind them (`KpiLineageDoc`) are stored once per read of the
registers and period (`KpiLineage`), with the employee each belongs to: a company figure opens every
document of its lineage, an employee's figure those of its employee, and margin and margin % share one
lineage (one read of the shipments), as lead time and on-time % do (one row per completed order, the
second metric's share in num2 / den2). Overdue receivables keep each invoice's unpaid rest once, as a span
of days in the source's span pool; a period's lineage names the day its figure was taken on, and its
documents are the spans holding that day. Their numerators and denominators add up to the fact exactly.
Definitions' values (`KpiValue`) and the scores made of them (`KpiScorePart`) are what dashboards and
reports read, never live scans of the registers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, LocalizedName, TimestampMixin, current_locale, translated, utcnow
from app.models.types import Money, Rate

DIVISIONS = ("company", "sales", "production", "warehouse", "purchasing", "finance", "service")
REPORT_FORMATS = ("pdf", "xlsx", "csv")
RUN_SENT, RUN_SKIPPED, RUN_FAILED = "sent", "skipped", "failed"


class KpiDefinition(LocalizedName, Audited, TimestampMixin, Model):
    """A KPI: a metric (or a formula over metrics) for a division or one employee, with its target."""

    __tablename__ = "kpi_definition"
    __table_args__ = (
        CheckConstraint("period IN ('week','month','quarter','year')", name="ck_kpi_period"),
        CheckConstraint("direction IN ('higher','lower')", name="ck_kpi_direction"),
        CheckConstraint("weight >= 0", name="ck_kpi_weight"),
        Index("ix_kpi_division", "division", "sort"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    name_es: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    metric: Mapped[str] = mapped_column(String(48), default="", nullable=False)  # empty: `formula` is used
    formula: Mapped[str] = mapped_column(Text, default="", nullable=False)  # calculator language over metrics
    division: Mapped[str] = mapped_column(String(24), default="company", nullable=False)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True, index=True)
    employee = relationship("User", foreign_keys=[employee_id])
    period: Mapped[str] = mapped_column(String(8), default="month", nullable=False)
    target = mapped_column(Money(), nullable=True)
    weight = mapped_column(Money(), nullable=False, default=1)
    red_threshold = mapped_column(Money(), nullable=True)
    green_threshold = mapped_column(Money(), nullable=True)
    direction: Mapped[str] = mapped_column(String(8), default="higher", nullable=False)
    sort: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.label()

    def label(self, lang: str | None = None) -> str:
        """The name in `lang` (the reader's language by default), else the default name."""
        lang = lang or current_locale()
        return getattr(self, f"name_{lang}", "") or self.name if lang in ("ru", "es") else self.name


class KpiFact(Model):
    """A metric's figure for one period and one employee (employee_key 0: everyone), as parts."""

    __tablename__ = "kpi_fact"
    __table_args__ = (
        UniqueConstraint("metric", "period_kind", "period_start", "employee_key", name="uq_kpi_fact"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), nullable=False)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    employee_key: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    num = mapped_column(Money(), nullable=False, default=0)
    den = mapped_column(Money(), nullable=False, default=0)
    value = mapped_column(Money(), nullable=True)
    docs: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    digest: Mapped[str] = mapped_column(String(40), default="", nullable=False)  # of the parts: unchanged?
    closed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # the documents behind it: all of them (employee_key 0), or those of its employee
    lineage_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_lineage.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)


class KpiLineage(Model):
    """The documents one read of the registers gave for one period: shared by every employee's figure
    of that period and by the metrics computed from the same read (margin and margin %)."""

    __tablename__ = "kpi_lineage"
    __table_args__ = (UniqueConstraint("source", "period_kind", "period_start", name="uq_kpi_lineage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(48), nullable=False)  # the first metric of the read
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    digest: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    docs: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # a point figure kept as spans (overdue receivables): the day its documents were taken on; they are
    # the rows of the source's span pool (period_kind "spans") valid on that day, stored once for all periods
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)


class KpiLineageDoc(Model):
    """One document (or item) behind a lineage: its numerator and denominator share, and its employee."""

    __tablename__ = "kpi_lineage_doc"
    __table_args__ = (Index("ix_kpi_lineage_doc", "lineage_id", "employee_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lineage_id: Mapped[int] = mapped_column(ForeignKey("kpi_lineage.id", ondelete="CASCADE"), nullable=False)
    employee_key: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0: nobody's
    ref_type: Mapped[str] = mapped_column(String(24), nullable=False)
    ref_id: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    ref_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    num = mapped_column(Money(), nullable=False, default=0)
    den = mapped_column(Money(), nullable=False, default=0)
    # the second metric of the same read (on-time % beside lead time); None: not counted by it
    num2 = mapped_column(Money(), nullable=True)
    den2 = mapped_column(Money(), nullable=True)
    # a span pool's row: the days [valid_from, valid_to] (None: still open) it holds this share on
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class KpiSourceMark(Model):
    """The watermark of a metric's source register when its figures of one period kind were last
    computed (app/services/kpi/sources.py): what lets the next run skip the periods whose documents
    did not change. Kept per metric and period kind, so a metric no definition reads for a while is
    brought up to date when one does again."""

    __tablename__ = "kpi_source_mark"
    __table_args__ = (UniqueConstraint("metric", "period_kind", name="uq_kpi_source_mark"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), nullable=False)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    mark: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    computed_on: Mapped[date] = mapped_column(Date, nullable=False)  # the job's "today": a point figure's day


class KpiValue(Model):
    """A definition's value for one period, with its traffic light and attainment of the target."""

    __tablename__ = "kpi_value"
    __table_args__ = (
        UniqueConstraint("definition_id", "period_start", name="uq_kpi_value"),
        Index("ix_kpi_value_period", "period_kind", "period_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("kpi_definition.id", ondelete="CASCADE"), nullable=False)
    definition: Mapped[KpiDefinition] = relationship()
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    value = mapped_column(Money(), nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="grey", nullable=False)
    attainment = mapped_column(Money(), nullable=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class KpiScorePart(Model):
    """What weighted scores are made of, stored by the KPI job so a dashboard adds a few rows instead of
    reading every KPI's value: per period, division or employee and the registers the KPIs read (a
    reader who may not read one of them does not count those KPIs), the KPIs' count, the weight of
    those with an attainment and the sum of weight x attainment (exact: 4 + 4 decimal places).

    One row per period with an empty division marks the periods scored and the definitions they were
    scored from (their count and latest edit): an edit since makes the dashboard score live again.
    """

    __tablename__ = "kpi_score_part"
    __table_args__ = (Index("ix_kpi_score_part", "period_kind", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    division: Mapped[str] = mapped_column(String(24), nullable=False)  # "": the mark of the period
    employee_id: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0: a division's KPIs
    resources: Mapped[str] = mapped_column(String(400), default="", nullable=False)  # sorted, comma-separated
    count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    weight = mapped_column(Money(), nullable=False, default=0)
    weighted = mapped_column(Rate(), nullable=False, default=0)
    definitions_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # on the mark only


class KpiRestatement(Model):
    """A closed period's value changed because a document dated inside it was posted or cancelled later."""

    __tablename__ = "kpi_restatement"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("kpi_definition.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    definition: Mapped[KpiDefinition] = relationship()
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    old_value = mapped_column(Money(), nullable=True)
    new_value = mapped_column(Money(), nullable=True)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)

    @property
    def documents_text(self) -> str:
        """The documents that changed, for the list: "INV-7 700.7000 -> —"."""
        return ", ".join(f"{d.get('label')} {d.get('old') or '—'} → {d.get('new') or '—'}" for d in self.documents)


class DashboardPreference(Model):
    """Which dashboard tiles a user has hidden (everything their role may see is shown by default)."""

    __tablename__ = "dashboard_preference"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), unique=True, nullable=False)
    hidden: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)


class ScheduledReport(translated(200), Audited, TimestampMixin, Model):
    """A report sent by e-mail on a schedule: which report, its parameters, format, recipients, when."""

    __tablename__ = "scheduled_report"
    __table_args__ = (
        CheckConstraint("fmt IN ('pdf','xlsx','csv')", name="ck_sched_fmt"),
        Index("ix_sched_due", "active", "next_run_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    report: Mapped[str] = mapped_column(String(32), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    fmt: Mapped[str] = mapped_column(String(8), default="pdf", nullable=False)
    language: Mapped[str] = mapped_column(String(8), default="ru", nullable=False)  # for plain addresses
    recipients: Mapped[str] = mapped_column(Text, default="", nullable=False)  # addresses, comma-separated
    recipient_users: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)  # in their language
    cron: Mapped[str] = mapped_column(String(64), default="0 7 * * 1", nullable=False)
    skip_empty: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # UTC, naive
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return self.label()

    @property
    def schedule_words(self) -> str:
        """The crontab in the reader's words ("every week, Monday, at 07:00")."""
        from app.services.kpi.reports import describe_cron
        from app.views.base import locale_name

        return describe_cron(self.cron, locale_name()[:2])


class ScheduledReportRun(Model):
    """One sending of a scheduled report: the slot it served, to whom, which outbox messages.

    (report, slot) is unique: two scheduler processes, or a restart in the middle of a run, can
    never send the same slot twice. Manual runs ("Send now") have no slot.
    """

    __tablename__ = "scheduled_report_run"
    __table_args__ = (UniqueConstraint("report_id", "slot", name="uq_sched_run_slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("scheduled_report.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    report: Mapped[ScheduledReport] = relationship()
    slot: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule", nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=RUN_SENT, nullable=False)
    recipients: Mapped[str] = mapped_column(Text, default="", nullable=False)
    outbox_ids: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    message: Mapped[str] = mapped_column(Text, default="", nullable=False)
