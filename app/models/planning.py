"""Planning: the current material plan (planned orders with their pegging), capacity load per work centre
and week, the runs that made them, and the demand forecast with its user overrides.

The plan is one current set, not a history: a run writes only the difference with what is stored
(app.services.planning.store), so a planned order keeps its id while it stays the same and a firmed
one keeps the link to the production order or purchase request line it became. Pegs are JSON with
quantities as strings (no float).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import JSON, Boolean, Date, DateTime, Integer, String, Text

from app.models.base import Audited, Keyed, utcnow
from app.models.catalog import Item
from app.models.production import WorkCenter
from app.models.types import Quantity

PLAN_MAKE = "make"
PLAN_BUY = "buy"
PLAN_KINDS = (PLAN_MAKE, PLAN_BUY)
RUN_RUNNING, RUN_DONE, RUN_FAILED = "running", "done", "failed"
RUN_STATES = (RUN_RUNNING, RUN_DONE, RUN_FAILED)


class PlanRun(Keyed, Model):
    """One planning run: when, by whom, how far it got (the page's progress bar) and what it changed."""

    __tablename__ = "plan_run"
    __table_args__ = (CheckConstraint("state IN ('running','done','failed')", name="ck_plan_run_state"),)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    trigger: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=RUN_RUNNING, nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # percent
    message: Mapped[str] = mapped_column(Text, default="", nullable=False)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


class PlannedOrder(Keyed, Model):
    """Make or buy `qty` of an item to arrive by `due_date` (a week), starting `start_date`; `pegs` says
    which demands it serves ({origin: qty}: an order number, "forecast", a parent's planned order)."""

    __tablename__ = "planned_order"
    __table_args__ = (
        UniqueConstraint("item_id", "kind", "due_date"),
        CheckConstraint("kind IN ('make','buy')", name="ck_planned_kind"),
        CheckConstraint("qty > 0", name="ck_planned_qty"),
        Index("ix_planned_due", "due_date"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    pegs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    moved_weeks: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # levelled earlier by
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    supplier = relationship("Partner")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # a digest of start, qty, pegs, late, moved and supplier as the run wrote them: a re-run compares this
    # instead of decoding 280,000 JSON pegs, and rewrites only the rows whose digest differs
    sig: Mapped[str] = mapped_column(String(16), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.kind} {self.item_id} {self.qty} @ {self.due_date}"


class CapacityLoad(Keyed, Model):
    """Minutes of planned and released work a work centre has in a week, against its available minutes."""

    __tablename__ = "capacity_load"
    __table_args__ = (UniqueConstraint("work_center_id", "week_start"),)
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_center.id"), nullable=False)
    work_center: Mapped[WorkCenter] = relationship()
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    load_minutes = mapped_column(Quantity(), nullable=False, default=0)
    capacity_minutes = mapped_column(Quantity(), nullable=False, default=0)

    @property
    def overloaded(self) -> bool:
        return self.load_minutes > self.capacity_minutes


class ForecastFit(Keyed, Model):
    """The method chosen for an item (or its group, `level` "group") by backtest, and its error on the
    held-out periods."""

    __tablename__ = "forecast_fit"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, unique=True)
    item: Mapped[Item] = relationship()
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    period: Mapped[str] = mapped_column(String(8), default="month", nullable=False)
    level: Mapped[str] = mapped_column(String(8), default="item", nullable=False)  # fitted per item or group
    item_group_id: Mapped[int | None] = mapped_column(ForeignKey("item_group.id"), nullable=True)
    item_group = relationship("ItemGroup")
    mase = mapped_column(Quantity(), nullable=True)
    wape = mapped_column(Quantity(), nullable=True)
    naive_wape = mapped_column(Quantity(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ForecastLine(Keyed, Audited, Model):
    """An item's forecast for one period; `override_qty`, set by a user, wins and survives recomputing."""

    __tablename__ = "forecast_line"
    __table_args__ = (UniqueConstraint("item_id", "period_start"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period: Mapped[str] = mapped_column(String(8), default="month", nullable=False)  # month or week
    qty = mapped_column(Quantity(), nullable=False, default=0)
    override_qty = mapped_column(Quantity(), nullable=True)
    overridden_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    @property
    def effective(self):
        return self.override_qty if self.override_qty is not None else self.qty


class PlanningSettings(Keyed, Audited, Model):
    """The planner's choices kept between runs (one row): the forecast's level (per item or per item
    group) and period (month or week), used by the nightly job and the forecast page."""

    __tablename__ = "planning_settings"
    __table_args__ = (CheckConstraint("forecast_level IN ('item','group')", name="ck_planning_level"),
                      CheckConstraint("forecast_period IN ('month','week')", name="ck_planning_period"))
    forecast_level: Mapped[str] = mapped_column(String(8), default="item", nullable=False)
    forecast_period: Mapped[str] = mapped_column(String(8), default="month", nullable=False)


class PlanningDirty(Model):
    """An item whose demand, supply or structure changed since the last plan: posting or cancelling an
    order, a stock document, a production order, or editing a BOM marks it in the same transaction, and
    the next run plans the marked items and what lies below them, then clears the marks it read.
    `reason` "bom" means the structure changed (the run rebuilds the BOM tree instead of reusing it)."""

    __tablename__ = "planning_dirty"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    marked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
