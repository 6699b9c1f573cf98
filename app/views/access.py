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
    needed = required_permission(appbuilder, endpoint)
    if needed is None:
        return True
    permission, resource = needed
    view = _views_by_endpoint(appbuilder)[endpoint.partition(".")[0]]
    return permission in view.base_permissions and appbuilder.sm.has_access(permission, resource)


def required_permission(appbuilder, endpoint: str) -> tuple[str, str] | None:
    """(permission, resource) that has_access checks for the view method `endpoint`; None when
    `endpoint` is not a protected method of a registered view. The dead-links test asks it too."""
    view_name, _, method = endpoint.partition(".")
    view = _views_by_endpoint(appbuilder).get(view_name)
    func = getattr(view, method, None)
    if view is None or not hasattr(func, "_permission_name"):
        return None
    name = (view.method_permission_name or {}).get(method) or func._permission_name
    return f"{PERMISSION_PREFIX}{name}", view.class_permission_name


def _views_by_endpoint(appbuilder) -> dict:
    """Views by endpoint, built once per set of registered views: a card asks up to a dozen times
    per page, and a scan of ~150 views each time showed in the page profile."""
    cached = getattr(appbuilder, "_fabrika_views_by_endpoint", None)
    if cached is None or cached[0] != len(appbuilder.baseviews):
        views: dict = {}
        for view in appbuilder.baseviews:
            views.setdefault(view.endpoint, view)  # the first registered, as FAB's own lookup
        cached = (len(appbuilder.baseviews), views)
        appbuilder._fabrika_views_by_endpoint = cached
    return cached[1]
