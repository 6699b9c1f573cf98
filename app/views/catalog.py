"""Catalog views: items, item groups, unit conversions, price lists, warehouses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.catalog import Item, ItemGroup, PriceList, PriceListItem, UnitConversion
from app.models.stock import Warehouse
from app.permissions import RESOURCE_CATALOG, RESOURCE_WAREHOUSE
from app.services.stock.structure import check_item_change, check_warehouse_change
from app.services.vocabulary import ITEM_KIND_LABELS, TRACKING_LABELS, VALUATION_LABELS
from app.views.base import BaseModelView, choice_field, interface
from app.views.labels import COMMON_LABELS
from app.views.production.common import guarded
from app.views.titles import one_form, titles
from app.views.versioned import VersionedEditMixin

CAT_CATALOG = "CatalogMenu"

ITEM_LABELS = COMMON_LABELS | {
    "name_ru": _l("Name (Russian)"), "name_es": _l("Name (Spanish)"), "group": _l("Group"), "barcode": _l("Barcode"),
    "standard_cost": _l("Standard cost"), "sale_price": _l("Sale price"), "tracking": _l("Tracking"),
    "parent": _l("Parent group"), "factor": _l("Base units per unit"), "valuation": _l("Valuation"),
}
ITEM_KINDS_CHOICES = list(ITEM_KIND_LABELS.items())


TRACKING_CHOICES = list(TRACKING_LABELS.items())
VALUATION_CHOICES = list(VALUATION_LABELS.items())


class _CatalogView(BaseModelView):
    """The catalog registers: edited under one permission, labelled from one table."""

    class_permission_name = RESOURCE_CATALOG
    label_columns = ITEM_LABELS


@titles(_l("Item groups"), _l("Item group"), _l("Add item group"), _l("Edit item group"))
@one_form("code", "name", "name_ru", "name_es", "parent")
class ItemGroupView(_CatalogView):
    datamodel = interface(ItemGroup)
    search_columns = ["code", "name", "name_ru", "name_es", "parent"]


@titles(_l("Items"), _l("Item"), _l("Add item"), _l("Edit item"))
class ItemView(VersionedEditMixin, _CatalogView):
    datamodel = interface(Item)
    list_columns = ["code", "name", "kind", "unit", "group", "standard_cost", "sale_price", "active"]
    add_columns = edit_columns = [
        "code", "name", "name_ru", "name_es", "kind", "unit", "group", "barcode", "weight", "standard_cost",
        "sale_price", "tracking", "active",
    ]
    show_columns = add_columns
    search_columns = ["code", "name", "name_ru", "name_es", "kind", "group", "barcode", "active"]
    base_order = ("code", "asc")
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), ITEM_KINDS_CHOICES, "component"),
        "tracking": choice_field(_l("Tracking"), TRACKING_CHOICES, "lots"),
    }

    def pre_update(self, item: Item) -> None:
        super().pre_update(item)  # the version it was opened with
        guarded(lambda: check_item_change(db.session, item))  # no unit / kind change under stock


@titles(_l("Unit conversions"), _l("Unit conversion"), _l("Add unit conversion"), _l("Edit unit conversion"))
@one_form("item", "unit", "factor")
class UnitConversionView(_CatalogView):
    datamodel = interface(UnitConversion)
    search_columns = ["item", "unit"]


@titles(_l("Prices"), _l("Price"), _l("Add price"), _l("Edit price"))
@one_form("price_list", "item", "price")
class PriceListItemView(_CatalogView):
    datamodel = interface(PriceListItem)
    search_columns = ["price_list", "item"]


@titles(_l("Price lists"), _l("Price list"), _l("Add price list"), _l("Edit price list"))
@one_form("name", "name_ru", "name_es", "currency", "partner", "active")
class PriceListView(VersionedEditMixin, _CatalogView):
    datamodel = interface(PriceList)
    related_views = [PriceListItemView]
    label_columns = ITEM_LABELS | {"partner": _l("Client (own prices)")}


@titles(_l("Warehouses"), _l("Warehouse"), _l("Add warehouse"), _l("Edit warehouse"))
class WarehouseView(VersionedEditMixin, BaseModelView):
    datamodel = interface(Warehouse)
    class_permission_name = RESOURCE_WAREHOUSE
    list_columns = ["code", "name", "valuation", "active"]
    add_columns = edit_columns = show_columns = ["code", "name", "name_ru", "name_es", "valuation", "address",
                                                 "active"]
    search_columns = ["code", "name", "name_ru", "name_es", "valuation", "active"]
    label_columns = ITEM_LABELS
    add_form_extra_fields = edit_form_extra_fields = {
        "valuation": choice_field(_l("Valuation"), VALUATION_CHOICES, "fifo"),
    }
    description_columns = {
        "valuation": _l("fifo: batch (lot) accounting, stock never negative; average: moving average cost, "
                        "negative stock allowed"),
    }

    def pre_update(self, item: Warehouse) -> None:
        super().pre_update(item)  # the version it was opened with
        guarded(lambda: check_warehouse_change(db.session, item))  # no valuation change under stock


def register(appbuilder) -> None:
    cat = dict(category=CAT_CATALOG)
    appbuilder.add_view(ItemView, "Items", label=_l("Items"), icon="fa-cube", category=CAT_CATALOG,
                        category_label=_l("Catalog"), category_icon="fa-cubes")
    appbuilder.add_view(ItemGroupView, "Item groups", label=_l("Item groups"), icon="fa-sitemap", **cat)
    appbuilder.add_view(UnitConversionView, "Unit conversions", label=_l("Unit conversions"),
                        icon="fa-exchange", **cat)
    appbuilder.add_view(PriceListView, "Price lists", label=_l("Price lists"), icon="fa-tags", **cat)
    appbuilder.add_view_no_menu(PriceListItemView)
    appbuilder.add_view(WarehouseView, "Warehouses", label=_l("Warehouses"), icon="fa-home", **cat)
