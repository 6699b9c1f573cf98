"""Permission and role names on the security pages in the reader's language ("Customer orders: read").

FAB shows a role's permissions as "can add on Pricing rules", "menu access on SalesMenu": the
permission and the resource's internal names joined in English. Here a (permission, resource)
pair reads as the resource's menu label or name in the reader's language and a translated action.
`install()` makes FAB's PermissionView print that way wherever FAB shows one (role list, card and
form, the "Permission on Views/Menus" page).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# msgids carry a "permission: " prefix so that the short words keep their own translations elsewhere
ACTIONS = {
    "can_read": _l("permission: read"),
    "can_write": _l("permission: change"),
    "can_post": _l("permission: post documents"),
    "can_run": _l("permission: run"),
    "can_approve": _l("permission: approve"),
    "menu_access": _l("permission: menu entry"),
    "can_list": _l("permission: list"),
    "can_show": _l("permission: view a record"),
    "can_add": _l("permission: add"),
    "can_edit": _l("permission: edit"),
    "can_delete": _l("permission: delete"),
    "can_download": _l("permission: download"),
    "can_chart": _l("permission: chart"),
    "can_get": _l("permission: read (API)"),
    "can_put": _l("permission: change (API)"),
    "can_info": _l("permission: form description (API)"),
    "can_userinfo": _l("permission: own profile"),
    "userinfoedit": _l("permission: edit own profile"),
    "resetmypassword": _l("permission: change own password"),
    "resetpasswords": _l("permission: reset passwords"),
    "copyrole": _l("permission: copy a role"),
    "can_this_form_get": _l("permission: open the form"),
    "can_this_form_post": _l("permission: send the form"),
}
# FAB's own views, named by their class: the titles FAB gives them (FAB's catalog, fixed in ours).
FAB_RESOURCES = {
    "RoleModelView": _l("List Roles"),
    "UserDBModelView": _l("List Users"),
    "FabrikaUserDBModelView": _l("List Users"),  # app/security.py's users view (FAB's with translated words)
    "UserGroupModelView": _l("List Groups"),
    "UserStatsChartView": _l("User's Statistics"),
    "PermissionModelView": _l("Base Permissions"),
    "ViewMenuModelView": _l("Views/Menus"),
    "PermissionViewModelView": _l("Permission on Views/Menus"),
    "ResetMyPasswordView": _l("Reset my password"),
    "ResetPasswordView": _l("Reset Password"),
    "UserInfoEditView": _l("Edit User Information"),
    "MenuApi": _l("Menu (API)"),
    "OpenApi": _l("API description"),
    "SwaggerView": _l("API description"),
}
# Resources (app/permissions.py) that are no menu entry's name: listed so their names reach the catalogs.
RESOURCE_MSGIDS = (_l("Stock documents"), _l("Stock reports"), _l("Engineering"), _l("KPIs"))
# The roles Fabrika creates (app/security.py ROLE_CONFIGS), shown in the reader's language; a role an
# administrator adds keeps the name they gave it.
ROLE_LABELS = {
    "Admin": _l("role: Admin"), "Public": _l("role: Public"), "Manager": _l("role: Manager"),
    "Sales": _l("role: Sales"), "Economist": _l("role: Economist"), "Engineer": _l("role: Engineer"),
    "Production": _l("role: Production"), "Warehouse": _l("role: Warehouse"), "Purchasing": _l("role: Purchasing"),
    "Service": _l("role: Service"),
}
# FAB descriptions its catalogs leave in English (listed so that they reach ours).
FAB_DESCRIPTIONS = (
    _l("The user group on the application, this will associate with a list of roles associated with the group"),
)
_MENU_LABELS = "fabrika_menu_labels"


def _menu_labels() -> dict[str, Any]:
    """Menu entry and category names -> their (lazy) labels, read once from the app's menu."""
    labels = current_app.extensions.get(_MENU_LABELS)
    if labels is None:
        labels = {}
        for category in current_app.appbuilder.menu.get_list():
            labels[category.name] = category.label or category.name
            for item in category.childs or []:
                labels[item.name] = item.label or item.name
        current_app.extensions[_MENU_LABELS] = labels
    return labels


def resource_label(name: str) -> str:
    """A resource (view menu) in the reader's language: its menu label, FAB's title, or its name's msgid."""
    if name in FAB_RESOURCES:
        return str(FAB_RESOURCES[name])
    label = _menu_labels().get(name)
    return str(label) if label is not None else _(name)


def action_label(name: str) -> str:
    action = ACTIONS.get(name)
    return str(action) if action is not None else name.removeprefix("can_").replace("_", " ")


def permission_label(permission: str, resource: str) -> str:
    return _("%(what)s: %(action)s", what=resource_label(resource), action=action_label(permission))


def _permission_view_repr(pv) -> str:
    permission = getattr(pv.permission, "name", "")
    resource = getattr(pv.view_menu, "name", "")
    if not has_request_context():
        return f"{permission.replace('_', ' ')} on {resource}"
    return permission_label(permission, resource)


def role_label(name: str) -> str:
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


def _role_repr(role) -> str:
    return role_label(role.name) if has_request_context() else role.name


def _in_request(label, default=lambda name: name):
    """A __repr__ printing `label(name)` in a request and the stored name elsewhere (logs, the CLI)."""
    return lambda obj: label(obj.name) if has_request_context() else default(obj.name)


def install() -> None:
    """FAB's security registers print in the reader's language in a request, as FAB does elsewhere (logs):
    permission views, roles, and on the Admin's technical pages the bare permissions ("can_read") and
    resources ("Customer orders", "SalesOrderView") of "Base Permissions" and "Views/Menus"."""
    from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
    from flask_appbuilder.security.views import (
        PermissionModelView,
        PermissionViewModelView,
        RoleModelView,
        UserGroupModelView,
        ViewMenuModelView,
    )

    PermissionView.__repr__ = _permission_view_repr
    Role.__repr__ = _role_repr
    Permission.__repr__ = _in_request(action_label)
    ViewMenu.__repr__ = _in_request(resource_label)
    PermissionModelView.formatters_columns = {"name": action_label}
    ViewMenuModelView.formatters_columns = {"name": resource_label}
    RoleModelView.formatters_columns = {**(RoleModelView.formatters_columns or {}), "name": role_label}
    RoleModelView.label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}
    PermissionViewModelView.label_columns = {"permission": _l("Permission"), "view_menu": _l("Views/Menus"),
                                             "role": _l("Role")}
    UserGroupModelView.label_columns = {
        "name": _l("Name"), "label": _l("group: Label"), "description": _l("Description"), "users": _l("Users"),
        "roles": _l("Roles"),
    }
