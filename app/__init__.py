"""The application factory: extensions, views, CLI commands. Nothing runs at import time."""

from __future__ import annotations

from flask import Flask

from app.extensions import appbuilder, csrf, db, migrate


def create_app(config: object | str | None = None) -> Flask:
    """Build the app from `config` (a class, an import path, or None for config.Config)."""
    app = Flask(__name__, instance_path=_instance_path())
    app.config.from_object(config or "config.Config")
    if not app.config.get("SECRET_KEY"):
        from config import secret_key

        app.config["SECRET_KEY"] = secret_key()
    with app.app_context():
        _init_extensions(app)
    from app.cli import register_cli
    from app.web import register_web_hooks

    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)
    register_web_hooks(app)
    from app import ops

    ops.init_app(app)
    register_cli(app)
    return app


def _instance_path() -> str:
    from config import INSTANCE_DIR

    return INSTANCE_DIR


def _init_extensions(app: Flask) -> None:
    from flask_appbuilder import Model

    from app import models  # noqa: F401  (registers every table on Model.metadata)
    from app.database import CHECKPOINT_SECONDS, configure_engine
    from app.security import FabrikaSecurityManager
    from app.services import audit
    from app.services.base import end_read_transaction
    from app.views import fields, register_views

    db.init_app(app)
    configure_engine(db.engine, app.config.get("SQLITE_CHECKPOINT_SECONDS", CHECKPOINT_SECONDS))
    csrf.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True)
    audit.install()
    from app.services.marketing import live as marketing_live

    marketing_live.install()  # segments follow posted orders and shipments in the same transaction
    fields.install()  # before any view builds its forms: numbers in the user's locale
    appbuilder.security_manager_class = FabrikaSecurityManager
    appbuilder.indexview = _index_view()
    appbuilder.base_template = "fabrika_base.html"
    appbuilder.init_app(app, db.session)
    register_views(appbuilder)
    # SQLite transactions hold the write lock (BEGIN IMMEDIATE): end FAB's before other connections write.
    end_read_transaction(db.session)
    if app.config.get("AUTO_CREATE_SCHEMA"):
        Model.metadata.create_all(db.engine)
    appbuilder.post_init()
    end_read_transaction(db.session)
    db.session.remove()


def _index_view():
    from app.views.home import HomeView

    return HomeView


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
