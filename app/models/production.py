"""Production: work centres, BOMs (versions by date), routings, production orders, output, disassembly.

Engineering data (Bom, BomLine, Routing, RoutingOperation, WorkCenter) is edited freely; a
production order copies what it needs at release (operations with their rates), so later edits of
a routing never change the cost of an order already under way. Stock moves of production are
posted by the services through the ledger under the documents below (ProductionCompletion,
Transformation); nothing here stores a running total of stock.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import Boolean, Date, DateTime, Integer, String, Text

from app.models.base import Audited, Keyed, PostingStamps, TimestampMixin, Versioned, translated
from app.models.catalog import Item
from app.models.core import Unit
from app.models.stock import Warehouse
from app.models.types import Money, Quantity

ORDER_DRAFT = "draft"
ORDER_RELEASED = "released"
ORDER_IN_PROGRESS = "in_progress"
ORDER_DONE = "done"
ORDER_CANCELLED = "cancelled"
ORDER_STATES = (ORDER_DRAFT, ORDER_RELEASED, ORDER_IN_PROGRESS, ORDER_DONE, ORDER_CANCELLED)
ORDER_OPEN = (ORDER_DRAFT, ORDER_RELEASED, ORDER_IN_PROGRESS)

DOC_PRODUCTION = "production"  # an output receipt (one completion of an order)
DOC_DISASSEMBLY = "disassembly"
DOC_CONVERSION = "conversion"
DOC_PRODUCTION_ORDER = "production_order"
PRODUCTION_PREFIXES = {DOC_PRODUCTION_ORDER: "MO", DOC_PRODUCTION: "MR", DOC_DISASSEMBLY: "DA",
                       DOC_CONVERSION: "CV"}

SHARE_STANDARD = "standard"
SHARE_WEIGHT = "weight"
SHARE_MANUAL = "manual"
SHARE_RULES = (SHARE_STANDARD, SHARE_WEIGHT, SHARE_MANUAL)


class WorkCenter(Keyed, translated(200), Audited, Model):
    """Where an operation is done, and what an hour there costs (labour and overhead)."""

    __tablename__ = "work_center"
    __table_args__ = (CheckConstraint("labour_rate >= 0 AND overhead_rate >= 0", name="ck_wc_rates"),)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    labour_rate = mapped_column(Money(), nullable=False, default=0)  # per hour, base currency
    overhead_rate = mapped_column(Money(), nullable=False, default=0)  # per hour, base currency
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.label()}"


class Bom(Keyed, Versioned, Audited, TimestampMixin, Model):
    """One version of an item's bill of materials, valid between two dates (open ends allowed)."""

    __tablename__ = "bom"
    __table_args__ = (
        UniqueConstraint("item_id", "version"),
        CheckConstraint("output_qty > 0", name="ck_bom_output"),
        Index("ix_bom_item_dates", "item_id", "valid_from"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    version: Mapped[str] = mapped_column(String(32), nullable=False, default="1")
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    output_qty = mapped_column(Quantity(), nullable=False, default=1)  # the lines are for this many units
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lines: Mapped[list[BomLine]] = relationship(back_populates="bom", order_by="BomLine.line_no",
                                                cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.item.code if self.item else '?'} v{self.version}"


class BomLine(Keyed, Audited, Model):
    """A component per `bom.output_qty` units of the parent, with scrap; or a by-product coming out."""

    __tablename__ = "bom_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_bomline_qty"),
        CheckConstraint("scrap_pct >= 0", name="ck_bomline_scrap"),  # < 100: in the service (scaled ints on SQLite)
        Index("ix_bomline_item", "item_id"),
    )
    bom_id: Mapped[int] = mapped_column(ForeignKey("bom.id"), nullable=False, index=True)
    bom: Mapped[Bom] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)  # in `unit` (the item's base unit when empty)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    unit: Mapped[Unit | None] = relationship()
    scrap_pct = mapped_column(Quantity(), nullable=False, default=0)
    is_byproduct: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"


