"""Sign-in limits (issue 14, item 11): failed passwords are counted, per user and per client address.

The sign-in form and the REST API's login share two failure counters in the database: per client
address (AUTH_ADDRESS_FAILURE_LIMIT) and per user name (AUTH_RATE_LIMIT). A correct password is
never counted, so an office behind one address signing in at nine all get in; a browser that has
signed in as a user is counted apart from strangers guessing that user's password. A malformed or
forged JWT is a 401, like a missing one (not 422).
"""

from __future__ import annotations

import jwt
import pytest

from app.sign_in_limits import DEVICE_COOKIE
from tests.conftest import ROLE_PASSWORD
from tests.views.isolated_app import build_app, database_url, dispose

LIMIT = 10
ADDRESS_LIMIT = 15
OFFICE = "198.51.100.1"


@pytest.fixture(scope="module")
def limited_db(tmp_path_factory) -> str:
    return database_url(str(tmp_path_factory.mktemp("sign-in") / "sign_in.db"))


def _limited(url: str):
    return build_app(url, users=("Admin", "Sales"), AUTH_RATE_LIMITED=True,
                     AUTH_RATE_LIMIT=f"{LIMIT} per 60 second",
                     AUTH_ADDRESS_FAILURE_LIMIT=f"{ADDRESS_LIMIT} per 60 second")


@pytest.fixture(scope="module")
def limited_app(limited_db):
    flask_app = _limited(limited_db)
    yield flask_app
    dispose(flask_app)


@pytest.fixture
def web(app, limited_app):
    """The rate-limited app with fresh counters (`app` resets the suite's database on PostgreSQL)."""
    with limited_app.app_context():
        limited_app.appbuilder.sm.limiter.reset()
    return limited_app


def _form(client, user: str, password: str = "wrong", ip: str = OFFICE) -> int:
    """The sign-in form: 200 signed in, 401 wrong password, 429 refused by the limit."""
    resp = client.post("/login/", data={"username": user, "password": password}, environ_base={"REMOTE_ADDR": ip})
    if resp.status_code == 302:
        return 401 if "/login" in resp.headers["Location"] else 200
    return resp.status_code


def _api(client, user: str, password: str = "wrong", ip: str = OFFICE) -> int:
    resp = client.post("/api/v1/security/login", json={"username": user, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": ip})
    return resp.status_code


REFUSED = 429


def test_fifty_people_behind_one_address_all_sign_in(web):
    """Successful sign-ins are not counted: 50 in a row from one address, through the form and the API."""
    for n in range(50):
        sign_in = _form if n % 2 else _api
        assert sign_in(web.test_client(), "sales", ROLE_PASSWORD) == 200, f"sign-in {n + 1}"


def test_the_form_and_the_api_share_one_failure_count(web):
    client = web.test_client()
    for attempt in range(LIMIT):
        sign_in = _form if attempt % 2 else _api
        assert sign_in(client, "admin") == 401, f"attempt {attempt + 1}"
    assert _form(client, "admin") == REFUSED
    assert _api(client, "admin") == REFUSED
    assert _api(client, "admin", ROLE_PASSWORD) == REFUSED, "the right password waits too: no oracle"


def test_one_account_from_many_addresses_is_limited(web):
    client = web.test_client()
    for n in range(LIMIT):
        sign_in = _form if n % 2 else _api
        assert sign_in(client, "admin", ip=f"192.0.2.{n + 1}") == 401
    assert _api(client, "admin", ip="192.0.2.200") == REFUSED
    assert _form(client, "ADMIN", ip="192.0.2.201") == REFUSED, "user names are counted case-insensitively"
    assert _api(client, "sales", ROLE_PASSWORD, ip="192.0.2.202") == 200, "another account is not held up"


def test_one_address_trying_many_accounts_is_limited(web):
    client = web.test_client()
    for n in range(ADDRESS_LIMIT):
        sign_in = _form if n % 2 else _api
        assert sign_in(client, f"nobody{n}") == 401
    assert _form(client, "sales", ROLE_PASSWORD) == REFUSED
    assert _api(client, "sales", ROLE_PASSWORD, ip="198.51.100.2") == 200, "another address is not held up"


def test_a_correct_password_is_not_counted_and_does_not_add_to_failures(web):
    stranger = web.test_client()
    for n in range(LIMIT - 1):
        assert _api(stranger, "admin", ip=f"203.0.113.{n + 1}") == 401
    for _ in range(5):
        assert _form(web.test_client(), "admin", ROLE_PASSWORD) == 200, "failures elsewhere below the limit"
    assert _api(stranger, "admin", ip="203.0.113.99") == 401, "the tenth failure is still answered"
    assert _api(stranger, "admin", ip="203.0.113.100") == REFUSED


def test_a_known_browser_is_not_locked_out_by_guesses_elsewhere(web):
    owner = web.test_client()
    assert _form(owner, "admin", ROLE_PASSWORD) == 200
    assert owner.get_cookie(DEVICE_COOKIE) is not None
    owner.get("/logout/")
    stranger = web.test_client()
    for n in range(LIMIT):
        _api(stranger, "admin", ip=f"203.0.113.{n + 1}")
    assert _form(stranger, "admin", ROLE_PASSWORD, ip=OFFICE) == REFUSED, "a browser without the cookie waits"
    assert _form(owner, "admin", ROLE_PASSWORD) == 200, "the owner's browser gets in"
    forged = web.test_client()
    forged.set_cookie(DEVICE_COOKIE, "admin.forged.token")
    assert _form(forged, "admin", ROLE_PASSWORD, ip="203.0.113.77") == REFUSED, "a forged cookie counts as none"


def test_the_counters_are_shared_by_workers(web, limited_db):
    """A second app on the same database (another gunicorn worker) sees the failures the first counted."""
    client = web.test_client()
    for n in range(LIMIT):
        _api(client, "admin", ip=f"192.0.2.{n + 1}")
    other_worker = _limited(limited_db)
    try:
        assert _api(other_worker.test_client(), "admin", ip="192.0.2.99") == REFUSED
    finally:
        dispose(other_worker)


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", ("Вход временно заблокирован", "Слишком много неудачных попыток входа", "Повторите попытку через")),
    ("es", ("Inicio de sesión bloqueado temporalmente", "Demasiados intentos", "Vuelva a intentarlo dentro de")),
])
def test_the_refusal_page_is_translated_in_the_layout_and_says_when_to_retry(web, lang, words):
    client = web.test_client()
    client.get(f"/lang/{lang}")
    for _ in range(LIMIT):
        _form(client, "admin")
    resp = client.post("/login/", data={"username": "admin", "password": "wrong"}, environ_base={"REMOTE_ADDR": OFFICE})
    assert resp.status_code == REFUSED
    page = resp.get_data(as_text=True)
    for word in words:
        assert word in page
    wait = int(resp.headers["Retry-After"])
    assert 0 < wait <= 60
    assert 'class="navbar' in page and 'href="/login/"' in page, "inside the layout, with the way back"
    assert "Too Many Requests" not in page


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
