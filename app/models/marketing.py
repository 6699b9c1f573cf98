"""Marketing and repeat sales: client statistics, segments, promotions, campaigns, opt-outs.

`ClientStats` is a cache of each client's order history (last order, count, revenue, RFM scores, ABC
class, usual reorder interval): refreshed for one client in the transaction that confirms its order
or posts its shipment, and rebuilt for all by the nightly job; segment rules read it instead of
walking the orders. `SegmentMember` holds who is in each segment, kept current the same way.
A campaign's recipients are fixed when it starts (target or holdout group, by a seeded draw), so
its results compare the same two groups however the segment changes later.
"""

from __future__ import annotations

from datetime import date, datetime

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

from app.models.base import Audited, Keyed, TimestampMixin, named, utcnow
from app.models.types import Money, Rate

CAMPAIGN_DRAFT = "draft"
CAMPAIGN_SENDING = "sending"
CAMPAIGN_SENT = "sent"
CAMPAIGN_STATES = (CAMPAIGN_DRAFT, CAMPAIGN_SENDING, CAMPAIGN_SENT)

GROUP_TARGET = "target"
GROUP_HOLDOUT = "holdout"

RCP_PENDING = "pending"  # to be mailed by the pacing job
RCP_QUEUED = "queued"  # written to the outbox
RCP_OPTED_OUT = "opted_out"
RCP_NO_EMAIL = "no_email"
RCP_HELD_OUT = "held_out"
RCP_STATES = (RCP_PENDING, RCP_QUEUED, RCP_OPTED_OUT, RCP_NO_EMAIL, RCP_HELD_OUT)


class ClientStats(Model):
    """One client's purchase history in figures (base currency), the input of segments and RFM."""

    __tablename__ = "mkt_client_stats"
    __table_args__ = (Index("ix_mkt_stats_due", "next_due"), Index("ix_mkt_stats_last", "last_order"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    partner = relationship("Partner")
    orders: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    first_order: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_order: Mapped[date | None] = mapped_column(Date, nullable=True)
    revenue = mapped_column(Money(), nullable=False, default=0)
    interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # usual days between orders
    next_due: Mapped[date | None] = mapped_column(Date, nullable=True)  # last order + usual interval
    r_score: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 1..5, 0 = never ordered
    f_score: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    m_score: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    abc_class: Mapped[str] = mapped_column(String(1), default="", nullable=False)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    @property
    def rfm(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}" if self.orders else ""


class ClientScale(Model):
    """The cut-offs of the last full rebuild (quintiles of recency, frequency, money; ABC revenue
    limits), so one client re-scored after an order is placed on the same scale as everybody else."""

    __tablename__ = "mkt_client_scale"
    id: Mapped[int] = mapped_column(primary_key=True)
    cuts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Segment(named(200), Audited, TimestampMixin, Model):
    """Clients chosen by rules over their history; `rules` is a list of conditions, all must hold."""

    __tablename__ = "mkt_segment"
    rules: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    member_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return self.label()


class SegmentMember(Model):
    __tablename__ = "mkt_segment_member"
    __table_args__ = (Index("ix_mkt_member_partner", "partner_id"),)
    segment_id: Mapped[int] = mapped_column(ForeignKey("mkt_segment.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    segment = relationship(Segment)
    partner = relationship("Partner")


class Promotion(named(200), Audited, TimestampMixin, Model):
    """A time-limited discount on an item or a group, for everyone, a segment or one client.

    When several apply to a line the largest discount wins (then the higher priority, then the
    older promotion); a manual discount on the line is never added to it: the larger of the two is used.
    The discount is cut so the price keeps `floor_margin_pct` over the item's standard cost.
    """

    __tablename__ = "mkt_promotion"
    __table_args__ = (
        Index("ix_mkt_promo_dates", "active", "date_from", "date_to"),
    )
    date_from: Mapped[date] = mapped_column(Date, nullable=False)
    date_to: Mapped[date] = mapped_column(Date, nullable=False)
    discount_pct = mapped_column(Rate(), nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    item = relationship("Item")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("item_group.id"), nullable=True)
    group = relationship("ItemGroup")
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_segment.id"), nullable=True)
    segment = relationship(Segment)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    partner = relationship("Partner")
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    floor_margin_pct = mapped_column(Rate(), nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.label()


class Campaign(named(200), Audited, TimestampMixin, Model):
    """A mailing (and call list) to a segment, with an offer and a random holdout group."""

    __tablename__ = "mkt_campaign"
    # the percentages are checked by the services: SQLite stores Rate scaled, so no SQL bound on them
    __table_args__ = (CheckConstraint("state IN ('draft','sending','sent')", name="ck_mkt_campaign_state"),)
    segment_id: Mapped[int] = mapped_column(ForeignKey("mkt_segment.id"), nullable=False)
    segment: Mapped[Segment] = relationship()
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_promotion.id"), nullable=True)
    promotion: Mapped[Promotion | None] = relationship()
    state: Mapped[str] = mapped_column(String(16), default=CAMPAIGN_DRAFT, nullable=False)
    subject: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    subject_ru: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    subject_es: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    body_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    body_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    call_list: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    holdout_pct = mapped_column(Rate(), nullable=False, default=10)
    seed: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    cost = mapped_column(Money(), nullable=False, default=0)
    per_run: Mapped[int] = mapped_column(Integer, default=500, nullable=False)  # messages per pacing run
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    period_days: Mapped[int] = mapped_column(Integer, default=60, nullable=False)  # results window

    def __repr__(self) -> str:
        return self.label()


class CampaignRecipient(Keyed, Model):
    """One client of a campaign: its group, what happened to its mail, its call task."""

    __tablename__ = "mkt_campaign_recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "partner_id", name="uq_mkt_recipient"),
                      Index("ix_mkt_recipient_state", "campaign_id", "state", "id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("mkt_campaign.id", ondelete="CASCADE"), nullable=False)
    campaign: Mapped[Campaign] = relationship()
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner = relationship("Partner")
    group: Mapped[str] = mapped_column(String(8), default=GROUP_TARGET, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=RCP_PENDING, nullable=False)
    email: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    activity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OptOut(Keyed, Audited, Model):
    """A client who asked to receive no more marketing mail (by the link, one click, or by hand)."""

    __tablename__ = "mkt_opt_out"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False, unique=True)
    partner = relationship("Partner")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    source: Mapped[str] = mapped_column(String(16), default="link", nullable=False)  # link / one_click / manual
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
