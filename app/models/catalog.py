"""The catalog: items, item groups (a tree), unit conversions, price lists."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, Versioned, current_locale, named, translated
from app.models.core import Currency, Unit
from app.models.types import Money, Quantity, Rate

ITEM_KINDS = ("material", "component", "node", "product", "kit", "service")
TRACKING = ("none", "lots", "serials")


class ItemGroup(named(200, 32), Audited, Model):
    __tablename__ = "item_group"
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("item_group.id"), nullable=True, index=True)
    parent: Mapped[ItemGroup | None] = relationship(remote_side="ItemGroup.id")

    def __repr__(self) -> str:
        return self.label()


class Item(named(300, 64), Versioned, Audited, TimestampMixin, Model):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("kind IN ('material','component','node','product','kit','service')", name="ck_item_kind"),
        CheckConstraint("tracking IN ('none','lots','serials')", name="ck_item_tracking"),
        Index("ix_item_name", "name"),
    )
    kind: Mapped[str] = mapped_column(String(16), default="component", nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    unit: Mapped[Unit] = relationship()
    group_id: Mapped[int | None] = mapped_column(ForeignKey("item_group.id"), nullable=True, index=True)
    group: Mapped[ItemGroup | None] = relationship()
    barcode: Mapped[str] = mapped_column(String(64), default="", nullable=False, index=True)
    weight = mapped_column(Quantity(), nullable=True)
    standard_cost = mapped_column(Money(), nullable=True)
    sale_price = mapped_column(Money(), nullable=True)
    tracking: Mapped[str] = mapped_column(String(16), default="lots", nullable=False)
    warranty_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    photo: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.label(current_locale())}"


class UnitConversion(Keyed, Audited, Model):
    """1 `unit` of `item` = `factor` base units of the item (a box of 10: factor 10)."""

    __tablename__ = "unit_conversion"
    __table_args__ = (UniqueConstraint("item_id", "unit_id"), CheckConstraint("factor > 0", name="ck_conv_factor"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False)
    item: Mapped[Item] = relationship()
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    unit: Mapped[Unit] = relationship()
    factor = mapped_column(Rate(), nullable=False)

    def __repr__(self) -> str:
        return f"{self.item}: 1 {self.unit} = {self.factor}"


class PriceList(Keyed, translated(200), Versioned, Audited, Model):
    __tablename__ = "price_list"
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    currency: Mapped[Currency] = relationship()
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # a client's own price list (orders of that client take their prices from it first); None: for everyone
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    partner = relationship("Partner")

    def __repr__(self) -> str:
        return self.label()


class PriceListItem(Keyed, Audited, Model):
    __tablename__ = "price_list_item"
    __table_args__ = (UniqueConstraint("price_list_id", "item_id"),)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"), nullable=False)
    price_list: Mapped[PriceList] = relationship()
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    price = mapped_column(Money(), nullable=False)

    def __repr__(self) -> str:
        return f"{self.price_list}: {self.item}"
