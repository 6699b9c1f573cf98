"""The sales context (the order management centre): customer orders, their lines and files, what the
logistics analysis created for them, shipments with transport, invoices and acts, payments.

Amounts on orders and invoices are stored per line already rounded to the kopek (one rounding
helper, app.services.sales.pricing.round_line), and the document totals are sums of those lines,
so a printed invoice always adds up. `SalesInvoice.amount_paid` is a cache of its posted payments,
kept in the same transaction as the payment (and checked by tests), because the list of 200,000
invoices filters on "unpaid / overdue" and can't sum payments per row.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import JSON, Date, DateTime, Integer, LargeBinary, String, Text

from app.models.base import Audited, Keyed, PostingStamps, TimestampMixin, utcnow
from app.models.catalog import Item, PriceList
from app.models.core import Currency
from app.models.partners import Partner
from app.models.stock import Warehouse
from app.models.types import Money, Quantity, Rate

# order states
SO_DRAFT = "draft"
SO_CONFIRMED = "confirmed"
SO_IN_FULFILMENT = "in_fulfilment"
SO_SHIPPED = "shipped"
SO_CLOSED = "closed"
SO_CANCELLED = "cancelled"
SO_STATES = (SO_DRAFT, SO_CONFIRMED, SO_IN_FULFILMENT, SO_SHIPPED, SO_CLOSED, SO_CANCELLED)
SO_OPEN = (SO_CONFIRMED, SO_IN_FULFILMENT)  # holding reservations, shippable

# shipment / invoice / payment states
DOC_DRAFT = "draft"
DOC_POSTED = "posted"
DOC_CANCELLED = "cancelled"

INVOICE_KIND_INVOICE = "invoice"
INVOICE_KIND_ACT = "act"
INVOICE_KINDS = (INVOICE_KIND_INVOICE, INVOICE_KIND_ACT)

# document types in stock reservations, moves and sequences
DOC_SALES_ORDER = "sales_order"
DOC_SHIPMENT = "shipment"
DOC_SALES_INVOICE = "sales_invoice"
DOC_SALES_ACT = "sales_act"
DOC_PAYMENT = "payment"
SALES_PREFIXES = {DOC_SALES_ORDER: "SO", DOC_SHIPMENT: "SH", DOC_SALES_INVOICE: "INV", DOC_SALES_ACT: "ACT",
                  DOC_PAYMENT: "PAY"}

DEMAND_PRODUCTION = "production"
DEMAND_PURCHASE = "purchase"


class SalesOrder(Keyed, Audited, TimestampMixin, Model):
    """A customer order: what the client buys, at what price, where and when it is delivered."""

    __tablename__ = "sales_order"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft','confirmed','in_fulfilment','shipped','closed','cancelled')", name="ck_so_state"),
        Index("ix_so_date_id", "order_date", "id"),
        Index("ix_so_partner_date", "partner_id", "order_date"),
        Index("ix_so_state_id", "state", "id"),  # a state filter pages newest first straight from the index
        Index("ix_so_number", "number"),
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    order_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=SO_DRAFT, nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner: Mapped[Partner] = relationship(foreign_keys=[partner_id])
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True, index=True)
    warehouse: Mapped[Warehouse | None] = relationship()
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"), nullable=True)
    price_list: Mapped[PriceList | None] = relationship()
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    currency: Mapped[Currency] = relationship()
    rate = mapped_column(Rate(), nullable=False, default=1)  # base currency units per one order currency unit
    tax_rate = mapped_column(Rate(), nullable=False, default=0)  # VAT, percent
    amount_net = mapped_column(Money(), nullable=False, default=0)
    amount_tax = mapped_column(Money(), nullable=False, default=0)
    amount_total = mapped_column(Money(), nullable=False, default=0)
    delivery_address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    delivery_terms: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    delivery_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # what the client asked for
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=10, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    proposal_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    manager = relationship("User", foreign_keys=[manager_id])
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    confirmed_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.line_no", cascade="all, delete-orphan")
    attachments: Mapped[list[SalesOrderAttachment]] = relationship(
        back_populates="order", order_by="SalesOrderAttachment.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.number


class SalesOrderLine(Keyed, Audited, Model):
    """One position of an order: an item (or a priced description), quantity, price, discount, tax.

    A line priced by a calculator remembers the calculator version and the inputs that priced it,
    so the price can be explained (and recomputed) later.
    """

    __tablename__ = "sales_order_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_sol_qty"),
        Index("ix_sol_item", "item_id"),
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    item: Mapped[Item | None] = relationship()
    description: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    unit_price = mapped_column(Money(), nullable=False)  # before discount and tax, order currency
    # when the price was converted from the base price list: that price and the day's rate used
    base_price = mapped_column(Money(), nullable=True)
    price_rate = mapped_column(Rate(), nullable=True)
    discount_pct = mapped_column(Rate(), nullable=False, default=0)
    amount_net = mapped_column(Money(), nullable=False, default=0)
    amount_tax = mapped_column(Money(), nullable=False, default=0)
    amount_total = mapped_column(Money(), nullable=False, default=0)
    unit_cost_estimate = mapped_column(Money(), nullable=True)
    calculator_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calculator_inputs: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    proposal_line_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    promise_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # set by the logistics analysis
    # the promotion whose discount the line carries (app.services.marketing.promotions), if any
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_promotion.id"), nullable=True)
    promotion = relationship("Promotion")

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item or self.description}"

    @property
    def label(self) -> str:
        return self.description or (self.item.label() if self.item else "")


class SalesOrderAttachment(Keyed, Model):
    """A file kept with an order (the client's specification, a signed contract, a drawing)."""

    __tablename__ = "sales_order_attachment"
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    order: Mapped[SalesOrder] = relationship(back_populates="attachments")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return self.filename


class SalesOrderDemand(Keyed, Model):
    """What the logistics analysis ordered for an order line: a production order or a purchase request line.

    Re-running the analysis subtracts what is already here, so it never orders the same thing twice.
    """

    __tablename__ = "sales_order_demand"
    __table_args__ = (
        CheckConstraint("kind IN ('production','purchase')", name="ck_sod_kind"),
        Index("ix_sod_order", "order_id"),
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order_line.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    production_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_order.id"), nullable=True)
    purchase_line_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reference: Mapped[str] = mapped_column(String(64), default="", nullable=False)  # MO / request number
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Shipment(Keyed, PostingStamps, Audited, TimestampMixin, Model):
    """Goods leaving for a client (part or all of an order) and how they travel."""

    __tablename__ = "sales_shipment"
    __table_args__ = (
        CheckConstraint("state IN ('draft','posted','cancelled')", name="ck_ship_state"),
        Index("ix_ship_date", "ship_date", "id"),
        Index("ix_ship_partner", "partner_id"),
        Index("ix_ship_delivery", "delivery_date"),
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    order: Mapped[SalesOrder] = relationship()
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner: Mapped[Partner] = relationship(foreign_keys=[partner_id])
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship()
    ship_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=DOC_DRAFT, nullable=False)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    carrier: Mapped[Partner | None] = relationship(foreign_keys=[carrier_id])
    vehicle: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    driver: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    delivery_address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    delivery_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    window_from: Mapped[str] = mapped_column(String(5), default="", nullable=False)  # "09:00"
    window_to: Mapped[str] = mapped_column(String(5), default="", nullable=False)
    transport_cost = mapped_column(Money(), nullable=False, default=0)
    amount_total = mapped_column(Money(), nullable=False, default=0)  # with tax, order currency
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.line_no", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.number


class ShipmentLine(Keyed, Audited, Model):
    __tablename__ = "sales_shipment_line"
    __table_args__ = (CheckConstraint("qty > 0", name="ck_shipl_qty"),)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("sales_shipment.id"), nullable=False, index=True)
    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), nullable=False, index=True)
    order_line: Mapped[SalesOrderLine] = relationship()
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    cost = mapped_column(Money(), nullable=True)  # FIFO cost that left, filled at posting

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"


