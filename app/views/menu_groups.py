"""The main menu in one row: FAB's categories gathered into a few groups, each a dropdown of sections.

With every context registering a category of its own the admin's menu wrapped to three rows at
1,400 px in Russian and Spanish. The categories (and so the menu_access permissions and every view's
registration) stay as they are; only the navbar (app/templates/appbuilder/navbar_menu.html) shows
them grouped: the group's dropdown lists each category the user may see as a section with its
entries. A category in no group is shown on its own, before the administration group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class MenuGroup:
    key: str
    label: Any
    icon: str
    categories: tuple[str, ...]


MENU_GROUPS = (
    MenuGroup("sales", _l("Clients and sales"), "fa-handshake-o",
              ("PartnersMenu", "CrmMenu", "MarketingMenu", "SalesMenu", "ProposalsMenu", "CalculatorsMenu",
               "ServiceMenu")),
    MenuGroup("supply", _l("Supply and production"), "fa-industry",
              ("PurchasingMenu", "StockMenu", "ProductionMenu", "QualityMenu")),
    MenuGroup("data", _l("Catalog and references"), "fa-cubes",
              ("CatalogMenu", "References", "KnowledgeMenu", "ImportMenu")),
    MenuGroup("admin", _l("Administration"), "fa-cogs", ("Setup", "Security")),
)
FIRST = ("KpiMenu",)  # the dashboards: every role's home page, on its own, first
LAST_GROUP = "admin"


@dataclass
class TopEntry:
    """One entry of the navbar: a single category (`item`) or a group of categories (`sections`)."""

    item: Any = None
    group: MenuGroup | None = None
    sections: list[Any] = field(default_factory=list)


def grouped_menu(menu: Any) -> list[TopEntry]:
    """The navbar's top-level entries: KPI, the groups in table order, ungrouped categories, administration."""
    group_of = {name: group for group in MENU_GROUPS for name in group.categories}
    by_group: dict[str, TopEntry] = {group.key: TopEntry(group=group) for group in MENU_GROUPS}
    first, alone = [], []
    for category in menu.get_list():
        group = group_of.get(category.name)
        if group is not None:
            by_group[group.key].sections.append(category)
        elif category.name in FIRST:
            first.append(TopEntry(item=category))
        else:
            alone.append(TopEntry(item=category))
    groups = [by_group[g.key] for g in MENU_GROUPS if g.key != LAST_GROUP and by_group[g.key].sections]
    last = [by_group[LAST_GROUP]] if by_group[LAST_GROUP].sections else []
    return first + groups + alone + last
