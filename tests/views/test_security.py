"""Security basics: sign-in rate limit shared by workers, headers, cookies, SECRET_KEY, redirects.

- Rate limit: two app instances on one database stand for two web workers; the 11th failed
  sign-in within the window is refused (429) whichever worker gets it. The `fabrikadb://` storage
  is also tested by itself: atomic increments under threads, window expiry, clear and reset.
- Headers: a CSP naming no other host, X-Frame-Options, X-Content-Type-Options, Referrer-Policy;
  with HTTPS=1 cookies are Secure, plain http is redirected and HSTS is sent.
- SECRET_KEY: from the environment, else generated once into the instance folder.
- Redirects after sign-in never leave the site, whatever `next` says.
- The language a user picks is remembered for their next session.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from urllib.parse import urljoin, urlsplit

import pytest
from flask_appbuilder.utils.base import is_safe_redirect_url
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from sqlalchemy import select, update

import config
from app.extensions import db
from app.models.audit import RateLimitHit, UserPreference
from app.ratelimit import DatabaseStorage
from app.web import is_safe_target
from tests.conftest import ROLE_PASSWORD
from tests.views.isolated_app import build_app, database_url, dispose

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIMIT = 10
WRONG = {"username": "admin", "password": "wrong-password"}
RIGHT = {"username": "admin", "password": ROLE_PASSWORD}


# --- sign-in rate limit -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """Two app instances, rate limited, sharing one database (a SQLite file or the PG test DB)."""
    url = database_url(str(tmp_path_factory.mktemp("ratelimit") / "shared.db"))
    settings = {"AUTH_RATE_LIMITED": True, "AUTH_RATE_LIMIT": f"{LIMIT} per 60 second"}
    workers = [build_app(url, **settings) for _ in range(2)]
    yield workers
    for worker in workers:
        dispose(worker)


@pytest.fixture
def workers(app, two_workers):
    """Fresh counters for each test (the PostgreSQL reset truncates them; SQLite needs this)."""
    for worker in two_workers:
        with worker.app_context():
            worker.appbuilder.sm.limiter.reset()
    return two_workers


def test_the_limit_uses_the_database_storage(workers):
    for worker in workers:
        assert worker.config["RATELIMIT_ENABLED"] is True
        assert isinstance(worker.appbuilder.sm.limiter.storage, DatabaseStorage)


def test_the_eleventh_failed_sign_in_is_refused_by_either_worker(workers):
    first, second = (w.test_client() for w in workers)
    for attempt in range(LIMIT):
        client = first if attempt % 2 == 0 else second
        resp = client.post("/login/", data=WRONG)
        assert resp.status_code == 302, f"attempt {attempt + 1}: {resp.status_code}"
    refused = first.post("/login/", data=WRONG)
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    # Each worker saw only half the attempts: only a shared count refuses these.
    assert second.post("/login/", data=WRONG).status_code == 429
    assert second.post("/login/", data=RIGHT).status_code == 429
    with workers[0].app_context():
        counts = dict(db.session.execute(select(RateLimitHit.key, RateLimitHit.count)).all())
        db.session.remove()
    # One failure counter per address and one per user name (tests/views/test_sign_in_limits.py);
    # refused attempts check no password, so they add to neither. The address has two windows (minute, hour).
    assert sorted(counts.values()) == [LIMIT, LIMIT, LIMIT], counts
    assert len([k for k in counts if "sign-in-address" in k]) == 2, counts


def test_signing_in_within_the_limit_works(workers):
    client = workers[1].test_client()
    for _ in range(3):
        client.post("/login/", data=WRONG)
    resp = client.post("/login/", data=RIGHT)
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        assert sess.get("_user_id")


def test_the_api_login_is_limited_too(workers):
    first, second = (w.test_client() for w in workers)
    body = {**WRONG, "provider": "db"}
    for attempt in range(LIMIT):
        client = first if attempt % 2 == 0 else second
        assert client.post("/api/v1/security/login", json=body).status_code == 401
    refused = second.post("/api/v1/security/login", json=body)
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.get_json()["message"]


def test_get_requests_are_not_counted(workers):
    client = workers[0].test_client()
    for _ in range(LIMIT + 2):
        assert client.get("/login/").status_code == 200


# --- the storage by itself ----------------------------------------------------------------------


@pytest.fixture
def storage(app, tmp_path):
    """A fabrikadb:// storage on the suite's database (file-based, as in production)."""
    from flask_appbuilder import Model

    url = str(db.engine.url.render_as_string(hide_password=False))
    if url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path / "limits.db")
        from sqlalchemy import create_engine

        engine = create_engine(url)
        Model.metadata.tables["rate_limit_hit"].create(engine)
        engine.dispose()
    db.session.remove()
    store = storage_from_string("fabrikadb://", url=url)
    yield store
    store.dispose()


