"""The append-only audit log, job run records and per-user preferences."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Keyed, make_append_only, utcnow


class AuditLog(Keyed, Model):
    """Who did what, when, from where, with the fields before and after. Never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_user_at", "user_id", "at"),
    )
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    ip: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    summary: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    changes: Mapped[str] = mapped_column(Text, default="", nullable=False)  # JSON {field: [before, after]}

    def __repr__(self) -> str:
        return f"{self.at} {self.username} {self.action} {self.entity}#{self.entity_id}"


make_append_only(AuditLog.__table__)


class JobRun(Keyed, Model):
    """One run of a scheduled or hand-started job."""

    __tablename__ = "job_run"
    job_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule", nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running", nullable=False)
    message: Mapped[str] = mapped_column(Text, default="", nullable=False)
    counts: Mapped[str] = mapped_column(Text, default="", nullable=False)  # JSON
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    runner: Mapped[str] = mapped_column(String(128), default="", nullable=False)  # host:pid of a scheduled run

    def __repr__(self) -> str:
        return f"{self.job_id} {self.started_at} {self.status}"


class UserPreference(Keyed, Model):
    """Per-user settings that FAB's user table has no column for (the interface language)."""

    __tablename__ = "user_preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), unique=True, nullable=False)
    locale: Mapped[str] = mapped_column(String(8), default="en", nullable=False)


class RateLimitHit(Model):
    """Counters for login rate limiting, shared by all web workers through the database.

    One row per limit key and fixed window; `expires_at` is a Unix timestamp (seconds, fractional)
    as the `limits` package counts time, indexed so expired windows are purged cheaply.
    """

    __tablename__ = "rate_limit_hit"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)
