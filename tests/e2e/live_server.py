"""The live app the browser tests drive: `python -m tests.e2e.live_server DB_FILE` prints `PORT n`.

It runs in a process of its own because create_app binds the module-level AppBuilder singleton: a
second app in the pytest process (next to the `app` fixture's) would register every view and menu
entry twice. The app is the real one with CSRF on, on its own SQLite file: schema, roles, one user
per role (password tests.conftest.ROLE_PASSWORD) and the demo data, served by werkzeug's server.
"""

from __future__ import annotations

import os
import sys

from flask import Flask
from werkzeug.serving import make_server

ROLE_PASSWORD = "pw-Test-1"  # the same as tests/conftest.py, so a role's login is the same everywhere


def build_app(db_file: str) -> Flask:
    from config import TestConfig, _engine_options

    url = "sqlite:///" + db_file

    class LiveConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = _engine_options(url)
        AUTO_CREATE_SCHEMA = True
        WTF_CSRF_ENABLED = True
        TESTING = False  # errors render as the user sees them instead of propagating
        AUTH_RATE_LIMITED = False  # nine sign-ins from one address within a minute
        MENU_CACHE_SECONDS = 60  # as in production: the browser sees the kept menu
        IMPORTS_IN_BACKGROUND = True  # the import pages' progress bar polls a real background run
        # The browser keeps FAB's ~25 static files per page instead of revalidating each on every
        # page: that halves the requests and keeps the whole walk under two minutes.
        SEND_FILE_MAX_AGE_DEFAULT = 3600
        BACKUP_DIR = os.path.join(os.path.dirname(db_file), "backups")

    from app import create_app

    return create_app(LiveConfig)


def seed(flask_app: Flask) -> None:
    """Roles, one user per role, then the demo story (which skips the role users that exist)."""
    from app.extensions import db
    from app.security import ROLE_NAMES, sync_roles
    from app.services.demo import load_demo

    with flask_app.app_context():
        sync_roles(flask_app.appbuilder)
        sm = flask_app.appbuilder.sm
        for role in ROLE_NAMES:
            name = role.lower()
            if not sm.find_user(username=name):
                sm.add_user(name, role, "E2E", f"{name}@e2e.example", sm.find_role(role), ROLE_PASSWORD)
        db.session.commit()
        db.session.remove()
        load_demo()
        db.session.remove()


def main(db_file: str) -> None:
    flask_app = build_app(db_file)
    seed(flask_app)
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
