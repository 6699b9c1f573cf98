"""Quality: complaints and defects with their causes, corrective / preventive actions, the knowledge base.

A complaint names what went wrong and where it came from: the client, the product and its lot, the
production order that made it and the supplier lot of the component at fault (stock lots of the
ledger, so the recall list starts from them). Its cost of quality is the sum of its cost columns.
Corrective and preventive actions have an owner and a deadline and move through their workflow
(app/domain/quality.py). Knowledge-base articles carry their text in three languages; `search_title`
and `search_body` hold the normalised words the search index is built from (app/services/quality/kb_search.py).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, localized, named, translated, utcnow
from app.models.catalog import Item
from app.models.types import Money, Quantity

CAUSE_GROUPS = ("supplier", "production", "design", "transport", "usage", "other")
COMPLAINT_STATES = ("open", "investigating", "resolved", "closed", "rejected")
ACTION_KINDS = ("corrective", "preventive")
ACTION_STATES = ("open", "in_progress", "done", "closed", "cancelled")


class DefectCause(named(200, 32), Audited, Model):
    """A register of defect causes (per-language names), grouped for the Pareto analysis."""

    __tablename__ = "defect_cause"
    __table_args__ = (CheckConstraint(
        "cause_group IN ('supplier','production','design','transport','usage','other')", name="ck_cause_group"),)
    cause_group: Mapped[str] = mapped_column(String(16), default="other", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.label()}"


class Complaint(Keyed, Audited, TimestampMixin, Model):
    """A client's complaint or a defect found in-house, traced to its lot, order and supplier lot."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint("state IN ('open','investigating','resolved','closed','rejected')", name="ck_complaint_state"),
        CheckConstraint("qty >= 0", name="ck_complaint_qty"),
        Index("ix_complaint_date", "complaint_date"),
        Index("ix_complaint_cause", "cause_id"),
    )
    number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    complaint_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="open", nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    partner = relationship("Partner", foreign_keys=[partner_id])
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    item: Mapped[Item | None] = relationship(foreign_keys=[item_id])
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True, index=True)
    lot = relationship("StockLot", foreign_keys=[lot_id])
    production_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_order.id"), nullable=True,
                                                            index=True)
    production_order = relationship("ProductionOrder", foreign_keys=[production_order_id])
    component_lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True, index=True)
    component_lot = relationship("StockLot", foreign_keys=[component_lot_id])
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    supplier = relationship("Partner", foreign_keys=[supplier_id])
    cause_id: Mapped[int | None] = mapped_column(ForeignKey("defect_cause.id"), nullable=True)
    cause: Mapped[DefectCause | None] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=0)  # defective units
    cost_scrap = mapped_column(Money(), nullable=False, default=0)
    cost_rework = mapped_column(Money(), nullable=False, default=0)
    cost_replacement = mapped_column(Money(), nullable=False, default=0)
    cost_other = mapped_column(Money(), nullable=False, default=0)
    resolution: Mapped[str] = mapped_column(Text, default="", nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    actions: Mapped[list[CorrectiveAction]] = relationship(back_populates="complaint",
                                                           order_by="CorrectiveAction.id")

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"

    @property
    def cost_total(self):
        """Cost of quality of this complaint: scrap, rework, replacement and other costs."""
        return (self.cost_scrap or 0) + (self.cost_rework or 0) + (self.cost_replacement or 0) + (self.cost_other or 0)


class CorrectiveAction(Keyed, Audited, TimestampMixin, Model):
    """A corrective or preventive action of a complaint, with its owner and deadline."""

    __tablename__ = "corrective_action"
    __table_args__ = (
        CheckConstraint("kind IN ('corrective','preventive')", name="ck_capa_kind"),
        CheckConstraint("state IN ('open','in_progress','done','closed','cancelled')", name="ck_capa_state"),
        Index("ix_capa_due", "state", "due_date"),
    )
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), nullable=False, index=True)
    complaint: Mapped[Complaint] = relationship(back_populates="actions")
    kind: Mapped[str] = mapped_column(String(16), default="corrective", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="open", nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True, index=True)
    owner = relationship("User", foreign_keys=[owner_id])
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    result: Mapped[str] = mapped_column(Text, default="", nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.complaint} / {self.id}"


