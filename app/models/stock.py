"""Warehouses, stock documents, and the ledger: insert-only moves, FIFO lots, consumption, balances.

StockMove and LotConsumption are facts and never change (database triggers refuse UPDATE and
DELETE). StockLot.qty_remaining / value_remaining and StockBalance are caches kept in the same
transaction as the moves; `flask --app run stock verify` rebuilds them from the facts.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Audited,
    DocState,
    Keyed,
    PostingStamps,
    TimestampMixin,
    Versioned,
    make_append_only,
    translated,
    utcnow,
)
from app.models.catalog import Item
from app.models.core import Currency, Unit
from app.models.types import Money, Quantity, Rate

VALUATION_FIFO = "fifo"
VALUATION_AVERAGE = "average"

DOC_RECEIPT = "receipt"
DOC_ISSUE = "issue"
DOC_TRANSFER = "transfer"
DOC_COUNT = "count"
DOC_CUSTOMER_RETURN = "customer_return"
DOC_SUPPLIER_RETURN = "supplier_return"
DOC_OPENING = "opening"  # the opening balance of a warehouse (moving in: app.services.imports.stock)
STOCK_DOC_TYPES = (DOC_RECEIPT, DOC_ISSUE, DOC_TRANSFER, DOC_COUNT, DOC_CUSTOMER_RETURN, DOC_SUPPLIER_RETURN,
                   DOC_OPENING)
DOC_PREFIXES = {
    DOC_RECEIPT: "GR", DOC_ISSUE: "GI", DOC_TRANSFER: "TR", DOC_COUNT: "SC",
    DOC_CUSTOMER_RETURN: "CR", DOC_SUPPLIER_RETURN: "SR", DOC_OPENING: "OB",
}


class Warehouse(Keyed, translated(200), Versioned, Audited, Model):
    __tablename__ = "warehouse"
    __table_args__ = (CheckConstraint("valuation IN ('fifo','average')", name="ck_wh_valuation"),)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    valuation: Mapped[str] = mapped_column(String(16), default=VALUATION_FIFO, nullable=False)
    address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.label()}"

    @property
    def is_fifo(self) -> bool:
        return self.valuation == VALUATION_FIFO


class StockDocument(Keyed, PostingStamps, Versioned, Audited, TimestampMixin, Model):
    """Receipt, issue / write-off, transfer, stock count, customer return, return to supplier.

    The supplier or client is a link to the partner (`partner_id`); `partner_name` keeps the text of
    documents written before the link existed (shown when there is no partner). A customer return
    names the shipment the goods come back from, which limits what it may return. `row_version`
    (Versioned) lets the lines grid refuse a save over lines someone else saved meanwhile.
    """

    __tablename__ = "stock_document"
    __table_args__ = (
        CheckConstraint("state IN ('draft','posted','cancelled')", name="ck_sdoc_state"),
        UniqueConstraint("doc_type", "number"),
        Index("ix_sdoc_type_date", "doc_type", "doc_date"),
    )
    doc_type: Mapped[str] = mapped_column(String(24), nullable=False)
    number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    doc_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=DocState.DRAFT, nullable=False, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False, index=True)
    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    dest_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True)
    dest_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[dest_warehouse_id])
    partner_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    partner = relationship("Partner", foreign_keys=[partner_id])
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_shipment.id"), nullable=True, index=True)
    shipment = relationship("Shipment", foreign_keys=[shipment_id])
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currency.id"), nullable=True)
    currency: Mapped[Currency | None] = relationship()
    rate = mapped_column(Rate(), nullable=True)
    reason: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    source_ref: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    lines: Mapped[list[StockDocumentLine]] = relationship(
        back_populates="document", order_by="StockDocumentLine.line_no", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number or f"{self.doc_type} #{self.id} ({DocState.DRAFT})"

    @property
    def counterparty(self) -> str:
        """The supplier's or client's name: the linked partner's, else the text of an older document."""
        return self.partner.name if self.partner is not None else self.partner_name


