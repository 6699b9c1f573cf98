"""Configuration, read from the environment.

SQLite in the instance folder by default (the embedded default for `make run`); DATABASE_URL selects
PostgreSQL in production. SECRET_KEY comes from the environment, or from a generated file in the
instance folder so that the embedded default never ships a known key.
"""

from __future__ import annotations

import os
import secrets
import tempfile

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("FABRIKA_INSTANCE", os.path.join(BASE_DIR, "instance"))


def _secret_key() -> str:
    """Return SECRET_KEY from the environment or a generated one kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    path = os.path.join(INSTANCE_DIR, "secret_key")
    if not os.path.exists(path):
        # write a temp file, then link it into place: two workers starting at once both end up
        # reading the one key that won, never an empty or half-written file
        fd, tmp = tempfile.mkstemp(dir=INSTANCE_DIR, prefix=".secret_key.")  # mode 0600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as fh:
        return fh.read().strip()


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    options: dict = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    if os.environ.get("FABRIKA_PGBOUNCER") == "1":
        # pgbouncer in transaction pooling mode (before 1.21) cannot keep server-side prepared
        # statements: a later transaction may land on another server connection
        options["connect_args"] = {"prepare_threshold": None}
    return options


class Config:
    APP_NAME = "Fabrika"
    APP_THEME = ""
    SECRET_KEY = None  # filled lazily by create_app via _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "fabrika.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)

    # one JSON line per request (app/ops.py): user, path, status, duration, SQL statements
    JSON_LOGS = os.environ.get("FABRIKA_JSON_LOGS") == "1"

    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_RATE_LIMITED = True
    # Failed passwords only (app/sign_in_limits.py): per user name, and per client address.
    AUTH_RATE_LIMIT = "10 per 60 second"
    AUTH_ADDRESS_FAILURE_LIMIT = "30 per 1 minute;200 per 1 hour"
    # FAB defaults RATELIMIT_ENABLED to False, which silently switches AUTH_RATE_LIMITED off.
    RATELIMIT_ENABLED = True
    # The app's database (app/ratelimit.py), so every web worker counts the same attempts.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "fabrikadb://")
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a refused sign-in
    FAB_ADD_SECURITY_VIEWS = True
    FAB_API_SWAGGER_UI = True
    FAB_UPDATE_PERMS = False
    # the schema comes from the migrations only (FAB would otherwise create its tables first)
    FAB_CREATE_DB = False
    FAB_ROLES_MAPPING: dict = {}

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "en": {"flag": "gb", "name": "English"},
        "ru": {"flag": "ru", "name": "Русский"},
        "es": {"flag": "es", "name": "Español"},
    }

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "0") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    # behind a reverse proxy: how many proxies set X-Forwarded-For (0 = none, trust no header)
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    SCHEDULER_ENABLED = os.environ.get("SCHEDULER_ENABLED", "0") == "1"
    # app/jobs/claims.py: how often a scheduler process claims due fires, how long a silent process
    # keeps its claim before another takes the fire over, how many jobs one process runs at once
    SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "5"))
    SCHEDULER_LEASE_SECONDS = float(os.environ.get("SCHEDULER_LEASE_SECONDS", "120"))
    SCHEDULER_WORKERS = int(os.environ.get("SCHEDULER_WORKERS", "4"))
    BACKUP_DIR = os.environ.get("BACKUP_DIR", os.path.join(INSTANCE_DIR, "backups"))
    BACKUP_KEEP = 14
    MENU_CACHE_SECONDS = 60  # the navbar menu kept per user, roles and language (app/views/menu_cache.py)
    # the SMTP server is a company setting (Settings > Company); SMTP_PASSWORD here overrides its password


class DevConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    IMPORTS_IN_BACKGROUND = False  # checks and imports run inline (app.services.imports.background)
    WTF_CSRF_ENABLED = False
    AUTH_RATE_LIMITED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    SECRET_KEY = "test-only-not-secret"
    # a cheap hash keeps the many test logins fast; production keeps FAB's scrypt default
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    FAB_UPDATE_PERMS = False
    MENU_CACHE_SECONDS = 0  # tests edit roles and reuse user ids; tests/views/test_menu_cache.py turns it on
    # no WAL checkpoint thread: tests copy a template file over the database between tests (app/database.py)
    SQLITE_CHECKPOINT_SECONDS = 0


def secret_key() -> str:
    return _secret_key()
