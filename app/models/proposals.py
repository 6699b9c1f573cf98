"""Technical and commercial proposals (TCP): configurable product models, pricing rules, proposals.

A ProductModel is what the configurator sells: a base configuration (ModelLine) plus option groups
(OptionGroup: choose one / choose many / quantity) of options (ProductOption), each an item or a node
of the catalog. An option may own option groups of its own (parent_option_id), so models nest to any
depth. CompatibilityRule says which options require or exclude others and how many of something may
go with something else; app.domain.rules checks them.

A Proposal is one version of a TCP: its number is shared by all versions (root_id ties them), the
lines keep the cost they were priced at (snapshot), so the margin drift since the proposal was made
can be shown. Sent, approved, rejected and converted versions are never edited: a revision is a new
version.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import Boolean, Date, DateTime, Integer, String, Text

from app.models.base import Audited, Keyed, LocalizedName, TimestampMixin, named, translated
from app.models.catalog import Item, ItemGroup
from app.models.core import Currency
from app.models.partners import Partner
from app.models.types import Money, Quantity, Rate

GROUP_ONE = "one"
GROUP_MANY = "many"
GROUP_QTY = "qty"
GROUP_KINDS = (GROUP_ONE, GROUP_MANY, GROUP_QTY)

RULE_REQUIRES = "requires"
RULE_EXCLUDES = "excludes"
RULE_MAX_QTY = "max_qty"
RULE_KINDS = (RULE_REQUIRES, RULE_EXCLUDES, RULE_MAX_QTY)

SCOPE_ALL = "all"
SCOPE_GROUP = "group"
SCOPE_PARTNER = "partner"
SCOPES = (SCOPE_ALL, SCOPE_GROUP, SCOPE_PARTNER)

SOURCE_FIFO = "fifo"
SOURCE_AVERAGE = "average"
SOURCE_LAST_PURCHASE = "last_purchase"
SOURCE_BEST_OFFER = "best_offer"
SOURCE_STANDARD = "standard"
COST_SOURCES = (SOURCE_FIFO, SOURCE_AVERAGE, SOURCE_LAST_PURCHASE, SOURCE_BEST_OFFER, SOURCE_STANDARD)

STATE_DRAFT = "draft"
STATE_SENT = "sent"
STATE_APPROVED = "approved"
STATE_REJECTED = "rejected"
STATE_CONVERTED = "converted"
PROPOSAL_STATES = (STATE_DRAFT, STATE_SENT, STATE_APPROVED, STATE_REJECTED, STATE_CONVERTED)

LINE_BASE = "base"
LINE_OPTION = "option"
LINE_MANUAL = "manual"
LINE_CALCULATOR = "calculator"
LINE_KINDS = (LINE_BASE, LINE_OPTION, LINE_MANUAL, LINE_CALCULATOR)

EVENT_DATE = "date"
EVENT_ORDER = "order"
EVENT_SHIPMENT = "shipment"
EVENT_DELIVERY = "delivery"
EVENT_ACCEPTANCE = "acceptance"
PAYMENT_EVENTS = (EVENT_DATE, EVENT_ORDER, EVENT_SHIPMENT, EVENT_DELIVERY, EVENT_ACCEPTANCE)

DOC_PROPOSAL = "proposal"
PROPOSAL_PREFIX = "TCP"


class ProductModel(named(300, 64), Audited, TimestampMixin, Model):
    """A configurable product: what the configurator starts from."""

    __tablename__ = "product_model"
    base_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    base_item: Mapped[Item | None] = relationship()
    # texts the customer's form prints: the default (English) and per language, read with localized()
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    description_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    description_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    image: Mapped[str | None] = mapped_column(Text, nullable=True)  # data: URI
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    base_lines: Mapped[list[ModelLine]] = relationship(back_populates="model", order_by="ModelLine.sort",
                                                       cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.code} {self.label()}"


class ModelLine(Keyed, Audited, Model):
    """One item or node of the base configuration, per one configured product."""

    __tablename__ = "product_model_line"
    __table_args__ = (CheckConstraint("qty > 0", name="ck_pml_qty"),)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), nullable=False, index=True)
    model: Mapped[ProductModel] = relationship(back_populates="base_lines")
    sort: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    item: Mapped[Item] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=1)
    characteristics: Mapped[str] = mapped_column(Text, default="", nullable=False)
    characteristics_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    characteristics_es: Mapped[str] = mapped_column(Text, default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.item}"


class OptionGroup(Keyed, LocalizedName, Audited, Model):
    """A choice to make: one of, any of, or quantities of its options; nested under an option when set."""

    __tablename__ = "option_group"
    __table_args__ = (
        CheckConstraint("kind IN ('one','many','qty')", name="ck_og_kind"),
        CheckConstraint("min_select >= 0", name="ck_og_min"),
    )
    model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), nullable=False, index=True)
    model: Mapped[ProductModel] = relationship()
    # options belong to groups and groups may hang under options: the key is added after both tables
    # exist (use_alter), so PostgreSQL can create and drop the pair
    parent_option_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_option.id", use_alter=True, name="fk_option_group_parent_option"), nullable=True,
        index=True)
    parent_option: Mapped[ProductOption | None] = relationship(foreign_keys=[parent_option_id])
    sort: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    name_es: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    kind: Mapped[str] = mapped_column(String(8), default=GROUP_ONE, nullable=False)
    min_select: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    max_select: Mapped[int | None] = mapped_column(Integer, nullable=True)  # none: no limit
    options: Mapped[list[ProductOption]] = relationship(back_populates="group", order_by="ProductOption.sort",
                                                        foreign_keys="ProductOption.group_id",
                                                        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.label()


class ProductOption(Keyed, LocalizedName, Audited, Model):
    """One choice in a group: an item or node with a quantity, its characteristics and marketing text."""

    __tablename__ = "product_option"
    __table_args__ = (CheckConstraint("qty > 0", name="ck_po_qty"),)
    group_id: Mapped[int] = mapped_column(ForeignKey("option_group.id"), nullable=False, index=True)
    group: Mapped[OptionGroup] = relationship(back_populates="options", foreign_keys=[group_id])
    sort: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    name_es: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    item: Mapped[Item | None] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=1)  # of the item per one chosen option
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    max_qty: Mapped[int | None] = mapped_column(Integer, nullable=True)  # quantity groups: at most this many
    # "key: value" lines or JSON, in English and per language (the customer's form prints the client's)
    characteristics: Mapped[str] = mapped_column(Text, default="", nullable=False)
    characteristics_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    characteristics_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text_ru: Mapped[str] = mapped_column(Text, default="", nullable=False)
    marketing_text_es: Mapped[str] = mapped_column(Text, default="", nullable=False)
    image: Mapped[str | None] = mapped_column(Text, nullable=True)  # data: URI

    def __repr__(self) -> str:
        return self.label()


class CompatibilityRule(Keyed, Audited, Model):
    """`option` requires / excludes `target`; or at most `limit_qty` of `option` (or of `group`) when
    `target` is chosen (always, without a target)."""

    __tablename__ = "compatibility_rule"
    __table_args__ = (CheckConstraint("kind IN ('requires','excludes','max_qty')", name="ck_cr_kind"),)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), nullable=False, index=True)
    model: Mapped[ProductModel] = relationship()
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("product_option.id"), nullable=True)
    option: Mapped[ProductOption | None] = relationship(foreign_keys=[option_id])
    group_id: Mapped[int | None] = mapped_column(ForeignKey("option_group.id"), nullable=True)
    group: Mapped[OptionGroup | None] = relationship(foreign_keys=[group_id])
    target_id: Mapped[int | None] = mapped_column(ForeignKey("product_option.id"), nullable=True)
    target: Mapped[ProductOption | None] = relationship(foreign_keys=[target_id])
    limit_qty: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.option or self.group} {self.kind} {self.target or self.limit_qty}"


class PricingRule(Keyed, translated(200), Audited, Model):
    """Target margin, discount and floor margin for everything, an item group, or one client.

    The most specific rule wins (client over group over all); a proposal line may set its own.
    Margins are on the selling price: price = cost / (1 - margin%).
    """

    __tablename__ = "pricing_rule"
    __table_args__ = (
        CheckConstraint("scope IN ('all','group','partner')", name="ck_pr_scope"),
        Index("ix_pr_scope", "scope", "item_group_id", "partner_id"),
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), default=SCOPE_ALL, nullable=False)
    item_group_id: Mapped[int | None] = mapped_column(ForeignKey("item_group.id"), nullable=True)
    item_group: Mapped[ItemGroup | None] = relationship()
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    partner: Mapped[Partner | None] = relationship()
    margin_pct = mapped_column(Rate(), nullable=True)
    discount_pct = mapped_column(Rate(), nullable=True)
    floor_margin_pct = mapped_column(Rate(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.label()


class Proposal(Keyed, Audited, TimestampMixin, Model):
    """One version of a TCP to a client."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("state IN ('draft','sent','approved','rejected','converted')", name="ck_prop_state"),
        UniqueConstraint("number", "version"),
        Index("ix_prop_partner_date", "partner_id", "proposal_date"),
        Index("ix_prop_state", "state"),
        Index("ix_prop_root", "root_id", "version"),
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), nullable=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    proposal_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=STATE_DRAFT, nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), nullable=False)
    partner: Mapped[Partner] = relationship(foreign_keys=[partner_id])
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True)
    contact: Mapped[Partner | None] = relationship(foreign_keys=[contact_id])
    deal_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # crm Deal, when present
    model_id: Mapped[int | None] = mapped_column(ForeignKey("product_model.id"), nullable=True, index=True)
    model: Mapped[ProductModel | None] = relationship()
    qty = mapped_column(Quantity(), nullable=False, default=1)  # configured products
    selection: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON: option id -> quantity
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id"), nullable=False)
    currency: Mapped[Currency] = relationship()
    rate = mapped_column(Rate(), nullable=False, default=1)  # base currency per unit of `currency`
    cost_source: Mapped[str] = mapped_column(String(16), default=SOURCE_FIFO, nullable=False)
    margin_pct = mapped_column(Rate(), nullable=True)  # target margin: empty = from the rules
    discount_pct = mapped_column(Rate(), nullable=True)  # client discount: empty = from the rules
    tax_pct = mapped_column(Rate(), nullable=False, default=0)
    floor_margin_pct = mapped_column(Rate(), nullable=False, default=0)
    floor_override_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    cost_total = mapped_column(Money(), nullable=False, default=0)  # base currency
    price_total = mapped_column(Money(), nullable=False, default=0)  # proposal currency, before tax
    tax_total = mapped_column(Money(), nullable=False, default=0)
    grand_total = mapped_column(Money(), nullable=False, default=0)
    margin_actual_pct = mapped_column(Rate(), nullable=False, default=0)
    snapshot_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    reject_reason: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sales_order_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    custom_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    custom_item: Mapped[Item | None] = relationship()
    production_order_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lines: Mapped[list[ProposalLine]] = relationship(back_populates="proposal", order_by="ProposalLine.line_no",
                                                     cascade="all, delete-orphan")
    instalments: Mapped[list[PaymentInstalment]] = relationship(
        back_populates="proposal", order_by="PaymentInstalment.seq", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.number if self.version == 1 else f"{self.number}/{self.version}"


class ProposalLine(Keyed, Audited, Model):
    """A line of a proposal with the cost it was priced at (base currency) and its price (proposal currency)."""

    __tablename__ = "proposal_line"
    __table_args__ = (CheckConstraint("kind IN ('base','option','manual','calculator')", name="ck_pl_kind"),)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), nullable=False, index=True)
    proposal: Mapped[Proposal] = relationship(back_populates="lines")
    line_no: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default=LINE_BASE, nullable=False)
    line_key: Mapped[str] = mapped_column(String(16), default="", nullable=False)  # b<base line> / o<option> / x<n>
    group_label: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("product_option.id"), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    item: Mapped[Item | None] = relationship()
    description: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    characteristics: Mapped[str] = mapped_column(Text, default="", nullable=False)
    qty = mapped_column(Quantity(), nullable=False)
    unit_cost = mapped_column(Money(), nullable=False, default=0)  # snapshot, base currency
    cost = mapped_column(Money(), nullable=False, default=0)
    margin_pct = mapped_column(Rate(), nullable=True)  # the line's own target, empty: from the rules
    discount_pct = mapped_column(Rate(), nullable=True)
    unit_price = mapped_column(Money(), nullable=False, default=0)  # proposal currency, after discount
    price = mapped_column(Money(), nullable=False, default=0)
    calculator_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calculation_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calculator_inputs: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # the promotion whose discount the line's price carries (app.services.marketing.promotions), if any,
    # and that discount: named on the page and the printed form, carried onto the order line
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_promotion.id"), nullable=True)
    promotion = relationship("Promotion")
    promotion_pct = mapped_column(Rate(), nullable=True)

    def __repr__(self) -> str:
        return f"{self.line_no}: {self.description}"


class PaymentInstalment(Keyed, Audited, Model):
    """A share of the total due on a date or at an event (order, delivery...), `days` after it."""

    __tablename__ = "payment_instalment"
    __table_args__ = (CheckConstraint("pct > 0", name="ck_pi_pct"),)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), nullable=False, index=True)
    proposal: Mapped[Proposal] = relationship(back_populates="instalments")
    seq: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    pct = mapped_column(Rate(), nullable=False)
    event: Mapped[str] = mapped_column(String(16), default=EVENT_ORDER, nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    note: Mapped[str] = mapped_column(String(200), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.seq}: {self.pct}%"
