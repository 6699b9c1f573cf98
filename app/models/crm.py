"""The sales funnel: configurable deal stages, deals, their stage history and activities.

Stage history (DealStageChange) is the source of the funnel's conversion: a deal "reached" a stage
when it ever entered that stage or a later one, so conversion per stage is one SQL aggregate over
the history instead of guessing from where deals sit today.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, LocalizedName, TimestampMixin, Versioned, utcnow
from app.models.types import Money

ACTIVITY_KINDS = ("call", "meeting", "task", "email")


class DealStage(Keyed, LocalizedName, Audited, Model):
    """A column of the kanban and a step of the funnel; `sort_order` orders both."""

    __tablename__ = "deal_stage"
    __table_args__ = (CheckConstraint("probability BETWEEN 0 AND 100", name="ck_deal_stage_probability"),)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name_ru: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    name_es: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False, index=True)
    probability: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # percent, the deals' default
    is_won: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost

    def __repr__(self) -> str:
        return self.label()


class Deal(Keyed, Versioned, Audited, TimestampMixin, Model):
    """A sales opportunity with a partner, moved through the stages by app.services.crm only."""

    __tablename__ = "deal"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_deal_probability"),
        Index("ix_deal_partner", "partner_id"),
        Index("ix_deal_stage", "stage_id"),
        Index("ix_deal_manager", "manager_id"),
        Index("ix_deal_contact", "contact_id"),
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner = relationship("Partner", foreign_keys=[partner_id])
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    contact = relationship("Partner", foreign_keys=[contact_id])
    amount = mapped_column(Money(), nullable=False, default=0)
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currency.id"), nullable=True)
    currency = relationship("Currency")
    probability: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    expected_close: Mapped[date | None] = mapped_column(Date, nullable=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("deal_stage.id"), nullable=False)
    stage: Mapped[DealStage] = relationship()
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    manager = relationship("User", foreign_keys=[manager_id])
    source: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)  # why won / lost
    activities: Mapped[list[Activity]] = relationship(back_populates="deal")

    def __repr__(self) -> str:
        return self.title


class DealStageChange(Keyed, Model):
    """One move of a deal into a stage (the first row has no `from_stage`: the deal was created)."""

    __tablename__ = "deal_stage_change"
    __table_args__ = (Index("ix_deal_stage_change_deal", "deal_id", "changed_at"),
                      Index("ix_deal_stage_change_to", "to_stage_id"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), nullable=False)
    deal: Mapped[Deal] = relationship()
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("deal_stage.id"), nullable=True)
    from_stage = relationship(DealStage, foreign_keys=[from_stage_id])
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("deal_stage.id"), nullable=False)
    to_stage = relationship(DealStage, foreign_keys=[to_stage_id])
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} -> {self.to_stage_id}"


class Activity(Keyed, Audited, TimestampMixin, Model):
    """A call, meeting, task or e-mail to do for a partner (and maybe a deal) by a user."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("kind IN ('call','meeting','task','email')", name="ck_activity_kind"),
        Index("ix_activity_partner", "partner_id"),
        Index("ix_activity_deal", "deal_id", "done", "due_at"),
        Index("ix_activity_assignee_due", "assignee_id", "done", "due_at"),
    )
    kind: Mapped[str] = mapped_column(String(16), default="call", nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner = relationship("Partner", foreign_keys=[partner_id])
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"), nullable=True)
    deal: Mapped[Deal | None] = relationship(back_populates="activities")
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    assignee = relationship("User", foreign_keys=[assignee_id])
    result: Mapped[str] = mapped_column(Text, default="", nullable=False)

    def __repr__(self) -> str:
        return self.subject
