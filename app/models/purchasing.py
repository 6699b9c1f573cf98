"""Purchasing: the product matrix (supplier offers), purchase requests and orders, receipts against
orders, reorder points, the settings of the nightly reorder run and the runs' summaries.

A purchase request is what Fabrika suggests buying from one supplier (lines grouped by supplier,
each line keeping *why* it was suggested); a purchase order is what was agreed with the supplier
and what goods receipts are posted against. Quantities and prices are Decimal columns
(app.models.types); reasons are JSON with every number as a string, so no float sneaks in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import JSON, Boolean, Date, DateTime, Integer, String, Text

from app.models.base import Audited, Keyed, TimestampMixin, Versioned, utcnow
from app.models.catalog import Item
from app.models.core import Currency
from app.models.partners import Partner
from app.models.stock import StockDocument, Warehouse
from app.models.types import Money, Quantity

REQ_DRAFT = "draft"
REQ_SENT = "sent"
REQ_CONFIRMED = "confirmed"
REQ_RECEIVED = "received"
REQ_CANCELLED = "cancelled"
REQUEST_STATES = (REQ_DRAFT, REQ_SENT, REQ_CONFIRMED, REQ_RECEIVED, REQ_CANCELLED)
#: requests whose lines still wait for an order: what regeneration must not suggest again
OPEN_REQUEST_STATES = (REQ_DRAFT, REQ_SENT)

PO_DRAFT = "draft"
PO_SENT = "sent"
PO_CONFIRMED = "confirmed"
PO_PARTIAL = "partial"
PO_RECEIVED = "received"
PO_CANCELLED = "cancelled"
ORDER_STATES = (PO_DRAFT, PO_SENT, PO_CONFIRMED, PO_PARTIAL, PO_RECEIVED, PO_CANCELLED)
#: orders whose unreceived quantity is "on order" (the supplier knows about them)
ON_ORDER_STATES = (PO_SENT, PO_CONFIRMED, PO_PARTIAL)

METHOD_SALES = "sales"
METHOD_INVOICES = "invoices"
METHOD_MATRIX = "matrix"
METHOD_ABC = "abc"
METHOD_MINMAX = "minmax"
METHODS = (METHOD_SALES, METHOD_INVOICES, METHOD_MATRIX, METHOD_ABC, METHOD_MINMAX)


def _states_check(name: str, states: tuple[str, ...]) -> CheckConstraint:
    values = ",".join(f"'{s}'" for s in states)
    return CheckConstraint(f"state IN ({values})", name=name)


class SupplierOffer(Keyed, Versioned, Audited, TimestampMixin, Model):
    """One supplier's price for one item, valid for a period (a row of the product matrix)."""

    __tablename__ = "supplier_offer"
    __table_args__ = (
        CheckConstraint("lead_time_days >= 0", name="ck_offer_lead"),
        Index("ix_offer_item_valid", "item_id", "valid_from"),
        Index("ix_offer_supplier", "supplier_id"),
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    supplier: Mapped[Partner] = relationship()
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    price = mapped_column(Money(), nullable=False)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False, index=True)
    currency: Mapped[Currency] = relationship()
    valid_from: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    min_qty = mapped_column(Quantity(), nullable=False, default=0)
    pack_qty = mapped_column(Quantity(), nullable=True)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    supplier_item_code: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    characteristics: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.supplier}: {self.item} {self.price} {self.currency}"


class PurchaseRequest(Keyed, Audited, TimestampMixin, Model):
    """What to buy from one supplier (or from a supplier still to be chosen) for one warehouse."""

    __tablename__ = "purchase_request"
    __table_args__ = (
        _states_check("ck_preq_state", REQUEST_STATES),
        Index("ix_preq_state_supplier", "state", "supplier_id", "warehouse_id"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    request_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=REQ_DRAFT, nullable=False)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    supplier: Mapped[Partner | None] = relationship()
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True, index=True)
    warehouse: Mapped[Warehouse | None] = relationship()
    total_base = mapped_column(Money(), nullable=False, default=0)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    lines: Mapped[list[PurchaseRequestLine]] = relationship(
        back_populates="request", order_by="PurchaseRequestLine.line_no", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number


class PurchaseRequestLine(Keyed, Audited, Model):
    """One item to buy, with the reason it was suggested (method, figures, formula) kept as JSON."""

    __tablename__ = "purchase_request_line"
    __table_args__ = (
        Index("ix_preql_source", "source", "source_ref", "item_id"),
        Index("ix_preql_item", "item_id"),
    )
    request_id: Mapped[int] = mapped_column(ForeignKey("purchase_request.id"), nullable=False, index=True)
    request: Mapped[PurchaseRequest] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    price = mapped_column(Money(), nullable=True)  # in the offer's currency
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currency.id"), nullable=True)
    currency: Mapped[Currency | None] = relationship()
    amount_base = mapped_column(Money(), nullable=False, default=0)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_offer.id"), nullable=True, index=True)
    offer: Mapped[SupplierOffer | None] = relationship()
    need_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    source_ref: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"

    @property
    def why(self) -> str:
        """The reason's formula: the lines list shows it, the line's page shows every figure."""
        return (self.reason or {}).get("formula", "")

    @property
    def excess(self) -> Decimal | None:
        """What a sent line asks beyond its source's need now (recorded when the need went down)."""
        value = (self.reason or {}).get("excess")
        return Decimal(value) if value else None


class PurchaseOrder(Keyed, Audited, TimestampMixin, Model):
    """An order placed with a supplier; goods receipts are posted against it."""

    __tablename__ = "purchase_order"
    __table_args__ = (
        _states_check("ck_po_state", ORDER_STATES),
        Index("ix_po_state_supplier", "state", "supplier_id"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    order_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=PO_DRAFT, nullable=False)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False, index=True)
    supplier: Mapped[Partner] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False, index=True)
    warehouse: Mapped[Warehouse] = relationship()
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    currency: Mapped[Currency] = relationship()
    expected_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_request.id"), nullable=True, index=True)
    request: Mapped[PurchaseRequest | None] = relationship()
    total = mapped_column(Money(), nullable=False, default=0)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    confirmed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number


