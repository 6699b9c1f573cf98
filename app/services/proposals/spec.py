"""Loading a configurable product model for the configurator: its tree, options and rules in three queries.

The result (ModelData) is plain data: app.domain.rules checks it, the costing turns the chosen
options into lines, the page draws it. Names are taken in the reader's language once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import rules as drules
from app.domain.errors import DomainError
from app.models.base import localized
from app.models.catalog import Item
from app.models.proposals import CompatibilityRule, ModelLine, OptionGroup, ProductModel, ProductOption


@dataclass(frozen=True)
class BaseLine:
    id: int
    item_id: int
    qty: Decimal
    label: str
    characteristics: str


@dataclass(frozen=True)
class OptionData:
    id: int
    group_id: int
    code: str
    label: str
    item_id: int | None
    item_label: str
    qty: Decimal
    characteristics: str
    marketing_text: str
    image: str | None
    is_default: bool
    max_qty: int | None


@dataclass(frozen=True)
class GroupData:
    id: int
    code: str
    label: str
    kind: str
    min_select: int
    max_select: int | None
    parent_option_id: int | None
    option_ids: tuple[int, ...]


@dataclass
class ModelData:
    id: int
    code: str
    label: str
    description: str
    marketing_text: str
    image: str | None
    base_item_id: int | None
    base_lines: list[BaseLine] = field(default_factory=list)
    groups: dict[int, GroupData] = field(default_factory=dict)  # in display order (depth first)
    options: dict[int, OptionData] = field(default_factory=dict)
    spec: drules.ModelSpec | None = None

    def children_of(self, option_id: int | None) -> list[GroupData]:
        return [g for g in self.groups.values() if g.parent_option_id == option_id]


def _label(obj, locale: str) -> str:
    return getattr(obj, f"name_{locale}", "") or obj.name


def load_model(session: Session, model_id: int, locale: str = "en") -> ModelData:
    """The model with its base lines, group tree, options and rules (a DomainError if there is none)."""
    model = session.get(ProductModel, model_id)
    if model is None:
        raise DomainError("Choose a product model")
    # plain rows, not ORM objects: a model has hundreds of lines and an item carries its photo
    names = _item_name_columns(locale)
    base = session.execute(
        select(ModelLine.id, ModelLine.item_id, ModelLine.qty, ModelLine.characteristics,
               ModelLine.characteristics_ru, ModelLine.characteristics_es, *names)
        .join(Item, Item.id == ModelLine.item_id).where(ModelLine.model_id == model_id)
        .order_by(ModelLine.sort, ModelLine.id)).all()
    groups = list(session.scalars(
        select(OptionGroup).where(OptionGroup.model_id == model_id).order_by(OptionGroup.sort, OptionGroup.id)))
    option_rows: dict[int, list] = {}
    for row in session.execute(
            select(ProductOption, *names).outerjoin(Item, Item.id == ProductOption.item_id)
            .join(OptionGroup, OptionGroup.id == ProductOption.group_id)
            .where(OptionGroup.model_id == model_id).order_by(ProductOption.sort, ProductOption.id)):
        option_rows.setdefault(row[0].group_id, []).append(row)
    rule_rows = list(session.scalars(select(CompatibilityRule).where(CompatibilityRule.model_id == model_id)
                                     .order_by(CompatibilityRule.id)))
    # texts in the reader's language (the default, English, where a translation is missing)
    data = ModelData(model.id, model.code, model.label(locale), localized(model, "description", locale),
                     localized(model, "marketing_text", locale), model.image, model.base_item_id)
    data.base_lines = [BaseLine(r.id, r.item_id, r.qty, r.local_name or r.name,
                                localized(r, "characteristics", locale)) for r in base]
    by_parent: dict[int | None, list[OptionGroup]] = {}
    for g in groups:
        by_parent.setdefault(g.parent_option_id, []).append(g)

    def visit(parent: int | None) -> None:
        for g in by_parent.get(parent, ()):
            rows = option_rows.get(g.id, [])
            data.groups[g.id] = GroupData(g.id, g.code, _label(g, locale), g.kind, g.min_select, g.max_select,
                                          g.parent_option_id, tuple(r[0].id for r in rows))
            for o, item_name, item_local in rows:
                data.options[o.id] = OptionData(
                    o.id, g.id, o.code, _label(o, locale), o.item_id, (item_local or item_name or ""), o.qty,
                    localized(o, "characteristics", locale), localized(o, "marketing_text", locale), o.image,
                    o.is_default, o.max_qty)
            for o, _, _ in rows:
                visit(o.id)

    visit(None)
    data.spec = drules.ModelSpec(
        groups={g.id: drules.GroupSpec(g.id, g.label, g.kind, g.min_select, g.max_select, g.parent_option_id,
                                       g.option_ids) for g in data.groups.values()},
        options={o.id: drules.OptionSpec(o.id, o.group_id, o.label, o.max_qty, o.is_default)
                 for o in data.options.values()},
        rules=tuple(drules.RuleSpec(r.id, r.kind, r.option_id, r.target_id, r.group_id, r.limit_qty)
                    for r in rule_rows))
    return data


def _item_name_columns(locale: str) -> tuple:
    local = {"ru": Item.name_ru, "es": Item.name_es}.get(locale, Item.name)
    return Item.name.label("name"), local.label("local_name")


def item_labels(session: Session, ids: set[int], locale: str) -> dict[int, str]:
    """item id -> its name in `locale` (one query of three columns)."""
    if not ids:
        return {}
    rows = session.execute(select(Item.id, *_item_name_columns(locale)).where(Item.id.in_(sorted(ids))))
    return {r.id: r.local_name or r.name for r in rows}
