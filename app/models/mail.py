"""The outbox: every e-mail Fabrika sends (purchase requests, invoices, proposals), with its status.

A message is written to the outbox first and sent after; a failed send stays in the outbox with the
server's error, so "did the supplier get it?" has an answer, and a retry sends the same message.
Attachments are kept with the message (PDF / XLSX bytes) so what was sent can be opened later.
"""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from markupsafe import Markup
from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Keyed, utcnow

MAIL_QUEUED = "queued"
MAIL_SENT = "sent"
MAIL_FAILED = "failed"
MAIL_STATES = (MAIL_QUEUED, MAIL_SENT, MAIL_FAILED)


class OutboxMessage(Keyed, Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("state IN ('queued','sent','failed')", name="ck_outbox_state"),
        Index("ix_outbox_entity", "entity", "entity_id"),
        Index("ix_outbox_partner", "partner_id"),
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=MAIL_QUEUED, nullable=False)
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sender: Mapped[str] = mapped_column(String(200), nullable=False)
    recipients: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    entity: Mapped[str] = mapped_column(String(64), default="", nullable=False)  # e.g. "purchase_request"
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    partner = relationship("Partner")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    user = relationship("User")
    # extra header lines, e.g. a campaign's List-Unsubscribe and List-Unsubscribe-Post (RFC 8058)
    headers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )

    def __repr__(self) -> str:
        return f"{self.subject} -> {self.recipients}"

    @property
    def attachment_links(self) -> Markup:
        """Download links of the attachments, for the outbox page."""
        from flask import url_for

        return Markup(", ").join(
            Markup('<a href="%s">%s</a>') % (url_for("OutboxView.attachment", pk=a.id), a.filename)
            for a in self.attachments
        )


class OutboxAttachment(Keyed, Model):
    __tablename__ = "outbox_attachment"
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), nullable=False, index=True)
    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    def __repr__(self) -> str:
        return self.filename