class PurchaseOrderLine(Keyed, Audited, Model):
    __tablename__ = "purchase_order_line"
    __table_args__ = (Index("ix_pol_item", "item_id"),)
    __audit_exclude__ = ("received_qty",)  # changed by receipts, which are audited themselves
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), nullable=False, index=True)
    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    price = mapped_column(Money(), nullable=False)
    amount = mapped_column(Money(), nullable=False, default=0)
    received_qty = mapped_column(Quantity(), nullable=False, default=0)
    request_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_request_line.id"), nullable=True)
    supplier_item_code: Mapped[str] = mapped_column(String(64), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"

    @property
    def open_qty(self):
        return self.qty - self.received_qty


class PurchaseReceipt(Keyed, Audited, Model):
    """A goods receipt posted against an order: which stock document, and whether prices differed."""

    __tablename__ = "purchase_receipt"
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), nullable=False, index=True)
    order: Mapped[PurchaseOrder] = relationship()
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), nullable=False, index=True)
    document: Mapped[StockDocument] = relationship()
    doc_number: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    receipt_date: Mapped[date] = mapped_column(Date, nullable=False)
    price_difference: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    received_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    lines: Mapped[list[PurchaseReceiptLine]] = relationship(back_populates="receipt", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.doc_number


class PurchaseReceiptLine(Keyed, Model):
    __tablename__ = "purchase_receipt_line"
    receipt_id: Mapped[int] = mapped_column(ForeignKey("purchase_receipt.id"), nullable=False, index=True)
    receipt: Mapped[PurchaseReceipt] = relationship(back_populates="lines")
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), nullable=False, index=True)
    order_line: Mapped[PurchaseOrderLine] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    price = mapped_column(Money(), nullable=False)
    ordered_price = mapped_column(Money(), nullable=False)
    price_difference: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class ReorderPoint(Keyed, Audited, Model):
    """Min / max stock of an item in a warehouse: below min, order up to max."""

    __tablename__ = "reorder_point"
    __table_args__ = (
        UniqueConstraint("item_id", "warehouse_id"),
        CheckConstraint("min_qty >= 0", name="ck_rp_min"),
        CheckConstraint("max_qty >= min_qty", name="ck_rp_max"),
        Index("ix_rp_wh", "warehouse_id"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    min_qty = mapped_column(Quantity(), nullable=False)
    max_qty = mapped_column(Quantity(), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.item} @ {self.warehouse}"


class PurchasingSettings(Keyed, Audited, Model):
    """One row: which methods the nightly reorder job runs, and their parameters (JSON per method)."""

    __tablename__ = "purchasing_settings"
    nightly_methods: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    default_lead_time_days: Mapped[int] = mapped_column(Integer, default=7, nullable=False)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True)
    warehouse: Mapped[Warehouse | None] = relationship()


class PurchasingRun(Keyed, Model):
    """The summary a generation run leaves for the dashboard: what it created and what it is worth."""

    __tablename__ = "purchasing_run"
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
    methods: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    requests_created: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    lines_created: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    lines_updated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    value_base = mapped_column(Money(), nullable=False, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


__all__ = [
    "SupplierOffer", "PurchaseRequest", "PurchaseRequestLine", "PurchaseOrder", "PurchaseOrderLine",
    "PurchaseReceipt", "PurchaseReceiptLine", "ReorderPoint", "PurchasingSettings", "PurchasingRun",
]
