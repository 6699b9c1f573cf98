"""Production views: work centres, BOMs, routings, production orders (with their tree), output receipts,
disassembly and conversion, under the menu category ProductionMenu ("Production").

Views only configure and call app.services.production; a DomainError becomes translated flash
messages (or, in a form's pre_add / pre_update, a ValueError with the translated text, which FAB
flashes). The modules: common (labels, the table page, guards), engineering, orders, transform.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.views.production.common import CAT_PRODUCTION
from app.views.production.engineering import BomLineView, BomView, RoutingOperationView, RoutingView, WorkCenterView
from app.views.production.orders import ProductionCompletionView, ProductionOperationView, ProductionOrderView
from app.views.production.transform import ConversionView, DisassemblyView, TransformationLineView


def register(appbuilder) -> None:
    cat = dict(category=CAT_PRODUCTION)
    appbuilder.add_view(ProductionOrderView, "Production orders", label=_l("Production orders"), icon="fa-industry",
                        category=CAT_PRODUCTION, category_label=_l("Production"), category_icon="fa-cogs")
    appbuilder.add_view(ProductionCompletionView, "Output receipts", label=_l("Output receipts"), icon="fa-sign-in",
                        **cat)
    appbuilder.add_view(DisassemblyView, "Disassemblies", label=_l("Disassemblies"), icon="fa-chain-broken", **cat)
    appbuilder.add_view(ConversionView, "Conversions", label=_l("Conversions"), icon="fa-random", **cat)
    appbuilder.add_separator(CAT_PRODUCTION)
    appbuilder.add_view(BomView, "Bills of materials", label=_l("Bills of materials"), icon="fa-list-alt", **cat)
    appbuilder.add_view(RoutingView, "Routings", label=_l("Routings"), icon="fa-road", **cat)
    appbuilder.add_view(WorkCenterView, "Work centres", label=_l("Work centres"), icon="fa-wrench", **cat)
    appbuilder.add_view_no_menu(BomLineView)
    appbuilder.add_view_no_menu(RoutingOperationView)
    appbuilder.add_view_no_menu(ProductionOperationView)
    appbuilder.add_view_no_menu(TransformationLineView)
