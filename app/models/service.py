"""The service desk: client requests with SLA deadlines, their comments and files, warranty repairs.

A request's deadlines (first response, resolution) are stored, counted in working minutes of a working
calendar (app/domain/sla.py) when the request is opened and moved on by the pauses while it waits for
the client; so the list shows every request's SLA state from its own columns, at any size. A repair is
a posted stock issue of parts linked to the request, with its FIFO cost and what the client pays.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, Versioned, translated, utcnow
from app.models.types import Money

SERVICE_CHANNELS = ("phone", "email", "visit", "web", "messenger")
SERVICE_PRIORITIES = ("low", "normal", "high", "critical")


class WorkingCalendar(Keyed, translated(100), Audited, Model):
    """Working days and hours the SLA counts in: Monday to Friday 9 to 18 unless told otherwise."""

    __tablename__ = "working_calendar"
    __table_args__ = (CheckConstraint("work_start_minute < work_end_minute", name="ck_calendar_hours"),)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    weekdays: Mapped[str] = mapped_column(String(7), default="12345", nullable=False)  # ISO weekdays, Monday = 1
    work_start_minute: Mapped[int] = mapped_column(Integer, default=9 * 60, nullable=False)  # minutes after 00:00
    work_end_minute: Mapped[int] = mapped_column(Integer, default=18 * 60, nullable=False)
    holidays: Mapped[list[Holiday]] = relationship(back_populates="calendar", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.label()


class Holiday(Keyed, Audited, Model):
    """A day off in a calendar: the SLA clock does not run on it."""

    __tablename__ = "working_calendar_holiday"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("working_calendar.id", ondelete="CASCADE"), nullable=False)
    calendar: Mapped[WorkingCalendar] = relationship(back_populates="holidays")
    day: Mapped[date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.name}"


class SlaPolicy(Keyed, Audited, Model):
    """Per priority: working hours to the first response and to the resolution, in which calendar."""

    __tablename__ = "sla_policy"
    __table_args__ = (
        CheckConstraint("priority IN ('low','normal','high','critical')", name="ck_sla_priority"),
        CheckConstraint("response_minutes > 0 AND resolution_minutes > 0", name="ck_sla_minutes"),
    )
    priority: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    response_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    resolution_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("working_calendar.id"), nullable=False)
    calendar: Mapped[WorkingCalendar] = relationship()

    def __repr__(self) -> str:
        return self.priority


class ServiceRequest(Keyed, Versioned, Audited, TimestampMixin, Model):
    """A client's request: what, about which product (serial / lot, the shipment it came with), SLA clocks."""

    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint("channel IN ('phone','email','visit','web','messenger')", name="ck_service_channel"),
        CheckConstraint("priority IN ('low','normal','high','critical')", name="ck_service_priority"),
        CheckConstraint("state IN ('new','in_progress','waiting','resolved','closed')", name="ck_service_state"),
        Index("ix_service_request_partner", "partner_id", "opened_at"),
        Index("ix_service_request_state_due", "state", "resolution_due_at"),  # SLA breaches
        Index("ix_service_request_state_response", "state", "response_due_at"),
        Index("ix_service_request_state_opened", "state", "opened_at"),  # a state's page, newest first
        Index("ix_service_request_item", "item_id"),
        Index("ix_service_request_assignee", "assignee_id", "state"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner = relationship("Partner", foreign_keys=[partner_id])
    channel: Mapped[str] = mapped_column(String(16), default="phone", nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    item = relationship("Item")
    serial_no: Mapped[str] = mapped_column(String(64), default="", nullable=False, index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_shipment.id"), nullable=True, index=True)
    shipment = relationship("Shipment")
    priority: Mapped[str] = mapped_column(String(16), default="normal", nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    assignee = relationship("User", foreign_keys=[assignee_id])
    state: Mapped[str] = mapped_column(String(16), default="new", nullable=False)
    warranty: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # as checked when opened
    warranty_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    response_risk_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolution_risk_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # waiting for the client since
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # working minutes paused
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    reopened: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    repair_cost = mapped_column(Money(), default=0, nullable=False)  # FIFO cost of the parts consumed
    chargeable = mapped_column(Money(), default=0, nullable=False)  # what the client pays (0 under warranty)
    comments: Mapped[list[ServiceComment]] = relationship(back_populates="request", order_by="ServiceComment.id")

    def __repr__(self) -> str:
        return self.number or ""

    def sla_code(self, now: datetime | None = None) -> str:
        """on_time / at_risk / breached: the worse of both clocks, each judged where it stopped or now."""
        from app.domain.sla import worst_state

        clock = self.resolved_at or self.paused_at or now or utcnow()
        return worst_state((self.response_due_at, self.response_risk_at, self.first_response_at or clock),
                           (self.resolution_due_at, self.resolution_risk_at, clock))


class ServiceComment(Keyed, Model):
    """A note on a request (internal, or told to the client), with an optional file."""

    __tablename__ = "service_comment"
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), nullable=False, index=True)
    request: Mapped[ServiceRequest] = relationship(back_populates="comments")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    author: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    filename: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    mimetype: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    def __repr__(self) -> str:
        return self.body[:50]


class ServiceRepair(Keyed, Audited, Model):
    """One repair of a request: the posted issue of parts, their FIFO cost, the charge, the defective receipt."""

    __tablename__ = "service_repair"
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), nullable=False, index=True)
    request: Mapped[ServiceRequest] = relationship()
    issue_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), nullable=False)
    issue = relationship("StockDocument", foreign_keys=[issue_id])
    defective_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"), nullable=True)
    defective = relationship("StockDocument", foreign_keys=[defective_id])
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)  # the product
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    done_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    warranty: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    cost = mapped_column(Money(), nullable=False)
    labour = mapped_column(Money(), default=0, nullable=False)
    chargeable = mapped_column(Money(), default=0, nullable=False)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("sales_invoice.id"), nullable=True)
    invoice = relationship("SalesInvoice")  # what the client is charged out of warranty

    def __repr__(self) -> str:
        return f"{self.request_id}: {self.cost}"