class SalesInvoice(Keyed, PostingStamps, Audited, TimestampMixin, Model):
    """An invoice for payment (kind "invoice") or an act of services rendered (kind "act").

    Read by purchasing's invoice analysis: item, qty, price and amount per line, date and partner here.
    """

    __tablename__ = "sales_invoice"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice','act')", name="ck_inv_kind"),
        CheckConstraint("state IN ('draft','posted','cancelled')", name="ck_inv_state"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= amount_total", name="ck_inv_paid"),
        Index("ix_inv_date", "invoice_date", "id"),
        Index("ix_inv_partner_date", "partner_id", "invoice_date"),
        Index("ix_inv_due", "state", "due_date"),
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(8), default=INVOICE_KIND_INVOICE, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=DOC_POSTED, nullable=False)
    invoice_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner: Mapped[Partner] = relationship()
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), nullable=True, index=True)
    order: Mapped[SalesOrder | None] = relationship()
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    currency: Mapped[Currency] = relationship()
    rate = mapped_column(Rate(), nullable=False, default=1)
    tax_rate = mapped_column(Rate(), nullable=False, default=0)
    amount_net = mapped_column(Money(), nullable=False, default=0)
    amount_tax = mapped_column(Money(), nullable=False, default=0)
    amount_total = mapped_column(Money(), nullable=False, default=0)
    amount_paid = mapped_column(Money(), nullable=False, default=0)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lines: Mapped[list[SalesInvoiceLine]] = relationship(
        back_populates="invoice", order_by="SalesInvoiceLine.line_no", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.number

    @property
    def amount_due(self):
        return self.amount_total - self.amount_paid

    @property
    def payment_status(self) -> str:
        """unpaid / partial / paid / overdue (unpaid or partial past the due date) / cancelled."""
        if self.state == DOC_CANCELLED:
            return "cancelled"
        if self.kind == INVOICE_KIND_ACT:
            return "act"
        if self.amount_paid >= self.amount_total:
            return "paid"
        if self.due_date and self.due_date < date.today():
            return "overdue"
        return "partial" if self.amount_paid > 0 else "unpaid"


class SalesInvoiceLine(Keyed, Audited, Model):
    __tablename__ = "sales_invoice_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_invl_qty"),
        Index("ix_invl_item", "item_id"),
    )
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_invoice.id"), nullable=False, index=True)
    invoice: Mapped[SalesInvoice] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order_line.id"), nullable=True, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    item: Mapped[Item | None] = relationship()
    description: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    price = mapped_column(Money(), nullable=False)  # net unit price after discount
    amount = mapped_column(Money(), nullable=False)  # net of tax
    amount_tax = mapped_column(Money(), nullable=False, default=0)
    amount_total = mapped_column(Money(), nullable=False, default=0)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item or self.description}"

    @property
    def label(self) -> str:
        return self.description or (self.item.label() if self.item else "")


class Payment(Keyed, PostingStamps, Audited, TimestampMixin, Model):
    """Money received from a client against one invoice (part or all of what is due)."""

    __tablename__ = "sales_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_pay_amount"),
        CheckConstraint("state IN ('posted','cancelled')", name="ck_pay_state"),
        Index("ix_pay_date", "pay_date", "id"),
        Index("ix_pay_partner", "partner_id", "pay_date"),
        UniqueConstraint("number"),
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_invoice.id"), nullable=False, index=True)
    invoice: Mapped[SalesInvoice] = relationship()
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner: Mapped[Partner] = relationship()
    pay_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    amount = mapped_column(Money(), nullable=False)  # invoice currency
    method: Mapped[str] = mapped_column(String(32), default="bank", nullable=False)
    reference: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=DOC_POSTED, nullable=False)

    def __repr__(self) -> str:
        return self.number
