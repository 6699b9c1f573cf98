"""The REST API with a browser's session cookie needs the CSRF token too (issue 12, item 5).

FAB exempts its API from CSRF because it expects bearer tokens, yet every Fabrika API also accepts
the session cookie (allow_browser_login): without a check here, a form on another site posting to
`/api/v1/stock_document/<id>/post` would post the document with the signed-in storekeeper's cookie.
The API accepts a bearer token, or the session cookie with the session's CSRF token (the X-CSRFToken
header the app's pages send); nothing else. These run on an app with CSRF enabled, as deployed.
"""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models.stock import StockDocument
from tests import factories as f
from tests.conftest import ROLE_PASSWORD
from tests.views.isolated_app import build_app, database_url, dispose


@pytest.fixture(scope="module")
def csrf_app(tmp_path_factory):
    url = database_url(str(tmp_path_factory.mktemp("api-csrf") / "api_csrf.db"))
    flask_app = build_app(url, users=("Admin", "Warehouse"), WTF_CSRF_ENABLED=True)
    yield flask_app
    dispose(flask_app)


@pytest.fixture
def draft(app, csrf_app) -> int:
    """A new draft receipt in the CSRF app's database (on PostgreSQL `app` resets it first)."""
    with csrf_app.app_context():
        wh = f.warehouse(f"W{_next()}")
        doc = f.receipt(wh, [(f.item(f"CSRF-{_next()}"), 3, "10")], post=False)
        pk = doc.id
        db.session.remove()
    return pk


_COUNTER = iter(range(1, 10_000))


def _next() -> int:
    return next(_COUNTER)


def _state(csrf_app, pk: int) -> tuple[str, str]:
    with csrf_app.app_context():
        doc = db.session.get(StockDocument, pk)
        state = (doc.state, doc.posted_by)
        db.session.remove()
    return state


def _page_token(client) -> str:
    page = client.get("/resetmypassword/form" if _signed_in(client) else "/login/")  # pages every role has
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _signed_in(client) -> bool:
    with client.session_transaction() as sess:
        return bool(sess.get("_user_id"))


def _browser(csrf_app, role: str = "Warehouse"):
    """A client signed in through the login form: it holds the session cookie, as a browser would."""
    client = csrf_app.test_client()
    resp = client.post("/login/", data={"username": role.lower(), "password": ROLE_PASSWORD,
                                        "csrf_token": _page_token(client)})
    assert resp.status_code == 302
    return client


def _bearer(csrf_app, role: str) -> dict:
    resp = csrf_app.test_client().post("/api/v1/security/login", json={
        "username": role.lower(), "password": ROLE_PASSWORD, "provider": "db"})
    assert resp.status_code == 200
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_a_cross_site_form_post_with_only_the_cookie_is_refused(csrf_app, draft):
    browser = _browser(csrf_app)
    resp = browser.post(f"/api/v1/stock_document/{draft}/post", data={"x": "1"},
                        headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    assert resp.is_json and resp.get_json()["message"]
    assert _state(csrf_app, draft) == ("draft", "")


@pytest.mark.parametrize("headers", [{}, {"X-CSRFToken": "forged"}], ids=["no token", "forged token"])
def test_a_cookie_write_without_a_valid_token_is_refused(csrf_app, draft, headers):
    browser = _browser(csrf_app)
    assert browser.post(f"/api/v1/stock_document/{draft}/post", json={}, headers=headers).status_code == 403
    assert browser.post("/api/v1/currency/", json={"code": "XCS", "name": "x"}, headers=headers).status_code == 403
    assert browser.delete(f"/api/v1/warehouse/{draft}", headers=headers).status_code == 403
    assert _state(csrf_app, draft) == ("draft", "")


def test_a_token_from_another_session_is_refused(csrf_app, draft):
    other = _browser(csrf_app, "Admin")
    browser = _browser(csrf_app)
    resp = browser.post(f"/api/v1/stock_document/{draft}/post", json={},
                        headers={"X-CSRFToken": _page_token(other)})
    assert resp.status_code == 403
    assert _state(csrf_app, draft) == ("draft", "")


def test_the_cookie_with_the_pages_token_works(csrf_app, draft):
    browser = _browser(csrf_app)
    resp = browser.post(f"/api/v1/stock_document/{draft}/post", json={},
                        headers={"X-CSRFToken": _page_token(browser)})
    assert resp.status_code == 200, resp.get_json()
    assert _state(csrf_app, draft) == ("posted", "warehouse")


def test_reads_with_the_cookie_need_no_token(csrf_app, draft):
    browser = _browser(csrf_app)
    assert browser.get(f"/api/v1/stock_document/{draft}").status_code == 200


def test_a_bearer_token_needs_no_csrf_token(csrf_app, draft):
    resp = csrf_app.test_client().post(f"/api/v1/stock_document/{draft}/post", headers=_bearer(csrf_app, "Warehouse"))
    assert resp.status_code == 200
    assert _state(csrf_app, draft) == ("posted", "warehouse")


def test_with_a_bearer_token_the_token_alone_says_who_acts(csrf_app, draft):
    """A browser signed in as Admin sending a Warehouse token acts as Warehouse, not as the cookie's user."""
    browser = _browser(csrf_app, "Admin")
    resp = browser.post(f"/api/v1/stock_document/{draft}/post", headers=_bearer(csrf_app, "Warehouse"))
    assert resp.status_code == 200
    assert _state(csrf_app, draft) == ("posted", "warehouse")


def test_a_bad_bearer_token_is_not_rescued_by_the_cookie(csrf_app, draft):
    browser = _browser(csrf_app, "Admin")
    resp = browser.post(f"/api/v1/stock_document/{draft}/post", headers={"Authorization": "Bearer not-a-jwt"})
    assert resp.status_code == 401
    assert _state(csrf_app, draft) == ("draft", "")


def test_the_api_login_needs_no_csrf_token(csrf_app):
    browser = _browser(csrf_app)
    resp = browser.post("/api/v1/security/login", json={"username": "admin", "password": ROLE_PASSWORD,
                                                        "provider": "db"})
    assert resp.status_code == 200


def test_swagger_try_it_out_sends_the_sessions_csrf_token(csrf_app):
    browser = _browser(csrf_app, "Admin")
    page = browser.get("/swagger/v1")
    assert page.status_code == 200
    token = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
    assert "requestInterceptor" in page.text
    resp = browser.post("/api/v1/currency/", json={"code": "XSW", "name": "Swagger"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 201