class Routing(Keyed, Audited, TimestampMixin, Model):
    """One version of an item's technological map: the operations in order."""

    __tablename__ = "routing"
    __table_args__ = (UniqueConstraint("item_id", "version"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    version: Mapped[str] = mapped_column(String(32), nullable=False, default="1")
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    operations: Mapped[list[RoutingOperation]] = relationship(
        back_populates="routing", order_by="RoutingOperation.seq", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.item.code if self.item else '?'} v{self.version}"


class RoutingOperation(Keyed, translated(200), Audited, Model):
    """One step of a routing: where, how long to set up, how long per unit, what to do."""

    __tablename__ = "routing_operation"
    __table_args__ = (CheckConstraint("setup_minutes >= 0 AND run_minutes >= 0", name="ck_rop_times"),)
    routing_id: Mapped[int] = mapped_column(ForeignKey("routing.id"), nullable=False, index=True)
    routing: Mapped[Routing] = relationship(back_populates="operations")
    seq: Mapped[int] = mapped_column(Integer, default=10, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_center.id"), nullable=False)
    work_center: Mapped[WorkCenter] = relationship()
    setup_minutes = mapped_column(Quantity(), nullable=False, default=0)
    run_minutes = mapped_column(Quantity(), nullable=False, default=0)  # per unit
    is_software: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # "flash the software"
    software_version: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    instructions: Mapped[str] = mapped_column(Text, default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.seq} {self.label()}"


class ProductionOrder(Keyed, Audited, TimestampMixin, Model):
    """Make `qty` of `item` by a BOM and routing version; children make the nodes it lacks."""

    __tablename__ = "production_order"
    __table_args__ = (
        CheckConstraint("state IN ('draft','released','in_progress','done','cancelled')", name="ck_mo_state"),
        CheckConstraint("qty > 0", name="ck_mo_qty"),
        CheckConstraint("qty_done >= 0 AND qty_done <= qty", name="ck_mo_done"),
        Index("ix_mo_state", "state"),
    )
    number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    order_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=ORDER_DRAFT, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    qty_done = mapped_column(Quantity(), nullable=False, default=0)
    bom_id: Mapped[int | None] = mapped_column(ForeignKey("bom.id"), nullable=True)
    bom: Mapped[Bom | None] = relationship()
    routing_id: Mapped[int | None] = mapped_column(ForeignKey("routing.id"), nullable=True)
    routing: Mapped[Routing | None] = relationship()
    component_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    component_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[component_warehouse_id])
    output_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    output_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[output_warehouse_id])
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("production_order.id"), nullable=True, index=True)
    parent: Mapped[ProductionOrder | None] = relationship(remote_side="ProductionOrder.id", back_populates="children")
    children: Mapped[list[ProductionOrder]] = relationship(back_populates="parent", order_by="ProductionOrder.id")
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # planned cost of the whole quantity, fixed at release (standard costs, routing times and rates)
    planned_material = mapped_column(Money(), nullable=False, default=0)
    planned_labour = mapped_column(Money(), nullable=False, default=0)
    planned_overhead = mapped_column(Money(), nullable=False, default=0)
    # actual cost of what was completed so far (sum of the posted output receipts)
    actual_material = mapped_column(Money(), nullable=False, default=0)
    actual_labour = mapped_column(Money(), nullable=False, default=0)
    actual_overhead = mapped_column(Money(), nullable=False, default=0)
    released_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    released_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    operations: Mapped[list[ProductionOperation]] = relationship(
        back_populates="order", order_by="ProductionOperation.seq", cascade="all, delete-orphan")
    completions: Mapped[list[ProductionCompletion]] = relationship(
        back_populates="order", order_by="ProductionCompletion.id")

    def __repr__(self) -> str:
        return self.number or f"MO #{self.id}"

    @property
    def qty_remaining(self):
        return self.qty - (self.qty_done or 0)

    @property
    def planned_total(self):
        return self.planned_material + self.planned_labour + self.planned_overhead

    @property
    def actual_total(self):
        return self.actual_material + self.actual_labour + self.actual_overhead


