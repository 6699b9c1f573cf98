"""Alembic environment for Fabrika: the schema is flask_appbuilder.Model.metadata.

FAB models (Fabrika's tables and FAB's own ab_* security tables) register on Model.metadata, not on
db.metadata, so that is the autogenerate target and a fresh database gets everything from
`upgrade()`. The connection comes from the Flask app (`flask --app run db ...`, `flask --app run
setup`), or from `config.attributes["connection"]` when a script or test drives Alembic directly
(Alembic's documented way to share a connection), so no second app has to be built for that.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import nullcontext
from logging.config import fileConfig
from typing import Any

from alembic import context

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in (os.path.abspath(p or os.curdir) for p in sys.path):
    sys.path.insert(0, _ROOT)

from migrations import options  # noqa: E402

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def skip_empty_revision(ctx: Any, revision: Any, directives: list[Any]) -> None:
    """An autogenerate run that finds no change writes no file (Flask-Migrate's behaviour)."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _configure_args(flask_args: dict[str, Any]) -> dict[str, Any]:
    args = {**flask_args, **options.context_options()}
    args.setdefault("process_revision_directives", skip_empty_revision)
    return args


def _connection() -> tuple[Any, dict[str, Any]]:
    """A context manager yielding the connection to migrate, and Flask-Migrate's configure args."""
    shared = config.attributes.get("connection")
    if shared is not None:
        return nullcontext(shared), {}
    from flask import current_app

    migrate = current_app.extensions["migrate"]
    return migrate.db.engine.connect(), dict(migrate.configure_args)


def run_migrations_offline() -> None:
    """`--sql`: write the DDL for the app's database URL instead of running it."""
    from flask import current_app

    url = current_app.extensions["migrate"].db.engine.url
    context.configure(url=url, literal_binds=True, **_configure_args({}))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection_cm, flask_args = _connection()
    with connection_cm as connection:
        context.configure(connection=connection, **_configure_args(flask_args))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