class KbCategory(named(200, 32), Audited, Model):
    """A knowledge-base section (per-language names)."""

    __tablename__ = "kb_category"

    def __repr__(self) -> str:
        return self.label()


class KbTag(Keyed, translated(64), Audited, Model):
    __tablename__ = "kb_tag"
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)

    def __repr__(self) -> str:
        return self.label()


kb_article_tag = Table(
    "kb_article_tag", Model.metadata,
    Column("article_id", Integer, ForeignKey("kb_article.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("kb_tag.id", ondelete="CASCADE"), primary_key=True),
)


class KbArticle(Keyed, translated(300, "title"), Audited, TimestampMixin, Model):
    """An answer in three languages (Markdown), its section, tags and attachments.

    `search_title` / `search_body` are derived (normalised words of every language version), written by
    the knowledge-base service whenever the text changes; the search index is built from them.
    """

    __tablename__ = "kb_article"
    __audit_exclude__ = ("updated_at", "search_title", "search_body")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    body_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    body_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_category.id"), nullable=True, index=True)
    category: Mapped[KbCategory | None] = relationship()
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    item: Mapped[Item | None] = relationship()
    published: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    tags: Mapped[list[KbTag]] = relationship(secondary=kb_article_tag, order_by="KbTag.name")
    attachments: Mapped[list[KbAttachment]] = relationship(back_populates="article", order_by="KbAttachment.id",
                                                           cascade="all, delete-orphan")
    search_title: Mapped[str] = mapped_column(Text, default="", nullable=False)
    search_body: Mapped[str] = mapped_column(Text, default="", nullable=False)

    def __repr__(self) -> str:
        return self.label()

    def label(self, locale: str | None = None) -> str:
        return localized(self, "title", locale)


class KbAttachment(Keyed, Audited, Model):
    """A file of an article (a manual, a photo), kept in the database like the outbox attachments."""

    __tablename__ = "kb_attachment"
    __audit_exclude__ = ("data",)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    article: Mapped[KbArticle] = relationship(back_populates="attachments")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    mimetype: Mapped[str] = mapped_column(String(100), default="application/octet-stream", nullable=False)
    size: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    def __repr__(self) -> str:
        return self.filename


class KbRequestLink(Keyed, Audited, Model):
    """An article that answered a service request (app.models.service.ServiceRequest)."""

    __tablename__ = "kb_request_link"
    __table_args__ = (Index("ux_kb_request_link", "article_id", "request_id", unique=True),)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False)
    article: Mapped[KbArticle] = relationship()
    # no foreign key: the service desk's table is another context's (checked by the service when linking)
    request_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)


def _normalise_article(_mapper, _connection, article: KbArticle) -> None:
    """Keep the search words of an article in step with its text, whatever path saves it."""
    from app.services.quality.kb_search import normalised_fields

    article.search_title, article.search_body = normalised_fields(article)


def _index_article(_mapper, connection, article: KbArticle) -> None:
    from app.services.quality.kb_search import write_index

    write_index(connection, article.id, article.search_title, article.search_body)


def _unindex_article(_mapper, connection, article: KbArticle) -> None:
    from app.services.quality.kb_search import drop_from_index

    drop_from_index(connection, article.id)


for _name, _hook in (("before_insert", _normalise_article), ("before_update", _normalise_article),
                     ("after_insert", _index_article), ("after_update", _index_article),
                     ("after_delete", _unindex_article)):
    event.listen(KbArticle, _name, _hook)


def _create_search_index(_table, connection, **_kw) -> None:
    """A database made by create_all gets the search index with the articles' table, as a migrated one gets it
    from the migration (migrations/kb_search_index.py): the same `create_index`."""
    from app.services.quality.kb_search import create_index

    create_index(connection)


def _drop_search_index(_table, connection, **_kw) -> None:
    from app.services.quality.kb_search import drop_index

    drop_index(connection)


event.listen(KbArticle.__table__, "after_create", _create_search_index)
event.listen(KbArticle.__table__, "before_drop", _drop_search_index)