def test_the_scheme_is_registered(storage):
    assert isinstance(storage, DatabaseStorage)
    assert storage.check() is True


def test_concurrent_increments_are_all_counted(storage):
    threads, hits = 8, 25
    seen: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(hits):
                value = storage.incr("k", 60)
                with lock:
                    seen.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert sorted(seen) == list(range(1, threads * hits + 1))
    assert storage.get("k") == threads * hits


def test_an_expired_window_starts_again_from_one(storage):
    assert storage.incr("k", 60) == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.get_expiry("k") > time.time()
    with storage.engine.begin() as conn:  # the window ends: move it into the past
        conn.execute(update(RateLimitHit).values(expires_at=time.time() - 1))
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get("k") == 1


def test_expired_windows_of_other_keys_are_purged(storage):
    storage.incr("old", 60)
    with storage.engine.begin() as conn:
        conn.execute(update(RateLimitHit).values(expires_at=time.time() - 1))
    storage.incr("new", 60)
    with storage.engine.connect() as conn:
        assert conn.execute(select(RateLimitHit.key)).scalars().all() == ["new"]


def test_clear_and_reset(storage):
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0


def test_an_in_memory_database_is_refused(app):
    store = storage_from_string("fabrikadb://", url="sqlite://")
    with pytest.raises(ConfigurationError):
        store.incr("k", 60)


# --- headers and cookies ------------------------------------------------------------------------

ALLOWED_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:"}


def _csp(resp) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def _assert_secure_headers(resp) -> None:
    csp = _csp(resp)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'self'"]
    sources = {s for values in csp.values() for s in values if not s.startswith("'nonce-")}
    assert sources <= ALLOWED_SOURCES, f"CSP names another host: {sources - ALLOWED_SOURCES}"
    assert "'unsafe-inline'" not in csp["script-src"]  # inline scripts need the nonce (tests/views/test_csp.py)
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def _other_hosts(html: str) -> set[str]:
    urls = re.findall(r"""(?:src|href|action)\s*=\s*["']([^"']+)["']""", html)
    hosts = {urlsplit(urljoin("http://localhost/", u)).hostname for u in urls}
    return {h for h in hosts if h and h != "localhost"}


@pytest.mark.parametrize("path", ["/login/", "/", "/currencyview/list/", "/currencyview/add", "/swagger/v1"])
def test_pages_send_the_security_headers_and_load_nothing_from_other_hosts(client, login_as, path):
    resp = (client if path == "/login/" else login_as("Admin")).get(path)
    assert resp.status_code == 200
    _assert_secure_headers(resp)
    assert "Strict-Transport-Security" not in resp.headers  # plain http in this configuration
    assert _other_hosts(resp.text) == set()


def test_errors_and_api_responses_send_the_headers_too(login_as):
    client = login_as("Sales")
    _assert_secure_headers(client.get("/companyview/list/"))  # 403
    _assert_secure_headers(client.get("/no-such-page"))  # 404
    _assert_secure_headers(client.get("/api/v1/currency/"))


def test_session_cookie_is_http_only_and_same_site(client):
    resp = client.post("/login/", data=RIGHT)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # HTTPS is off here; see the HTTPS app below


@pytest.mark.parametrize("env, expected", [({"HTTPS": "1"}, "True True"), ({}, "False False")])
def test_https_setting_comes_from_the_environment(env, expected):
    base = {k: v for k, v in os.environ.items() if k != "HTTPS"}
    code = "import config; c = config.Config; print(c.SESSION_COOKIE_SECURE, c.REMEMBER_COOKIE_SECURE)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected


