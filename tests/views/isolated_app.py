"""A separately configured app inside the test process (CSRF on, rate limiting on, HTTPS mode).

`create_app` binds the module-level AppBuilder singleton of app.extensions; a second call on the
same singleton re-registers every menu entry and breaks the first app's index URL. So the new app
gets an AppBuilder of its own for the duration of `create_app` and the suite's app keeps its own.

On SQLite the app gets a database file of its own (pass the same `db_file` to two apps to make
them share it); on PostgreSQL it uses the suite's database, whose per-test reset clears it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask_appbuilder import AppBuilder

from tests.conftest import ROLE_PASSWORD, _test_config, _worker_database


def database_url(db_file: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return _worker_database(url) if url else "sqlite:///" + db_file


def build_app(url: str, users: tuple[str, ...] = ("Admin",), **settings) -> Flask:
    """create_app with the test config plus `settings`, roles synced, one user per role in `users`."""
    import app as app_package
    from app import create_app
    from app.extensions import db
    from app.security import sync_roles

    config = type("IsolatedConfig", (_test_config(url),), dict(settings))
    suite_builder = app_package.appbuilder
    app_package.appbuilder = AppBuilder(update_perms=False)
    try:
        flask_app = create_app(config)
    finally:
        app_package.appbuilder = suite_builder
    with flask_app.app_context():
        sync_roles(flask_app.appbuilder)
        sm = flask_app.appbuilder.sm
        for role in users:
            name = role.lower()
            if not sm.find_user(username=name):
                sm.add_user(name, role, "Test", f"{name}@test.example", sm.find_role(role), ROLE_PASSWORD)
        db.session.commit()
        db.session.remove()
    return flask_app


def dispose(flask_app: Flask) -> None:
    """Close every connection the app opened (its engine and the rate-limit storage's)."""
    from app.extensions import db

    for limiter in flask_app.extensions.get("limiter", ()):
        storage = getattr(limiter, "_storage", None)
        if hasattr(storage, "dispose"):
            storage.dispose()
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def isolated_app(db_file: str, **settings) -> Iterator[Flask]:
    flask_app = build_app(database_url(db_file), **settings)
    try:
        yield flask_app
    finally:
        dispose(flask_app)
