"""Engine settings per database: SQLite pragmas and write transactions that queue, not fail.

SQLite: WAL (readers never block the writer), foreign keys on, and every transaction begins with
BEGIN IMMEDIATE, so two users posting at once queue on the write lock instead of one failing with
"database is locked" after both read the same balance (STACK.md section 10). PostgreSQL needs
nothing here: services lock rows with SELECT ... FOR UPDATE.

SQLite's own lower() / upper() and LIKE fold ASCII letters only, so "робот" would not find "Робот" in
a list filter (FAB's "contains" is ILIKE, which SQLAlchemy writes as lower(x) LIKE lower(y)) or in the
order-entry picker. Each connection replaces lower() and upper() with Python's, which fold every
alphabet, as PostgreSQL's do in a UTF-8 database.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def fold_case_everywhere(dbapi_conn) -> None:
    """Unicode lower() / upper() on a SQLite connection (deterministic: usable in indexes and WHERE)."""
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
    dbapi_conn.create_function("upper", 1, _upper, deterministic=True)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite" or getattr(engine, "_fabrika_configured", False):
        return
    engine._fabrika_configured = True  # type: ignore[attr-defined]
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        fold_case_everywhere(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        from app.services.driver_sql import execute_text  # on the driver: the cheapest way that listeners see

        execute_text(conn, "BEGIN IMMEDIATE")