@pytest.fixture(scope="module")
def https_app(tmp_path_factory):
    """An app deployed with HTTPS=1 and no SECRET_KEY given: it must generate and keep one."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SECRET_KEY", raising=False)
        mp.setattr(config, "INSTANCE_DIR", str(instance))
        flask_app = build_app(
            database_url(str(instance / "https.db")),
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            SECRET_KEY=None,
        )
    yield flask_app, instance
    dispose(flask_app)


def test_https_mode_redirects_plain_http(app, https_app):
    flask_app, _ = https_app
    resp = flask_app.test_client().get("/login/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("https://localhost/login/")


def test_https_mode_sends_secure_cookies_and_hsts(app, https_app):
    flask_app, _ = https_app
    client = flask_app.test_client()
    page = client.get("/login/", base_url="https://localhost")
    assert page.status_code == 200
    _assert_secure_headers(page)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    resp = client.post("/login/", data=RIGHT, base_url="https://localhost")
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_app_without_secret_key_uses_the_generated_one(app, https_app):
    flask_app, instance = https_app
    kept = (instance / "secret_key").read_text().strip()
    assert flask_app.config["SECRET_KEY"] == kept
    assert re.fullmatch(r"[0-9a-f]{64}", kept)


# --- SECRET_KEY ---------------------------------------------------------------------------------


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_secret_key_from_the_environment_wins(instance_dir, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.secret_key() == "from-the-environment"
    assert not (instance_dir / "secret_key").exists()


def test_secret_key_is_generated_once_and_kept_private(instance_dir, tmp_path, monkeypatch):
    key = config.secret_key()
    path = instance_dir / "secret_key"
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.secret_key() == key  # kept across restarts
    monkeypatch.setattr(config, "INSTANCE_DIR", str(tmp_path / "another"))
    assert config.secret_key() != key  # never a shared default


def test_workers_starting_at_once_share_one_key(instance_dir):
    """The key file appears whole (written aside, then linked): racing workers read the same key."""
    import threading

    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(config.secret_key())

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and keys[0] != ""


# --- redirects after sign-in --------------------------------------------------------------------

EVIL_TARGETS = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "http://localhost.evil.example/",
    " //evil.example",
]


def _lands_on_this_site(location: str) -> bool:
    """Where a browser would go from /login/: it trims spaces and controls at the ends, drops
    tabs and newlines, and reads backslashes as slashes."""
    location = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21))))
    url = urljoin("http://localhost/login/", location.replace("\\", "/"))
    return urlsplit(url).hostname == "localhost"


def test_fab_alone_lets_a_backslash_through(app):
    """Why app/web.py keeps its own guard: FAB 5.3 accepts `/\\evil.example`."""
    with app.test_request_context():
        assert is_safe_redirect_url("/\\evil.example")
        assert not is_safe_redirect_url("//evil.example")


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_sign_in_never_redirects_off_site(app, target):
    client = app.test_client()
    page = client.get("/login/", query_string={"next": target})
    assert page.status_code == 200
    resp = client.post("/login/", query_string={"next": target}, data=RIGHT)
    assert resp.status_code == 302
    assert _lands_on_this_site(resp.headers["Location"]), resp.headers["Location"]
    with client.session_transaction() as sess:
        assert sess.get("_user_id"), "the sign-in itself must still succeed"
    again = client.get("/login/", query_string={"next": target})  # already signed in: FAB redirects
    assert again.status_code == 302
    assert _lands_on_this_site(again.headers["Location"]), again.headers["Location"]


def test_a_local_next_is_followed(app):
    resp = app.test_client().post("/login/", query_string={"next": "/currencyview/list/"}, data=RIGHT)
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == "/currencyview/list/"


@pytest.mark.parametrize("target", EVIL_TARGETS + ["", "currencyview/list/", "javascript:alert(1)"])
def test_unsafe_targets_are_recognised(target):
    assert not is_safe_target(target, "localhost")


@pytest.mark.parametrize(
    "target", ["/", "/currencyview/list/?_flt_0_code=EUR", "http://localhost/x", "https://localhost/"]
)
def test_safe_targets_are_recognised(target):
    assert is_safe_target(target, "localhost")


def test_hosts_listed_in_fab_safe_redirect_hosts_are_allowed():
    assert is_safe_target("https://erp.example.com/x", "localhost", ["*.example.com"])
    assert not is_safe_target("https://evil.example/", "localhost", ["*.example.com"])
    assert not is_safe_target("//erp.example.com/x", "localhost", ["*.example.com"])


# --- remembered language ------------------------------------------------------------------------


def _preference(app, username: str) -> str | None:
    user_id = app.appbuilder.sm.find_user(username=username).id
    db.session.expire_all()
    return db.session.scalar(select(UserPreference.locale).where(UserPreference.user_id == user_id))


def test_the_chosen_language_is_remembered_for_the_next_session(app, login_as):
    first = login_as("Sales")
    assert first.get("/lang/ru").status_code == 302
    assert _preference(app, "sales") == "ru"
    second = login_as("Sales")
    with second.session_transaction() as sess:
        assert sess["locale"] == "ru"


def test_an_unknown_language_or_an_anonymous_choice_is_not_stored(app, login_as, client):
    login_as("Sales").get("/lang/xx")
    client.get("/lang/es")
    assert _preference(app, "sales") is None
    assert db.session.scalar(select(UserPreference.id)) is None

