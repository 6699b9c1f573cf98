"""May the reader open a page? Links and buttons to other registers are drawn only when they would.

A card shows links into neighbouring registers (an order's shipments, a purchase order's receipt, a
client card from a service request). A role that may read the card but not the neighbour would
follow the link into a 403: a dead end. `may_open("ShipmentView.print_doc")` answers with the same
rule FAB's has_access applies when the link is followed, so the two never disagree.
"""

from __future__ import annotations

from flask import current_app
from flask_appbuilder.const import PERMISSION_PREFIX


def may_open(endpoint: str) -> bool:
    """True when the signed-in user passes the has_access check of the view method `endpoint`
    ("ViewClass.method"); True as well for what is not such a method (it has no check)."""
    appbuilder = current_app.appbuilder
    view_name, _, method = endpoint.partition(".")
    view = next((v for v in appbuilder.baseviews if v.endpoint == view_name), None)
    func = getattr(view, method, None)
    if view is None or not hasattr(func, "_permission_name"):
        return True
    name = (view.method_permission_name or {}).get(method) or func._permission_name
    permission = f"{PERMISSION_PREFIX}{name}"
    return permission in view.base_permissions and appbuilder.sm.has_access(permission, view.class_permission_name)