class StockDocumentLine(Keyed, Audited, Model):
    __tablename__ = "stock_document_line"
    # filled by posting, which the document's own "post" audit row records
    __audit_exclude__ = ("value", "book_qty")
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), nullable=False, index=True)
    document: Mapped[StockDocument] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    unit: Mapped[Unit | None] = relationship()
    qty = mapped_column(Quantity(), nullable=True)  # in the line's unit; counted quantity for a count
    unit_cost = mapped_column(Money(), nullable=True)  # receipts and returns, in the document currency
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True)
    book_qty = mapped_column(Quantity(), nullable=True)  # stock count: what the books said at posting
    value = mapped_column(Money(), nullable=True)  # filled at posting: the cost that moved
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"


class StockLot(Keyed, Model):
    """A FIFO cost layer: one per receipt line in a batch warehouse."""

    __tablename__ = "stock_lot"
    __table_args__ = (
        CheckConstraint("qty_remaining >= 0", name="ck_lot_remaining"),
        CheckConstraint("value_remaining >= 0", name="ck_lot_value"),
        Index("ix_lot_open", "item_id", "warehouse_id", "received_on", "id"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    code: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)
    unit_cost = mapped_column(Money(), nullable=False)
    qty_remaining = mapped_column(Quantity(), nullable=False)
    value_remaining = mapped_column(Money(), nullable=False)
    origin_lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True)
    doc_type: Mapped[str] = mapped_column(String(24), default="", nullable=False)
    doc_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    doc_number: Mapped[str] = mapped_column(String(32), default="", nullable=False)

    def __repr__(self) -> str:
        return self.code or f"#{self.id}"

    @property
    def age_days(self) -> int:
        """Days since the lot was received (FIFO age, kept across transfers)."""
        return (date.today() - self.received_on).days


class StockMove(Keyed, Model):
    """One insert-only ledger fact: signed quantity and value of an item in a warehouse."""

    __tablename__ = "stock_move"
    __table_args__ = (
        # qty and value ride in the index so the item card's running balance over a fast mover's
        # 100k moves reads the index alone, never the table (97 -> ~25 ms at 1M ledger rows); kind
        # too, for the KPI job's stock pass (value, consumption, moves per item: 0.95 -> 0.41 s CPU
        # at 1M rows, app/services/kpi/metrics.py) without a second index on every insert
        Index("ix_move_item_wh_date", "item_id", "warehouse_id", "move_date", "id", "qty", "value", "kind"),
        Index("ix_move_doc", "doc_type", "doc_id"),
        Index("ix_move_date", "move_date"),
    )
    move_date: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), nullable=True, index=True)
    qty = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)
    revaluation = mapped_column(Money(), nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    doc_type: Mapped[str] = mapped_column(String(24), nullable=False)
    doc_id: Mapped[int] = mapped_column(Integer, nullable=False)
    doc_number: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    doc_line_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("stock_move.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.doc_number} {self.item_id} {self.qty}"


make_append_only(StockMove.__table__)


class LotConsumption(Keyed, Model):
    """How much of a lot an issue move took (negative rows give it back on cancellation)."""

    __tablename__ = "lot_consumption"
    move_id: Mapped[int] = mapped_column(ForeignKey("stock_move.id"), nullable=False, index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lot.id"), nullable=False, index=True)
    qty = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)


make_append_only(LotConsumption.__table__)


class StockBalance(Keyed, Model):
    """On hand, value and reservations per item and warehouse: a cache of the ledger, row-locked on posting."""

    __tablename__ = "stock_balance"
    __table_args__ = (UniqueConstraint("item_id", "warehouse_id"), Index("ix_balance_wh", "warehouse_id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=0)
    value = mapped_column(Money(), nullable=False, default=0)
    reserved = mapped_column(Quantity(), nullable=False, default=0)
    last_unit_cost = mapped_column(Rate(), nullable=False, default=0)
    last_move_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class StockReservation(Keyed, Model):
    """Goods held for a customer's document: the reserved part can't be issued to anything else."""

    __tablename__ = "stock_reservation"
    __table_args__ = (
        Index("ix_resv_doc", "doc_type", "doc_id"),
        Index("ix_resv_item_wh", "item_id", "warehouse_id"),
        CheckConstraint("qty >= 0", name="ck_resv_qty"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    doc_type: Mapped[str] = mapped_column(String(24), nullable=False)
    doc_id: Mapped[int] = mapped_column(Integer, nullable=False)
    doc_number: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
