"""Correcting the past: cost corrections (landed costs, price changes), what they re-costed, periods.

A cost correction is a document of its own date attached to posted receipts: its amount is shared
out over the receipts' lines (by value, quantity or weight) and posted as new value-only ledger
rows on the lots and on everything downstream that consumed them. `CostImpact` keeps what each
posting (a correction, its reversal, or a backdated receipt's re-costing) changed, one row per lot,
document line and order; the preview computes the same rows without writing them.

An accounting period is a month: closed, nothing may be posted or cancelled with a date in it; its
stock value at the close is frozen in `PeriodStockValue` (per warehouse).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, PostingStamps, TimestampMixin, Versioned
from app.models.catalog import Item
from app.models.stock import StockDocument, Warehouse
from app.models.types import Money, Quantity

DOC_COST_CORRECTION = "cost_correction"
DOC_RECOST = "recost"  # the re-costing a backdated receipt posts (doc_id: the receipt)
CORRECTION_KINDS = ("landed", "price")
ALLOCATION_BASES = ("value", "qty", "weight")
PERIOD_OPEN, PERIOD_CLOSED = "open", "closed"


class CostCorrection(Keyed, PostingStamps, Versioned, Audited, TimestampMixin, Model):
    """Freight, customs or a supplier's price change laid onto posted receipts.

    `doc_date` is the date it posts on; when the user asked for a date in a closed period,
    `corrects_date` keeps that date and `doc_date` is the first open day after it.
    """

    __tablename__ = "cost_correction"
    __table_args__ = (
        CheckConstraint("state IN ('draft','posted','cancelled')", name="ck_ccor_state"),
        CheckConstraint("kind IN ('landed','price')", name="ck_ccor_kind"),
        CheckConstraint("basis IN ('value','qty','weight')", name="ck_ccor_basis"),
    )
    number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    doc_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    corrects_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="draft", nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="landed", nullable=False)
    basis: Mapped[str] = mapped_column(String(16), default="value", nullable=False)
    amount = mapped_column(Money(), nullable=False, default=0)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    partner = relationship("Partner", foreign_keys=[partner_id])
    description: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    receipts: Mapped[list[CostCorrectionReceipt]] = relationship(
        back_populates="correction", cascade="all, delete-orphan", order_by="CostCorrectionReceipt.id")
    lines: Mapped[list[CostCorrectionLine]] = relationship(
        back_populates="correction", cascade="all, delete-orphan", order_by="CostCorrectionLine.line_no")

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"


class CostCorrectionReceipt(Keyed, Model):
    """A posted receipt the correction is laid onto."""

    __tablename__ = "cost_correction_receipt"
    __table_args__ = (UniqueConstraint("correction_id", "document_id"),)
    correction_id: Mapped[int] = mapped_column(ForeignKey("cost_correction.id"), nullable=False, index=True)
    correction: Mapped[CostCorrection] = relationship(back_populates="receipts")
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), nullable=False, index=True)
    document: Mapped[StockDocument] = relationship()

    def __repr__(self) -> str:
        return str(self.document)


class CostCorrectionLine(Keyed, Model):
    """The allocation: one receipt line's share of the correction (computed, not typed)."""

    __tablename__ = "cost_correction_line"
    correction_id: Mapped[int] = mapped_column(ForeignKey("cost_correction.id"), nullable=False, index=True)
    correction: Mapped[CostCorrection] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    receipt_line_id: Mapped[int] = mapped_column(ForeignKey("stock_document_line.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    basis_value = mapped_column(Quantity(), nullable=False, default=0)  # the line's value, qty or weight
    amount = mapped_column(Money(), nullable=False, default=0)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"


class CostImpact(Keyed, Model):
    """One thing a re-costing changed, by how much: a lot, a consuming document line, an order.

    `source_type`/`source_id` name what re-costed (a cost correction, a backdated receipt);
    `target` is what changed: "lot" (the part still in stock), "issue", "transfer", "production",
    "shipment" (its cost of goods sold) or "margin" (a customer order's margin, -cost).
    """

    __tablename__ = "cost_impact"
    __table_args__ = (Index("ix_cimpact_source", "source_type", "source_id"),
                      Index("ix_cimpact_move", "consumer_move_id"))
    source_type: Mapped[str] = mapped_column(String(24), nullable=False)
    source_id: Mapped[int] = mapped_column(Integer, nullable=False)
    reversal: Mapped[bool] = mapped_column(default=False, nullable=False)
    target: Mapped[str] = mapped_column(String(24), nullable=False)
    doc_type: Mapped[str] = mapped_column(String(24), default="", nullable=False)
    doc_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    doc_number: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    item: Mapped[Item | None] = relationship()
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True)
    consumer_move_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    qty = mapped_column(Quantity(), nullable=False, default=0)
    amount = mapped_column(Money(), nullable=False, default=0)


class AccountingPeriod(Keyed, Audited, Model):
    """A month of the books: open or closed. Closing freezes the stock value at its last day."""

    __tablename__ = "accounting_period"
    __table_args__ = (CheckConstraint("state IN ('open','closed')", name="ck_period_state"),)
    month_start: Mapped[date] = mapped_column(Date, unique=True, nullable=False)
    month_end: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=PERIOD_OPEN, nullable=False, index=True)
    stock_value = mapped_column(Money(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reopened_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    values: Mapped[list[PeriodStockValue]] = relationship(back_populates="period", cascade="all, delete-orphan",
                                                          order_by="PeriodStockValue.warehouse_id")

    def __repr__(self) -> str:
        return self.month_start.strftime("%Y-%m")


class PeriodStockValue(Keyed, Model):
    """The stock value of one warehouse at a period's close (frozen: a later correction posts after it)."""

    __tablename__ = "period_stock_value"
    period_id: Mapped[int] = mapped_column(ForeignKey("accounting_period.id"), nullable=False, index=True)
    period: Mapped[AccountingPeriod] = relationship(back_populates="values")
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=0)
    value = mapped_column(Money(), nullable=False, default=0)
