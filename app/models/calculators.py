"""Calculators: definitions with immutable versions, lookup tables, and stored runs.

A Calculator names a pricing tool; its CalculatorVersion rows hold the definition (parameters JSON,
formulas, outputs JSON). Versions are append-only (the database refuses UPDATE and DELETE): an edit
is a new version, so a run (CalculationRun, also append-only) or an order / TCP line that remembers
a version id and its inputs can always be recomputed and explained. Lookup tables (material ->
price per m2) are shared reference data read by name from formulas; their values are kept as text
in JSON so they stay exact Decimals.
"""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Audited,
    Keyed,
    TimestampMixin,
    current_locale,
    localized,
    make_append_only,
    named,
    utcnow,
)
from app.models.types import Money, Quantity

_locale = current_locale  # lookup tables' titles follow the reader's language like the names


class Calculator(named(200, 40), Audited, TimestampMixin, Model):
    """A pricing tool (interior door, robot); its definition lives in its versions."""

    __tablename__ = "calculator"
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    description_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    description_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False, index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("calculator_version.id", use_alter=True, name="fk_calculator_current_version"), nullable=True)
    current_version = relationship("CalculatorVersion", foreign_keys=[current_version_id], post_update=True)

    def __repr__(self) -> str:
        return f"{self.code} {self.label()}"

    def description_label(self, locale: str | None = None) -> str:
        """The description in the reader's language, else the default one."""
        return localized(self, "description", locale)


class CalculatorVersion(Keyed, Model):
    """One definition of a calculator; never changed once written (the database refuses it)."""

    __tablename__ = "calculator_version"
    __table_args__ = (UniqueConstraint("calculator_id", "number", name="uq_calculator_version"),)
    calculator_id: Mapped[int] = mapped_column(ForeignKey("calculator.id"), nullable=False, index=True)
    calculator = relationship("Calculator", foreign_keys=[calculator_id])
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    parameters: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list
    formulas: Mapped[str] = mapped_column(Text, default="", nullable=False)
    outputs: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON object
    note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"{self.calculator.code if self.calculator else self.calculator_id} v{self.number}"


make_append_only(CalculatorVersion.__table__)


class LookupTable(Keyed, Audited, TimestampMixin, Model):
    """Reference values a formula reads by name: lookup(door_materials, material, 'price_m2')."""

    __tablename__ = "calc_lookup_table"
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    title_ru: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    title_es: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    columns: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # [{"name", "kind": number|text}]
    rows = relationship("LookupRow", back_populates="table", cascade="all, delete-orphan",
                        order_by="LookupRow.position")

    def label(self, locale: str | None = None) -> str:
        return getattr(self, f"title_{locale or _locale()}", "") or self.title or self.name

    def __repr__(self) -> str:
        return self.name


class LookupRow(Keyed, Model):
    __tablename__ = "calc_lookup_row"
    __table_args__ = (UniqueConstraint("table_id", "key", name="uq_calc_lookup_key"),)
    table_id: Mapped[int] = mapped_column(ForeignKey("calc_lookup_table.id"), nullable=False, index=True)
    table = relationship("LookupTable", back_populates="rows")
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    label: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    values: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)  # column -> text


class CalculationRun(Keyed, Model):
    """A stored result: which version priced what inputs, and what it gave; picked by id by orders and TCPs."""

    __tablename__ = "calculation_run"
    __table_args__ = (Index("ix_calculation_run_calc_at", "calculator_id", "created_at"),)
    calculator_id: Mapped[int] = mapped_column(ForeignKey("calculator.id"), nullable=False)
    calculator = relationship("Calculator")
    version_id: Mapped[int] = mapped_column(ForeignKey("calculator_version.id"), nullable=False, index=True)
    version = relationship("CalculatorVersion")
    inputs: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)  # validated, as text
    outputs: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)  # outputs, intermediates, bom
    cost = mapped_column(Money(), nullable=True)
    price = mapped_column(Money(), nullable=True)
    weight = mapped_column(Quantity(), nullable=True)
    description: Mapped[str] = mapped_column(String(1000), default="", nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), default="", nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"#{self.id}"


make_append_only(CalculationRun.__table__)
