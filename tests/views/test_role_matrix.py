"""The role x page matrix, generated from the registered views and ROLE_CONFIGS.

For every role and every registered view with a list page, the expected status follows from the
permission table alone: Admin opens everything; another role opens a list page (200) exactly when
ROLE_CONFIGS (app.security.role_grants) gives it the permission FAB checks for `list` on the view's
class_permission_name, else 403; FAB's own security pages are Admin-only. Every menu entry a role
sees opens for it, and every REST API gives GET to readers only, writes to writers only and
nothing without a token. A view or API added later is covered without touching this file.
"""

from __future__ import annotations

import pytest
from flask import g, url_for
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_login import login_user

from app.permissions import ACTION_WRITE, perm
from app.security import ROLE_NAMES, role_grants
from tests.conftest import ROLE_PASSWORD


def _is_fab_view(view) -> bool:
    return type(view).__module__.startswith("flask_appbuilder.")


def _permission(view, method: str) -> str:
    """The permission FAB's has_access / protect checks for `method` of `view`."""
    mapping = getattr(view, "method_permission_name", None) or {}
    return PERMISSION_PREFIX + mapping.get(method, method)


def _may(role: str, view, method: str) -> bool:
    if role == "Admin":
        return True
    if _is_fab_view(view):
        return False
    return (_permission(view, method), view.class_permission_name) in role_grants(role)


def _list_pages(app) -> list[tuple[object, str]]:
    """(view, list URL) for every registered view that has a list endpoint."""
    pages = []
    with app.test_request_context():
        for view in app.appbuilder.baseviews:
            endpoint = f"{view.endpoint}.list"
            if endpoint in app.view_functions:
                pages.append((view, url_for(endpoint)))
    return pages


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_list_pages_open_exactly_for_roles_that_may_read_them(app, login_as, role):
    client = login_as(role)
    pages = _list_pages(app)
    assert any(not _is_fab_view(v) for v, _ in pages) and any(_is_fab_view(v) for v, _ in pages)
    wrong = []
    for view, url in pages:
        expected = 200 if _may(role, view, "list") else 403
        status = client.get(url).status_code
        if status != expected:
            wrong.append(f"{url} ({type(view).__name__}, {view.class_permission_name}): {status}, expected {expected}")
    assert wrong == []


def test_the_matrix_is_not_trivial(app):
    """Guard against a table that grants all or nothing: some role is refused, some page opens."""
    pages = [(v, u) for v, u in _list_pages(app) if not _is_fab_view(v)]
    outcomes = {(role, _may(role, view, "list")) for role in ROLE_NAMES if role != "Admin" for view, _ in pages}
    assert {ok for _, ok in outcomes} == {True, False}


def _visible_menu(app, role: str) -> list[tuple[str, str]]:
    """(name, url) of the menu entries FAB renders for the role's user."""
    user = app.appbuilder.sm.find_user(username=role.lower())
    with app.test_request_context():
        login_user(user)
        g.user = user
        data = app.appbuilder.menu.get_data()
    entries = []
    stack = list(data)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.get("childs") or [])
            if item.get("url"):
                entries.append((item["name"], item["url"]))
    return entries


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_menu_entry_a_role_sees_opens(app, login_as, role):
    entries = _visible_menu(app, role)
    assert any(name == "My activity" for name, _ in entries), "every user has 'My activity'"
    client = login_as(role)
    wrong = [f"{name} {url}: {status}" for name, url in entries if (status := client.get(url).status_code) != 200]
    assert wrong == []


@pytest.mark.parametrize("role", [r for r in ROLE_NAMES if r != "Admin"])
def test_a_role_sees_exactly_the_menu_entries_it_may_open(app, role):
    """The other direction: an entry is hidden exactly when its page would refuse the role."""
    views = _menu_views(app)
    visible = {name for name, _ in _visible_menu(app, role)}
    expected = {name for name, view in views.items() if _may(role, view, view.default_view)}
    assert visible & set(views) == expected


def _menu_views(app) -> dict[str, object]:
    """Menu entry name -> the view it opens (links without a view are left out)."""
    out = {}
    for category in app.appbuilder.menu.get_list():
        for item in category.childs or [category]:
            if getattr(item, "baseview", None) is not None:
                out[item.name] = item.baseview
    return out


# --- REST API -----------------------------------------------------------------------------------


def _token(client, role: str) -> dict[str, str]:
    resp = client.post(
        "/api/v1/security/login",
        json={"username": role.lower(), "password": ROLE_PASSWORD, "provider": "db", "refresh": False},
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _model_apis(app) -> list[ModelRestApi]:
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelRestApi) and not _is_fab_view(v)]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_reads_follow_the_permission_table(app, client, role):
    headers = _token(client, role)
    apis = _model_apis(app)
    assert apis
    wrong = []
    for api in apis:
        url = f"/api/v1/{api.resource_name}/"
        expected = 200 if _may(role, api, "get_list") else 403
        if (status := client.get(url, headers=headers).status_code) != expected:
            wrong.append(f"GET {url}: {status}, expected {expected}")
    assert wrong == []


def test_currency_api_read_write_and_anonymous(app, client):
    readers = [r for r in ROLE_NAMES if _may(r, _currency_api(app), "get_list")]
    non_writers = [r for r in readers if not _may(r, _currency_api(app), "post")]
    writers = [r for r in ROLE_NAMES if r != "Admin" and _may(r, _currency_api(app), "post")]
    assert non_writers and writers, "the table should have both kinds of role for this test"
    reader = _token(client, non_writers[0])
    listed = client.get("/api/v1/currency/", headers=reader)
    assert listed.status_code == 200 and "count" in listed.get_json()
    body = {"code": "XTS", "name": "Test money"}
    assert client.post("/api/v1/currency/", json=body, headers=reader).status_code == 403
    assert client.post("/api/v1/currency/", json=body, headers=_token(client, writers[0])).status_code == 201
    assert client.get("/api/v1/currency/").status_code == 401
    assert client.post("/api/v1/currency/", json=body).status_code == 401


def _currency_api(app) -> ModelRestApi:
    return next(a for a in _model_apis(app) if a.resource_name == "currency")


@pytest.mark.parametrize("role", [r for r in ROLE_NAMES if r != "Admin"])
def test_api_writes_follow_the_permission_table(app, client, role):
    """POST with an empty body: 403 before validation for non-writers, 400 (validation) for writers."""
    headers = _token(client, role)
    wrong = []
    for api in _model_apis(app):
        if f"{api.endpoint}.post" not in app.view_functions:
            continue  # a read-only API
        url = f"/api/v1/{api.resource_name}/"
        may_write = _may(role, api, "post")
        assert may_write == ((perm(ACTION_WRITE), api.class_permission_name) in role_grants(role))
        status = client.post(url, json={}, headers=headers).status_code
        if (status == 403) == may_write:
            wrong.append(f"POST {url}: {status}, {'may' if may_write else 'may not'} write")
    assert wrong == []