class ProductionOperation(Keyed, translated(200), Audited, Model):
    """An order's copy of a routing operation, with the rates of release and the times reported."""

    __tablename__ = "production_operation"
    __table_args__ = (CheckConstraint("qty_reported >= 0", name="ck_pop_qty"),)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_order.id"), nullable=False, index=True)
    order: Mapped[ProductionOrder] = relationship(back_populates="operations")
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_center.id"), nullable=False)
    work_center: Mapped[WorkCenter] = relationship()
    is_software: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    software_version: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    instructions: Mapped[str] = mapped_column(Text, default="", nullable=False)
    planned_setup_minutes = mapped_column(Quantity(), nullable=False, default=0)
    planned_run_minutes = mapped_column(Quantity(), nullable=False, default=0)  # per unit
    labour_rate = mapped_column(Money(), nullable=False, default=0)
    overhead_rate = mapped_column(Money(), nullable=False, default=0)
    qty_reported = mapped_column(Quantity(), nullable=False, default=0)
    actual_setup_minutes = mapped_column(Quantity(), nullable=True)  # None: not reported (planned is used)
    actual_run_minutes = mapped_column(Quantity(), nullable=True)  # total for qty_reported
    charged_setup_minutes = mapped_column(Quantity(), nullable=False, default=0)  # setup already in a cost
    done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reported_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.seq} {self.label()}"


class ProductionCompletion(Keyed, PostingStamps, Audited, Model):
    """An output receipt: `qty` of the order made, its components issued, the product received at cost."""

    __tablename__ = "production_completion"
    __table_args__ = (
        CheckConstraint("state IN ('posted','cancelled')", name="ck_mr_state"),
        CheckConstraint("qty > 0", name="ck_mr_qty"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_order.id"), nullable=False, index=True)
    order: Mapped[ProductionOrder] = relationship(back_populates="completions")
    doc_date: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="posted", nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    material_cost = mapped_column(Money(), nullable=False, default=0)
    labour_cost = mapped_column(Money(), nullable=False, default=0)
    overhead_cost = mapped_column(Money(), nullable=False, default=0)
    byproduct_value = mapped_column(Money(), nullable=False, default=0)
    output_value = mapped_column(Money(), nullable=False, default=0)  # of the main product
    setup_minutes_charged = mapped_column(Quantity(), nullable=False, default=0)

    def __repr__(self) -> str:
        return self.number

    @property
    def unit_cost(self):
        return self.output_value / self.qty if self.qty else None


class Transformation(Keyed, PostingStamps, Audited, TimestampMixin, Model):
    """Disassembly (one item into its parts) or conversion (N of A into M of B), cost carried over."""

    __tablename__ = "transformation"
    __table_args__ = (
        CheckConstraint("kind IN ('disassembly','conversion')", name="ck_tf_kind"),
        CheckConstraint("state IN ('draft','posted','cancelled')", name="ck_tf_state"),
        CheckConstraint("share_rule IN ('standard','weight','manual')", name="ck_tf_rule"),
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    doc_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="draft", nullable=False)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    dest_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True)
    dest_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[dest_warehouse_id])
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    share_rule: Mapped[str] = mapped_column(String(16), default=SHARE_STANDARD, nullable=False)
    consumed_value = mapped_column(Money(), nullable=True)  # filled at posting: the cost that left
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    lines: Mapped[list[TransformationLine]] = relationship(
        back_populates="document", order_by="TransformationLine.line_no", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.number or f"{self.kind} #{self.id}"


class TransformationLine(Keyed, Audited, Model):
    """What comes out of a transformation; `share` is the hand-set weight of the manual rule."""

    __tablename__ = "transformation_line"
    __table_args__ = (CheckConstraint("qty > 0", name="ck_tfl_qty"),)
    document_id: Mapped[int] = mapped_column(ForeignKey("transformation.id"), nullable=False, index=True)
    document: Mapped[Transformation] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False)
    share = mapped_column(Quantity(), nullable=True)
    value = mapped_column(Money(), nullable=True)  # filled at posting: the cost this line received

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.item}"
