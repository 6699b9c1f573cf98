"""Shared fixtures: one app per test session, a clean database per test, clients per role.

The schema and the role users are built once; each test then starts from that state: on SQLite by
copying a template file back (triggers make the audit log undeletable, so no DELETE-based reset),
on PostgreSQL (TEST_DATABASE_URL) by TRUNCATE of every non-security table with triggers off for
that one transaction (session_replication_role = replica, which needs the superuser the test cluster
runs as): the append-only tables refuse TRUNCATE otherwise.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from app.security import ROLE_NAMES
from tests.mail_server import smtp_server  # noqa: F401 - a fixture every mail test uses

ROLE_PASSWORD = "pw-Test-1"
_TMP = tempfile.mkdtemp(prefix="fabrika-test-")


def _test_config(url: str) -> type:
    from config import TestConfig, _engine_options

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = _engine_options(url)
        AUTO_CREATE_SCHEMA = True
        BACKUP_DIR = os.path.join(_TMP, "backups")

    return Cfg


@pytest.fixture(scope="session")
def _app_state():
    from flask_appbuilder import Model

    from app import create_app
    from app.extensions import db
    from app.security import sync_roles

    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        url = _worker_database(url)
    db_file = None
    if not url:
        db_file = os.path.join(_TMP, "test.db")
        url = "sqlite:///" + db_file
    os.environ.setdefault("FABRIKA_INSTANCE", os.path.join(_TMP, "instance"))
    app = create_app(_test_config(url))
    _isolate_requests(app)
    with app.app_context():
        if url.startswith("postgresql"):
            Model.metadata.drop_all(db.engine)
            Model.metadata.create_all(db.engine)
            app.appbuilder.sm.create_db()
        sync_roles(app.appbuilder)
        sm = app.appbuilder.sm
        for role in ROLE_NAMES:
            username = role.lower()
            if not sm.find_user(username=username):
                sm.add_user(username, role, "Test", f"{username}@test.example", sm.find_role(role), ROLE_PASSWORD)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    template = None
    if db_file:
        template = db_file + ".template"
        shutil.copy(db_file, template)
    yield app, db_file, template


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (created on first use)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _isolate_requests(app) -> None:
    """Forget the previous request's user at each request.

    Tests keep an app context pushed, and Flask reuses it for requests, so `g` (where Flask-Login
    and JWT cache the current user) would leak from one client's request into another's.
    """
    from flask import g

    def _forget_user() -> None:
        for key in ("_login_user", "_jwt_extended_jwt", "_jwt_extended_jwt_header", "_jwt_extended_jwt_user"):
            g.pop(key, None)

    # first of all hooks: the app's own (app/api/auth.py) may set the request's user in `g`
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_user)


def _reset(app, db_file, template) -> None:
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import text

    from app.extensions import db

    db.session.remove()
    if db_file:
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db_file + suffix):
                os.remove(db_file + suffix)
        shutil.copy(template, db_file)
        return
    # every table of the database, not only the models': some are made at run time (the knowledge base's
    # search table on PostgreSQL) and TRUNCATE ... CASCADE used to empty them through their foreign keys
    # the security stamp stays with the roles it versions (app/security_stamp.py)
    kept = ("alembic_version", "security_stamp")
    names = [n for n in sa_inspect(db.engine).get_table_names() if not n.startswith("ab_") and n not in kept]
    filled = text(" UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names))
    with db.engine.begin() as conn:
        # triggers off for this transaction: the append-only ones, and the foreign keys (triggers too), so
        # the tables a test filled are emptied by DELETE in any order. TRUNCATE of all ~150 tables cost
        # 0.3-0.5 s per test (a new file per table); a test fills a handful.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for (name,) in conn.execute(filled).all():
            conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text(  # ids from 1 again, as RESTART IDENTITY did; the users' and roles' stay
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL AND sequencename NOT LIKE 'ab\\_%'"))


@pytest.fixture
def app(_app_state):
    app, db_file, template = _app_state
    with app.app_context():
        _reset(app, db_file, template)
        yield app
        from app.extensions import db

        db.session.remove()


@pytest.fixture
def session(app):
    from app.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(app):
    """login_as("Warehouse") -> a test client signed in as that role's user."""

    def _login(role: str):
        c = app.test_client()
        resp = c.post("/login/", data={"username": role.lower(), "password": ROLE_PASSWORD})
        assert resp.status_code in (302, 303), f"login as {role} failed: {resp.status_code}"
        return c

    return _login


@pytest.fixture
def is_postgres(app) -> bool:
    from app.extensions import db

    return db.engine.dialect.name == "postgresql"
