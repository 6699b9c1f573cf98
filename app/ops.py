"""What operations need from a running app: health, readiness, one JSON log line per request.

- `/health`: the process is up and serving (no database call), for the process supervisor.
- `/ready`: the database answers and its schema is at the migrations' head, for the load balancer
  (nginx, a health-checking proxy): a worker that cannot reach the database, or a host started
  against a database not yet migrated, is taken out of rotation instead of serving errors.
- JSON_LOGS=1 (environment FABRIKA_JSON_LOGS=1): one JSON line per request on the `fabrika.request`
  logger with the user, method, path, status, duration and the number of SQL statements it sent,
  so a slow page can be told from a chatty one in the logs without a profiler.

Both endpoints answer JSON, need no sign-in and set no cookie.
"""

from __future__ import annotations

import json
import logging
import os
import time
from functools import cache

from flask import Blueprint, Flask, Response, g, has_request_context, jsonify, request
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

ops = Blueprint("ops", __name__)
request_log = logging.getLogger("fabrika.request")


@ops.get("/health")
def health() -> Response:
    return jsonify(status="up")


@ops.get("/ready")
def ready() -> tuple[Response, int]:
    problems = readiness_problems()
    if problems:
        return jsonify(status="not ready", problems=problems), 503
    return jsonify(status="ready"), 200


def readiness_problems() -> list[str]:
    """What keeps this worker from serving: the database down, or its schema not at the head."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = _current_revisions(conn)
    except SQLAlchemyError as exc:
        return [f"database unreachable: {type(exc.orig or exc).__name__}"]
    heads = migration_heads()
    if current != heads:
        return [f"database schema at {sorted(current) or 'no revision'}, migrations at {sorted(heads)}: "
                "run `flask db upgrade`"]
    return []


def _current_revisions(conn) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(conn).get_current_heads())


@cache
def migration_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    return set(ScriptDirectory.from_config(cfg).get_heads())


# --- structured request log ------------------------------------------------------------------------


def _count_statement(*_args: object) -> None:
    if has_request_context():
        g.fabrika_statements = g.get("fabrika_statements", 0) + 1


def _start_clock() -> None:
    g.fabrika_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("fabrika_started")
    if started is None:
        return response
    from flask_login import current_user

    user = getattr(current_user, "username", None) if current_user and current_user.is_authenticated else None
    request_log.info(json.dumps({
        "ts": round(time.time(), 3), "method": request.method, "path": request.path, "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000.0, 1), "statements": g.get("fabrika_statements", 0),
        "user": user, "ip": request.remote_addr,
    }, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    """Register the endpoints (outside CSRF: they only read) and, with JSON_LOGS, the request log."""
    from app.extensions import csrf

    app.register_blueprint(ops)
    csrf.exempt(ops)
    if app.config.get("JSON_LOGS"):
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", _count_statement)
        app.before_request(_start_clock)
        app.after_request(_log_request)
        if not request_log.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            request_log.addHandler(handler)
            request_log.setLevel(logging.INFO)
            request_log.propagate = False
