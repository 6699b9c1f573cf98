"""Roles as job descriptions: ROLE_CONFIGS maps each role to its permissions; `sync_roles` applies it.

The sync is idempotent and exact: it adds what the table grants and removes what it does not, so a
role's rights are always what this file says. Menu access follows view access: a role sees a menu
entry exactly when it may read the view behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context, request
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.permissions import (
    ACTION_APPROVE,
    ACTION_POST,
    ACTION_READ,
    ACTION_RUN,
    ACTION_WRITE,
    RESOURCE_AUDIT,
    RESOURCE_BACKUP,
    RESOURCE_CALCULATOR,
    RESOURCE_CATALOG,
    RESOURCE_DEAL,
    RESOURCE_ENGINEERING,
    RESOURCE_IMPORT,
    RESOURCE_INVOICE,
    RESOURCE_JOBS,
    RESOURCE_KNOWLEDGE,
    RESOURCE_KPI,
    RESOURCE_MARKETING,
    RESOURCE_OUTBOX,
    RESOURCE_PARTNER,
    RESOURCE_PRODUCTION,
    RESOURCE_PROPOSAL,
    RESOURCE_PURCHASING,
    RESOURCE_QUALITY,
    RESOURCE_REFERENCE,
    RESOURCE_SALES_ORDER,
    RESOURCE_SERVICE,
    RESOURCE_SETTINGS,
    RESOURCE_SHIPMENT,
    RESOURCE_STOCK_DOCUMENT,
    RESOURCE_STOCK_REPORT,
    RESOURCE_WAREHOUSE,
    perm,
)
from app.security_stamp import install as install_stamp
from app.security_stamp import read_version, version_column
from app.views.code_columns import fab_user_view

R, W, P, X, A = ACTION_READ, ACTION_WRITE, ACTION_POST, ACTION_RUN, ACTION_APPROVE

# FAB's own views every signed-in user needs: their profile, password and language.
SELF_SERVICE: list[tuple[str, str]] = [
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("userinfoedit", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_read", "My activity"),
]

ROLE_CONFIGS: dict[str, dict[str, tuple[str, ...]]] = {
    "Manager": {
        RESOURCE_SETTINGS: (R,),
        RESOURCE_REFERENCE: (R, W),
        RESOURCE_AUDIT: (R,),
        RESOURCE_JOBS: (R, X),
        RESOURCE_CATALOG: (R, W),
        RESOURCE_WAREHOUSE: (R, W),
        RESOURCE_STOCK_DOCUMENT: (R, W, P),
        RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_PARTNER: (R, W),
        RESOURCE_PRODUCTION: (R, W, P),
        RESOURCE_ENGINEERING: (R, W),
        RESOURCE_OUTBOX: (R, W),
        RESOURCE_DEAL: (R, W),
        RESOURCE_SALES_ORDER: (R, W, P, A),
        RESOURCE_SHIPMENT: (R, W, P),
        RESOURCE_INVOICE: (R, W, P),
        RESOURCE_PURCHASING: (R, W, P),
        RESOURCE_PROPOSAL: (R, W, P, A),
        RESOURCE_CALCULATOR: (R, W),
    },
    "Sales": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R,), RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_PARTNER: (R, W), RESOURCE_WAREHOUSE: (R,), RESOURCE_OUTBOX: (R, W),
        RESOURCE_DEAL: (R, W), RESOURCE_SALES_ORDER: (R, W, P), RESOURCE_SHIPMENT: (R, W),
        RESOURCE_INVOICE: (R, W, P), RESOURCE_PURCHASING: (R,), RESOURCE_PROPOSAL: (R, W, P),
        RESOURCE_CALCULATOR: (R,), RESOURCE_PRODUCTION: (R,),
    },
    "Economist": {
        RESOURCE_SETTINGS: (R,), RESOURCE_REFERENCE: (R, W), RESOURCE_CATALOG: (R, W),
        RESOURCE_STOCK_REPORT: (R,), RESOURCE_STOCK_DOCUMENT: (R,), RESOURCE_WAREHOUSE: (R,),
        RESOURCE_PARTNER: (R,), RESOURCE_PRODUCTION: (R,), RESOURCE_ENGINEERING: (R,),
        RESOURCE_OUTBOX: (R, W), RESOURCE_DEAL: (R,), RESOURCE_SALES_ORDER: (R, W),
        RESOURCE_SHIPMENT: (R,), RESOURCE_INVOICE: (R, W, P), RESOURCE_PURCHASING: (R,),
        RESOURCE_PROPOSAL: (R, W, P), RESOURCE_CALCULATOR: (R, W),
    },
    "Engineer": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R, W), RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_WAREHOUSE: (R,), RESOURCE_ENGINEERING: (R, W), RESOURCE_PRODUCTION: (R,),
        RESOURCE_SALES_ORDER: (R,), RESOURCE_PROPOSAL: (R, W), RESOURCE_CALCULATOR: (R, W),
    },
    "Production": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R,), RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_STOCK_DOCUMENT: (R,), RESOURCE_WAREHOUSE: (R,), RESOURCE_PRODUCTION: (R, W, P),
        RESOURCE_ENGINEERING: (R,), RESOURCE_SALES_ORDER: (R,), RESOURCE_PURCHASING: (R,),
    },
    "Warehouse": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R, W), RESOURCE_WAREHOUSE: (R,),
        RESOURCE_STOCK_DOCUMENT: (R, W, P), RESOURCE_STOCK_REPORT: (R,), RESOURCE_PARTNER: (R,),
        RESOURCE_PRODUCTION: (R,), RESOURCE_SALES_ORDER: (R,), RESOURCE_SHIPMENT: (R, W, P),
        RESOURCE_PURCHASING: (R, P),
    },
    "Purchasing": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R,), RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_STOCK_DOCUMENT: (R, W), RESOURCE_PARTNER: (R, W), RESOURCE_WAREHOUSE: (R,),
        RESOURCE_OUTBOX: (R, W), RESOURCE_PURCHASING: (R, W, P), RESOURCE_SALES_ORDER: (R,),
        RESOURCE_INVOICE: (R,),
    },
    "Service": {
        RESOURCE_REFERENCE: (R,), RESOURCE_CATALOG: (R,), RESOURCE_STOCK_REPORT: (R,),
        RESOURCE_PARTNER: (R,), RESOURCE_WAREHOUSE: (R,), RESOURCE_DEAL: (R,), RESOURCE_SALES_ORDER: (R,),
        RESOURCE_SERVICE: (R, W, P), RESOURCE_OUTBOX: (R,), RESOURCE_STOCK_DOCUMENT: (R,),
    },
}
# the service desk: Service works requests and repairs; Sales registers requests; the others read them
for _role, _service in {"Manager": (R, W, P), "Sales": (R, W), "Warehouse": (R,), "Production": (R,)}.items():
    ROLE_CONFIGS[_role][RESOURCE_SERVICE] = _service
# every role opens its dashboard; the director's roles define KPIs and scheduled reports
for _role, _kpi in {"Manager": (R, W, X), "Economist": (R, W)}.items():
    ROLE_CONFIGS[_role][RESOURCE_KPI] = _kpi
for _grants in ROLE_CONFIGS.values():
    _grants.setdefault(RESOURCE_KPI, (R,))
# quality: who logs complaints and works actions (write), who may close them as effective (post); the
# knowledge base is read by everyone, written by those who answer clients and engineers
for _role, _quality in {"Manager": (R, W, P), "Production": (R, W, P), "Engineer": (R, W), "Sales": (R, W),
                        "Service": (R, W), "Economist": (R,), "Warehouse": (R,), "Purchasing": (R,)}.items():
    ROLE_CONFIGS[_role][RESOURCE_QUALITY] = _quality
# marketing: sales and the director build segments, promotions and campaigns; the economists read results
for _role, _marketing in {"Manager": (R, W, X), "Sales": (R, W, X), "Economist": (R,)}.items():
    ROLE_CONFIGS[_role][RESOURCE_MARKETING] = _marketing
for _role in ("Manager", "Engineer", "Service"):
    ROLE_CONFIGS[_role][RESOURCE_KNOWLEDGE] = (R, W)
# data import: the roles that own some importable data (each kind also needs write on that data)
for _role in ("Manager", "Warehouse", "Purchasing", "Engineer", "Economist", "Sales"):
    ROLE_CONFIGS[_role][RESOURCE_IMPORT] = (R, W)
for _grants in ROLE_CONFIGS.values():
    _grants.setdefault(RESOURCE_KNOWLEDGE, (R,))
# projects: everyone works on the tasks of their team's projects; the director and the economists (who price
# orders) write the business-process templates, everyone else reads them
from app.permissions import RESOURCE_PROCESS, RESOURCE_PROJECT  # noqa: E402

for _grants in ROLE_CONFIGS.values():
    _grants[RESOURCE_PROJECT] = (R, W)
    _grants[RESOURCE_PROCESS] = (R,)
for _role in ("Manager", "Economist"):
    ROLE_CONFIGS[_role][RESOURCE_PROCESS] = (R, W)
# correcting the past: the accountant (Economist) and the director post cost corrections and close months;
# reopening a closed month (approve) is the director's; the warehouse enters and previews corrections
from app.permissions import RESOURCE_COSTING, RESOURCE_PERIOD  # noqa: E402

for _role, _costing in {"Manager": (R, W, P), "Economist": (R, W, P), "Warehouse": (R, W),
                        "Purchasing": (R, W)}.items():
    ROLE_CONFIGS[_role][RESOURCE_COSTING] = _costing
for _role, _period in {"Manager": (R, P, A), "Economist": (R, P), "Warehouse": (R,)}.items():
    ROLE_CONFIGS[_role][RESOURCE_PERIOD] = _period
ROLE_NAMES = ("Admin", *ROLE_CONFIGS)
# Resources only the Admin role holds (it holds every permission): settings write, backups.
ADMIN_ONLY = (RESOURCE_BACKUP,)


def role_grants(role: str) -> set[tuple[str, str]]:
    """(permission, view_menu) pairs granted to `role` by ROLE_CONFIGS, self-service included."""
    grants = set(SELF_SERVICE)
    for resource, actions in ROLE_CONFIGS.get(role, {}).items():
        grants.update((perm(a), resource) for a in actions)
    return grants


def _menu_grants(appbuilder, grants: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """menu_access for every menu entry whose view the role may read, and their categories."""
    readable = {vm for p, vm in grants if p == perm(ACTION_READ)}
    out: set[tuple[str, str]] = set()
    for category in appbuilder.menu.get_list():
        items = category.childs or [category]
        for item in items:
            view = getattr(item, "baseview", None)
            resource = getattr(view, "class_permission_name", None)
            if resource in readable or (view is None and item.name in readable):
                out.add(("menu_access", item.name))
                out.add(("menu_access", category.name))
    return out


def register_permissions(appbuilder) -> int:
    """Create every (permission, resource) pair the views use and give them all to Admin.

    FAB's own update (FAB_UPDATE_PERMS) deletes pairs a view lacks even when another view of the
    same resource uses them, so with shared resources we register them ourselves, only adding.
    """
    sm = appbuilder.sm
    admin = sm.find_role("Admin") or sm.add_role("Admin")
    have = {(pv.permission.name, pv.view_menu.name) for pv in admin.permissions}
    wanted: set[tuple[str, str]] = set()
    for view in appbuilder.baseviews:
        resource = view.class_permission_name
        wanted.update((p, resource) for p in view.base_permissions)
    for category in appbuilder.menu.get_list():
        wanted.add(("menu_access", category.name))
        wanted.update(("menu_access", item.name) for item in category.childs or [] if item.name != "-")
    admin_resources = (*ADMIN_ONLY, RESOURCE_SETTINGS)
    wanted.update((perm(a), r) for r in admin_resources for a in (ACTION_READ, ACTION_WRITE, ACTION_RUN))
    for pv_name, resource in sorted(wanted - have):
        sm.add_permission_role(admin, sm.add_permission_view_menu(pv_name, resource))
    return len(wanted)


def sync_roles(appbuilder) -> dict[str, int]:
    """Create the roles and make their permissions exactly what ROLE_CONFIGS says."""
    sm = appbuilder.sm
    if not sm.find_role(sm.auth_role_public):
        sm.add_role(sm.auth_role_public)
    report: dict[str, int] = {"Admin": register_permissions(appbuilder)}
    for role_name in ROLE_CONFIGS:
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = role_grants(role_name)
        wanted |= _menu_grants(appbuilder, wanted)
        wanted_pvs = {sm.add_permission_view_menu(p, vm) for p, vm in wanted}
        current = set(role.permissions)
        for pv in wanted_pvs - current:
            sm.add_permission_role(role, pv)
        for pv in current - wanted_pvs:
            sm.del_permission_role(role, pv)
        report[role_name] = len(wanted_pvs)
    return report


# flask.g key of the stamp's version this request reads under: (the request it belongs to, version).
_REQUEST_VERSION = "_fabrika_rights_version"
_PUBLIC = "public"  # the rights cache's key of the anonymous (public) role
_RIGHTS_CACHE_MAX = 1_000  # role sets kept per process; cleared whole when full


class FabrikaSecurityManager(SecurityManager):
    """FAB's security manager; the place for Fabrika's hooks on login and on permission checks.

    What FAB asks the database on every request, and what is left of it here: FAB loads the user,
    their roles and groups (three statements), and then one EXISTS per permission check (or, on the
    API, the public role and its permissions twice). Here the user comes with roles, groups and the
    security stamp's version in one statement, and the roles' (permission, view) pairs are kept per
    process for as long as that version holds (app/security_stamp.py says why a version and not a
    time limit): a page costs one statement of security, an API call two.
    """

    API_LOGIN_ENDPOINT = "SecurityApi.login"
    userdbmodelview = fab_user_view()  # Yes / No, blanks, roles as a list: like every register

    def __init__(self, appbuilder: Any) -> None:
        super().__init__(appbuilder)
        install_stamp()  # rights changed through any session bump the stamp

    def load_user(self, pk: Any) -> Any | None:
        """The active user with their roles, groups and the groups' roles, and the stamp's version:
        one statement, on every request (so deactivating a user or taking a role away holds at once)."""
        user_model, group_model = self.user_model, self.group_model
        row = self.session.execute(
            select(user_model, version_column()).where(user_model.id == int(pk))
            .options(joinedload(user_model.roles), joinedload(user_model.groups).joinedload(group_model.roles))
        ).unique().first()
        if row is None:
            return None
        self._hold_version(row[1])
        return row[0] if row[0].is_active else None

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids: list[int]) -> bool:
        """Whether one of the roles holds (permission_name, view_name), from the process's cache.

        FAB's `has_access` ends here once per check, with one EXISTS query each; a page's navbar
        checks every menu entry, so a page sent about 50 of them. Outside a request (CLI, jobs,
        shell) FAB's own query runs, so nothing is cached there at all.
        """
        pairs = self._request_permissions(role_ids)
        if pairs is None:
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        return (permission_name, view_name) in pairs

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB's check of the public role (every API call makes it, twice), from the process's cache."""
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        return (permission_name, view_name) in self._cached_rights(_PUBLIC, self._public_permission_pairs)

    def rights_version(self) -> int:
        """The security stamp's version this request reads under (read once per request, if the
        user's load has not read it already)."""
        current = request._get_current_object()
        held = g.get(_REQUEST_VERSION)
        if held is None or held[0] is not current:
            self._hold_version(read_version(self.session))
            held = g.get(_REQUEST_VERSION)
        return held[1]

    def _hold_version(self, version: int) -> None:
        """Keep the first version a request reads: the rights it then reads are as new or newer.

        Keyed on the request object, not on `g` alone: `g` lives in the app context, which tests and
        the bench keep pushed across many requests, so a version could outlive its request.
        """
        if not has_request_context():
            return
        current = request._get_current_object()
        held = g.get(_REQUEST_VERSION)
        if held is None or held[0] is not current:
            setattr(g, _REQUEST_VERSION, (current, int(version)))

    def _request_permissions(self, role_ids: list[int]) -> frozenset[tuple[str, str]] | None:
        """The (permission, view_menu) pairs of `role_ids` under this request's version, or None
        outside a request. The user id is not in the key because the answer depends on the role ids
        alone (JWT and API-key users reach here with theirs too)."""
        if not has_request_context():
            return None
        key = frozenset(role_ids)
        return self._cached_rights(key, lambda: self._role_permission_pairs(key))

    def _cached_rights(self, key: Any, load: Callable[[], frozenset[tuple[str, str]]]) -> frozenset[tuple[str, str]]:
        """The pairs kept under `key` when read under this request's version, else read now and kept.

        The version is read before the pairs, so pairs kept under version v are at least as new as
        v: a change committed in between is seen at the latest by the next request. Plain dict reads
        and writes: gunicorn's threads share the cache without a lock (a race reads the pairs twice).
        """
        version = self.rights_version()
        cache: dict[Any, tuple[int, frozenset[tuple[str, str]]]] = self.__dict__.setdefault("_rights_cache", {})
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        pairs = load()
        if len(cache) >= _RIGHTS_CACHE_MAX:
            cache.clear()
        cache[key] = (version, pairs)
        return pairs

    def _public_permission_pairs(self) -> frozenset[tuple[str, str]]:
        role = self.get_public_role()
        return self._role_permission_pairs(frozenset([role.id])) if role else frozenset()

    def _role_permission_pairs(self, role_ids: frozenset[int]) -> frozenset[tuple[str, str]]:
        """Every (permission name, view menu name) held by any of the roles: one query, no ORM objects."""
        pv, perm_model, view_menu = self.permissionview_model, self.permission_model, self.viewmenu_model
        rows = self.session.execute(
            select(perm_model.name, view_menu.name)
            .select_from(pv)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pv.id)
            .join(perm_model, perm_model.id == pv.permission_id)
            .join(view_menu, view_menu.id == pv.view_menu_id)
            .where(assoc_permissionview_role.c.role_id.in_(sorted(role_ids)))
        ).all()
        return frozenset((p, v) for p, v in rows)

    def create_jwt_manager(self, app):
        """FAB's JWT manager, answering a malformed token 401 (app/api/auth.py)."""
        from app.api.auth import install_jwt_errors

        jwt_manager = super().create_jwt_manager(app)
        install_jwt_errors(jwt_manager)
        return jwt_manager

    def create_limiter(self, flask_app):
        """FAB's Flask-Limiter, after registering the `fabrikadb://` storage it may be told to use."""
        from app import ratelimit  # noqa: F401  (importing registers the storage scheme)

        return super().create_limiter(flask_app)

    def auth_user_db(self, username, password):
        """FAB's password check; the sign-in limits learn whether it failed (app/sign_in_limits.py)."""
        user = super().auth_user_db(username, password)
        if has_request_context():
            from app.sign_in_limits import record_attempt

            record_attempt(user)
        return user

    def register_views(self) -> None:
        """FAB's security views; one sign-in limit over the form and the REST API's login together.

        FAB limits only the form, per address, and counts every attempt, so an office behind one
        address locked itself out at nine in the morning. Both endpoints share two failure counters
        instead (app/sign_in_limits.py): per client address and per user name. They replace FAB's own
        limit on the form (route limits override a blueprint's).
        """
        from app.fab_texts import install as install_fab_texts
        from app.permission_labels import install as install_permission_labels

        install_permission_labels()
        install_fab_texts()
        super().register_views()
        if self.is_auth_limited:
            self._limit_sign_in()

    def _limit_sign_in(self) -> None:
        from flask import current_app

        from app.sign_in_limits import DEFAULT_ADDRESS_LIMIT, sign_in_limits

        address_limit = current_app.config.get("AUTH_ADDRESS_FAILURE_LIMIT", DEFAULT_ADDRESS_LIMIT)
        limits = sign_in_limits(self.limiter, self.auth_rate_limit, address_limit)
        for endpoint in (f"{type(self.auth_view).__name__}.login", self.API_LOGIN_ENDPOINT):
            view = current_app.view_functions.get(endpoint)
            if view is None:
                continue
            for limit in limits:
                view = limit(view)
            current_app.view_functions[endpoint] = view
