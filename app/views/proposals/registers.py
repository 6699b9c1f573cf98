"""The registers behind the configurator: product models, their base lines, option groups, options,
compatibility rules, and the pricing rules (margin, discount, floor per everything / group / client).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.proposals import CompatibilityRule, ModelLine, OptionGroup, PricingRule, ProductModel, ProductOption
from app.permissions import RESOURCE_PROPOSAL
from app.services.proposals.labels import GROUP_KIND_LABELS, RULE_KIND_LABELS, SCOPE_LABELS
from app.views.base import BaseModelView, choice_field, interface
from app.views.labels import COMMON_LABELS
from app.views.titles import titles

LABELS = COMMON_LABELS | {
    "base_item": _l("Base item"), "marketing_text": _l("Marketing text"), "image": _l("Image (data: URI)"),
    "characteristics": _l("Technical characteristics"), "parent_option": _l("Under option"),
    "min_select": _l("At least"), "max_select": _l("At most"), "group": _l("Option group"),
    "is_default": _l("Chosen by default"), "max_qty": _l("Largest quantity"), "option": _l("Option"),
    "target": _l("Other option"), "limit_qty": _l("Quantity limit"), "scope": _l("Applies to"),
    "item_group": _l("Item group"), "margin_pct": _l("Margin, %"),
    "characteristics_ru": _l("Technical characteristics (Russian)"),
    "characteristics_es": _l("Technical characteristics (Spanish)"),
    "marketing_text_ru": _l("Marketing text (Russian)"), "marketing_text_es": _l("Marketing text (Spanish)"),
    "description_ru": _l("Description (Russian)"), "description_es": _l("Description (Spanish)"),
}


def _label_of(mapping):
    return lambda value: str(mapping.get(value, value))




class _ProposalRegisterView:
    """Product models, options, rules and pricing: one permission, one label table."""

    class_permission_name = RESOURCE_PROPOSAL
    label_columns = LABELS

@titles(_l("Base configuration"), _l("Base configuration line"), _l("New base configuration line"),
        _l("Edit base configuration line"))
class ModelLineView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(ModelLine)
    list_columns = ["sort", "item", "qty", "characteristics"]
    add_columns = edit_columns = ["model", "sort", "item", "qty", "characteristics", "characteristics_ru",
                                  "characteristics_es"]
    search_columns = ["model", "item"]
    base_order = ("sort", "asc")


@titles(_l("Options"), _l("Option"), _l("New option"), _l("Edit option"))
class ProductOptionView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(ProductOption)
    list_columns = ["group", "sort", "code", "name", "item", "qty", "is_default", "max_qty"]
    add_columns = edit_columns = ["group", "sort", "code", "name", "name_ru", "name_es", "item", "qty", "is_default",
                                  "max_qty", "characteristics", "characteristics_ru", "characteristics_es",
                                  "marketing_text", "marketing_text_ru", "marketing_text_es", "image"]
    show_columns = add_columns
    search_columns = ["group", "code", "name", "item"]
    base_order = ("sort", "asc")


@titles(_l("Option groups"), _l("Option group"), _l("New option group"), _l("Edit option group"))
class OptionGroupView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(OptionGroup)
    related_views = [ProductOptionView]
    list_columns = ["model", "sort", "code", "name", "kind", "min_select", "max_select", "parent_option"]
    add_columns = edit_columns = ["model", "parent_option", "sort", "code", "name", "name_ru", "name_es", "kind",
                                  "min_select", "max_select"]
    show_columns = add_columns
    search_columns = ["model", "code", "name", "kind"]
    base_order = ("sort", "asc")
    formatters_columns = {"kind": _label_of(GROUP_KIND_LABELS)}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, v) for k, v in GROUP_KIND_LABELS.items()], "one")}


@titles(_l("Compatibility rules"), _l("Compatibility rule"), _l("New compatibility rule"),
        _l("Edit compatibility rule"))
class CompatibilityRuleView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(CompatibilityRule)
    list_columns = ["model", "option", "kind", "target", "group", "limit_qty", "note"]
    add_columns = edit_columns = ["model", "kind", "option", "group", "target", "limit_qty", "note"]
    search_columns = ["model", "kind", "option", "target"]
    formatters_columns = {"kind": _label_of(RULE_KIND_LABELS)}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, v) for k, v in RULE_KIND_LABELS.items()], "requires")}
    description_columns = {
        "limit_qty": _l("At most: the largest quantity of the option (or of the whole group) while the other "
                        "option is chosen (always, without one)"),
    }


@titles(_l("Product models"), _l("Product model"), _l("New product model"), _l("Edit product model"))
class ProductModelView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(ProductModel)
    related_views = [ModelLineView, OptionGroupView, CompatibilityRuleView]
    list_columns = ["code", "name", "base_item", "active"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "base_item", "description", "description_ru",
                                  "description_es", "marketing_text", "marketing_text_ru", "marketing_text_es",
                                  "image", "active"]
    show_columns = [c for c in add_columns if c != "image"]
    search_columns = ["code", "name", "base_item", "active"]
    base_order = ("code", "asc")


@titles(_l("Pricing rules"), _l("Pricing rule"), _l("New pricing rule"), _l("Edit pricing rule"))
class PricingRuleView(_ProposalRegisterView, BaseModelView):
    datamodel = interface(PricingRule)
    list_columns = ["name", "scope", "item_group", "partner", "margin_pct", "discount_pct", "floor_margin_pct",
                    "active"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "scope", "item_group", "partner", "margin_pct",
                                  "discount_pct", "floor_margin_pct", "active"]
    search_columns = ["name", "scope", "item_group", "partner", "active"]
    formatters_columns = {"scope": _label_of(SCOPE_LABELS)}
    add_form_extra_fields = edit_form_extra_fields = {
        "scope": choice_field(_l("Applies to"), [(k, v) for k, v in SCOPE_LABELS.items()], "all")}
    description_columns = {
        "margin_pct": _l("Of the selling price: price = cost / (1 - margin)"),
        "floor_margin_pct": _l("Below it, only a manager can save the proposal"),
    }
