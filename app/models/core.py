"""Company settings and the base registers: currencies and rates, units, document sequences."""

from __future__ import annotations

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, current_locale, named, translated
from app.models.types import Rate


class Currency(Keyed, translated(64), Audited, Model):
    __tablename__ = "currency"
    code: Mapped[str] = mapped_column(String(3), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(8), default="", nullable=False)
    decimals: Mapped[int] = mapped_column(Integer, default=2, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.code


class CurrencyRate(Keyed, Audited, Model):
    """Units of base currency for one unit of `currency` on `on_date`."""

    __tablename__ = "currency_rate"
    __table_args__ = (UniqueConstraint("currency_id", "on_date"),)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False, index=True)
    currency: Mapped[Currency] = relationship()
    on_date: Mapped[date] = mapped_column(Date, nullable=False)
    rate = mapped_column(Rate(), nullable=False)

    def __repr__(self) -> str:
        return f"{self.currency} {self.on_date}: {self.rate}"


class Unit(named(64, 16), Audited, Model):
    """A unit of measure (pcs, kg, m, m2, l, box)."""

    __tablename__ = "unit"
    decimals: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def __repr__(self) -> str:
        return self.label()

    def label(self, locale: str | None = None) -> str:
        """The unit's short name in the reader's language (шт, ud), else its code."""
        return getattr(self, f"name_{locale or current_locale()}", "") or self.code


class Company(Keyed, translated(200), translated(300, "legal_name"), Audited, TimestampMixin, Model):
    """The company running Fabrika: its letterhead on every printed form.

    Its name, legal name and address in three languages (the default text, `_ru`, `_es`): a form printed for
    a Spanish client reads the Spanish ones (app/services/company.py), never the Russian letterhead.
    """

    __audit_exclude__ = ("updated_at", "smtp_password")  # the audit log is readable by Managers

    __tablename__ = "company"
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    legal_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    tax_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    tax_id2: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    registration_no: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    address_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    address_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    email: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    bank_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    bank_bic: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    bank_account: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    bank_corr_account: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    base_currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    base_currency: Mapped[Currency] = relationship()
    logo: Mapped[str | None] = mapped_column(Text, nullable=True)  # data: URI of a PNG/JPEG
    # Outgoing mail (purchase requests, invoices, proposals). SMTP_PASSWORD in the environment wins
    # over smtp_password, so a site that prefers not to keep it in the database can.
    smtp_host: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    smtp_port: Mapped[int] = mapped_column(Integer, default=25, nullable=False)
    smtp_user: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    smtp_password: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    smtp_security: Mapped[str] = mapped_column(String(16), default="none", nullable=False)  # none/starttls/ssl
    mail_from: Mapped[str] = mapped_column(String(200), default="", nullable=False)

    def __repr__(self) -> str:
        return self.name


class DocumentSequence(Keyed, Audited, Model):
    """Next number per document type and year; incremented atomically (see services.sequences)."""

    __tablename__ = "document_sequence"
    __table_args__ = (UniqueConstraint("doc_type", "year"),)
    doc_type: Mapped[str] = mapped_column(String(32), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), default="", nullable=False)
    padding: Mapped[int] = mapped_column(Integer, default=5, nullable=False)
    next_value: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    def __repr__(self) -> str:
        return f"{self.prefix}{self.year}"
