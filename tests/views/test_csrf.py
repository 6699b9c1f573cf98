"""CSRF protection as deployed (WTF_CSRF_ENABLED=True), on an app and database of its own.

A form POST without the token is refused with 400 and changes nothing; the token a page carries
makes the same POST work. Deleting is a POST with the token: a GET or a token-less POST deletes
nothing. The REST API (JWT, no cookies) is exempt, as FAB declares.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.core import Currency
from tests.conftest import ROLE_PASSWORD
from tests.views.isolated_app import isolated_app

CREDENTIALS = {"username": "admin", "password": ROLE_PASSWORD}
CURRENCY = {"code": "XTS", "name": "Test money", "symbol": "T", "decimals": "2", "active": "y"}


@pytest.fixture(scope="module")
def csrf_app(tmp_path_factory):
    with isolated_app(str(tmp_path_factory.mktemp("csrf") / "csrf.db"), WTF_CSRF_ENABLED=True) as flask_app:
        yield flask_app


@pytest.fixture
def web(app, csrf_app):
    """A browser-like client of the CSRF-protected app (`app` gives each test a clean database)."""
    with csrf_app.app_context():
        db.session.execute(Currency.__table__.delete())  # SQLite file shared by this module's tests
        db.session.commit()
    return csrf_app.test_client()


def _token(page) -> str:
    assert page.status_code == 200
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text
    )
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _sign_in(client) -> None:
    token = _token(client.get("/login/"))
    resp = client.post("/login/", data={**CREDENTIALS, "csrf_token": token})
    assert resp.status_code == 302


def _currency_ids(csrf_app) -> list[int]:
    with csrf_app.app_context():
        ids = db.session.scalars(select(Currency.id)).all()
        db.session.remove()
    return list(ids)


def test_signing_in_without_the_token_is_refused(web):
    resp = web.post("/login/", data=CREDENTIALS)
    assert resp.status_code == 400
    with web.session_transaction() as sess:
        assert not sess.get("_user_id")


def test_signing_in_with_the_token_from_the_page_works(web):
    _sign_in(web)
    with web.session_transaction() as sess:
        assert sess.get("_user_id")


def test_a_form_post_needs_the_token(web, csrf_app):
    _sign_in(web)
    assert web.post("/currencyview/add", data=CURRENCY).status_code == 400
    assert web.post("/currencyview/add", data={**CURRENCY, "csrf_token": "forged"}).status_code == 400
    assert _currency_ids(csrf_app) == []
    token = _token(web.get("/currencyview/add"))
    assert web.post("/currencyview/add", data={**CURRENCY, "csrf_token": token}).status_code == 302
    assert len(_currency_ids(csrf_app)) == 1


def test_a_token_from_another_session_is_refused(web, csrf_app):
    other = csrf_app.test_client()
    _sign_in(other)
    foreign = _token(other.get("/currencyview/add"))
    _sign_in(web)
    assert web.post("/currencyview/add", data={**CURRENCY, "csrf_token": foreign}).status_code == 400
    assert _currency_ids(csrf_app) == []


def test_delete_is_a_post_with_the_token(web, csrf_app):
    _sign_in(web)
    token = _token(web.get("/currencyview/add"))
    web.post("/currencyview/add", data={**CURRENCY, "csrf_token": token})
    (pk,) = _currency_ids(csrf_app)

    web.get(f"/currencyview/delete/{pk}")
    assert _currency_ids(csrf_app) == [pk], "a GET must not delete"
    assert web.post(f"/currencyview/delete/{pk}").status_code == 400
    assert _currency_ids(csrf_app) == [pk], "a POST without the token must not delete"

    token = _token(web.get("/currencyview/list/"))  # the list's delete form carries it
    resp = web.post(f"/currencyview/delete/{pk}", data={"csrf_token": token})
    assert resp.status_code == 302
    assert _currency_ids(csrf_app) == []


def test_the_rest_api_is_exempt_and_uses_its_token(web):
    login = web.post("/api/v1/security/login", json={**CREDENTIALS, "provider": "db"})
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    created = web.post("/api/v1/currency/", json={"code": "XAP", "name": "API money"}, headers=headers)
    assert created.status_code == 201
