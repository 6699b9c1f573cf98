"""Sign-in limits (issue 12, item 10): one count per user and one per client address, whichever way in.

The sign-in form and the REST API's login used to be counted apart (10 + 10 tries a minute from
one address), and never per account, so a password could be guessed from many addresses at once.
Both endpoints now share two counters in the database: per client address and per username (each
AUTH_RATE_LIMIT). A malformed or forged JWT is a 401, like a missing one (not 422).
"""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import ROLE_PASSWORD
from tests.views.isolated_app import build_app, database_url, dispose

LIMIT = 10


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory):
    url = database_url(str(tmp_path_factory.mktemp("sign-in") / "sign_in.db"))
    flask_app = build_app(url, users=("Admin", "Sales"), AUTH_RATE_LIMITED=True,
                          AUTH_RATE_LIMIT=f"{LIMIT} per 60 second")
    yield flask_app
    dispose(flask_app)


@pytest.fixture
def web(app, limited_app):
    """The rate-limited app with fresh counters (`app` resets the suite's database on PostgreSQL)."""
    with limited_app.app_context():
        limited_app.appbuilder.sm.limiter.reset()
    return limited_app


def _form(client, user: str, password: str = "wrong", ip: str = "198.51.100.1") -> int:
    resp = client.post("/login/", data={"username": user, "password": password}, environ_base={"REMOTE_ADDR": ip})
    return resp.status_code


def _api(client, user: str, password: str = "wrong", ip: str = "198.51.100.1") -> int:
    resp = client.post("/api/v1/security/login", json={"username": user, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": ip})
    return resp.status_code


REFUSED = 429


def test_the_form_and_the_api_share_one_count(web):
    client = web.test_client()
    for attempt in range(LIMIT):
        sign_in = _form if attempt % 2 else _api
        assert sign_in(client, "admin") != REFUSED, f"attempt {attempt + 1}"
    assert _form(client, "admin") == REFUSED
    assert _api(client, "admin") == REFUSED
    assert _api(client, "admin", ROLE_PASSWORD) == REFUSED, "the right password waits too"


def test_one_account_from_many_addresses_is_limited(web):
    client = web.test_client()
    for n in range(LIMIT):
        sign_in = _form if n % 2 else _api
        assert sign_in(client, "admin", ip=f"192.0.2.{n + 1}") != REFUSED
    assert _api(client, "admin", ip="192.0.2.200") == REFUSED
    assert _form(client, "ADMIN", ip="192.0.2.201") == REFUSED, "user names are counted case-insensitively"
    assert _api(client, "sales", ROLE_PASSWORD, ip="192.0.2.202") == 200, "another account is not held up"


def test_one_address_trying_many_accounts_is_limited(web):
    client = web.test_client()
    for n in range(LIMIT):
        sign_in = _form if n % 2 else _api
        assert sign_in(client, f"nobody{n}") != REFUSED
    assert _form(client, "sales", ROLE_PASSWORD) == REFUSED
    assert _api(client, "sales", ROLE_PASSWORD, ip="198.51.100.2") == 200, "another address is not held up"


def test_signing_in_within_the_limit_works(web):
    client = web.test_client()
    for _ in range(LIMIT - 2):
        _api(client, "admin")
    assert _form(client, "admin", ROLE_PASSWORD) == 302
    assert _api(client, "admin", ROLE_PASSWORD) == 200


# --- bad tokens ------------------------------------------------------------------------------------


def _forged(secret: str) -> str:
    return jwt.encode({"sub": "1", "type": "access", "fresh": False}, secret, algorithm="HS256")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30", None],
                         ids=["garbage", "three parts", "two parts", "forged"])
def test_a_malformed_or_forged_token_is_401(client, token):
    token = token or _forged("another-secret-of-at-least-32-bytes!")
    for method, path in (("GET", "/api/v1/currency/"), ("POST", "/api/v1/currency/"),
                         ("POST", "/api/v1/stock_document/1/post")):
        resp = client.open(path, method=method, json={}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, (method, path, resp.status_code, resp.get_json())
        assert resp.is_json


def test_a_refresh_token_is_not_an_access_token(client):
    login = client.post("/api/v1/security/login", json={"username": "admin", "password": ROLE_PASSWORD,
                                                        "provider": "db", "refresh": True})
    refresh = login.get_json()["refresh_token"]
    resp = client.get("/api/v1/currency/", headers={"Authorization": f"Bearer {refresh}"})
    assert resp.status_code == 401
