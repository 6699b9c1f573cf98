"""The client base: partners (companies and people), their contacts, addresses, bank accounts, tags.

One register for customers, suppliers and carriers: a supplier that also buys from us is one row
with both roles, so its whole story (orders, offers, invoices, payments) hangs off one card.
`*_norm` columns hold the normalised phone / email / name used by duplicate detection; they are
indexed so checking a new client against 100,000 others is an index look-up, not a scan.
A partner merged into another keeps its row (history points at it) with `merged_into_id` set.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, Versioned, translated

PARTNER_KINDS = ("company", "person")
ADDRESS_KINDS = ("legal", "delivery", "postal")

partner_tag = Table(
    "partner_tag",
    Model.metadata,
    Column("partner_id", ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Keyed, translated(64), Audited, Model):
    __tablename__ = "tag"
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    color: Mapped[str] = mapped_column(String(16), default="", nullable=False)

    def __repr__(self) -> str:
        return self.label()


class Partner(Keyed, Versioned, Audited, TimestampMixin, Model):
    """A company or a person we deal with; a person may belong to a company (a contact)."""

    __tablename__ = "partner"
    __table_args__ = (
        CheckConstraint("kind IN ('company','person')", name="ck_partner_kind"),
        # (name, id): the lists' order (FAB adds id) straight from the index; name_norm: "name contains"
        # tests each row in the index instead of reading the table
        Index("ix_partner_name", "name", "id", "name_norm"),
        Index("ix_partner_name_norm", "name_norm"),
        Index("ix_partner_phone_norm", "phone_norm"),
        Index("ix_partner_email_norm", "email_norm"),
        Index("ix_partner_tax_id", "tax_id"),
        Index("ix_partner_company", "company_id"),
        Index("ix_partner_manager", "manager_id"),
        Index("ix_partner_supplier", "is_supplier"),  # supplier pickers and the list's role filter (the rarer roles)
        Index("ix_partner_carrier", "is_carrier"),
        # the lists show unmerged partners by name: a partial index serves their order and count, while
        # a search still goes by its own index (phone, e-mail, tax id) instead of walking this one
        Index("ix_partner_list", "name", "id", "name_norm", sqlite_where=text("merged_into_id IS NULL"),
              postgresql_where=text("merged_into_id IS NULL")),
    )
    kind: Mapped[str] = mapped_column(String(16), default="company", nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    legal_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    company: Mapped[Partner | None] = relationship(remote_side="Partner.id", foreign_keys=[company_id])
    position: Mapped[str] = mapped_column(String(120), default="", nullable=False)  # a contact's job title
    tax_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    tax_id2: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    email: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    website: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    is_customer: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_carrier: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    manager = relationship("User", foreign_keys=[manager_id])
    source: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    language: Mapped[str] = mapped_column(String(8), default="ru", nullable=False)  # of printed forms and mail
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    merged_into: Mapped[Partner | None] = relationship(remote_side="Partner.id", foreign_keys=[merged_into_id])
    name_norm: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    phone_norm: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    email_norm: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    tags: Mapped[list[Tag]] = relationship(secondary=partner_tag)
    addresses: Mapped[list[PartnerAddress]] = relationship(back_populates="partner", cascade="all, delete-orphan")
    bank_accounts: Mapped[list[PartnerBankAccount]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> tuple[str, ...]:
        """The partner's roles as keys (customer, supplier, carrier), for lists and exports."""
        flags = (("customer", self.is_customer), ("supplier", self.is_supplier), ("carrier", self.is_carrier))
        return tuple(key for key, on in flags if on)

    def __repr__(self) -> str:
        return self.name


class PartnerAddress(Keyed, Audited, Model):
    __tablename__ = "partner_address"
    __table_args__ = (CheckConstraint("kind IN ('legal','delivery','postal')", name="ck_address_kind"),)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False, index=True)
    partner: Mapped[Partner] = relationship(back_populates="addresses")
    kind: Mapped[str] = mapped_column(String(16), default="delivery", nullable=False)
    address: Mapped[str] = mapped_column(Text, nullable=False)
    city: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    country: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    def __repr__(self) -> str:
        return ", ".join(p for p in (self.address, self.city) if p)


class PartnerBankAccount(Keyed, Audited, Model):
    __tablename__ = "partner_bank_account"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False, index=True)
    partner: Mapped[Partner] = relationship(back_populates="bank_accounts")
    bank_name: Mapped[str] = mapped_column(String(200), nullable=False)
    bic: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    account: Mapped[str] = mapped_column(String(64), nullable=False)
    corr_account: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currency.id"), nullable=True)
    currency = relationship("Currency")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    def __repr__(self) -> str:
        return f"{self.bank_name} {self.account}"
