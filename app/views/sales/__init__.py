"""Views of the sales context (the order management centre): orders, analysis, shipments, invoices, payments.

`from app.views import sales; sales.register(appbuilder)` adds them to the menu.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.views.sales.common import CAT_SALES
from app.views.sales.documents import (
    DeliveryScheduleView,
    PaymentView,
    SalesInvoiceLineView,
    SalesInvoiceView,
    ShipmentLineView,
    ShipmentView,
)
from app.views.sales.orders import SalesOrderLineView, SalesOrderView

__all__ = ["register", "SalesOrderView", "ShipmentView", "SalesInvoiceView", "PaymentView", "DeliveryScheduleView"]


def register(appbuilder) -> None:
    """Add the sales views to the menu (category "Sales")."""
    cat = dict(category=CAT_SALES, category_label=_l("Sales"), category_icon="fa-shopping-cart")
    appbuilder.add_view(SalesOrderView, "Customer orders", label=_l("Customer orders"), icon="fa-shopping-cart", **cat)
    appbuilder.add_view(ShipmentView, "Shipments", label=_l("Shipments"), icon="fa-truck", **cat)
    appbuilder.add_view(DeliveryScheduleView, "Delivery schedule", label=_l("Delivery schedule"),
                        icon="fa-calendar", **cat)
    appbuilder.add_view(SalesInvoiceView, "Invoices and acts", label=_l("Invoices and acts"), icon="fa-file-text-o",
                        **cat)
    appbuilder.add_view(PaymentView, "Payments", label=_l("Payments"), icon="fa-money", **cat)
    appbuilder.add_view_no_menu(SalesOrderLineView)
    appbuilder.add_view_no_menu(ShipmentLineView)
    appbuilder.add_view_no_menu(SalesInvoiceLineView)
