"""Engine settings per database: SQLite pragmas and write transactions that queue, not fail.

SQLite: WAL (readers never block the writer), foreign keys on, and every transaction begins with
BEGIN IMMEDIATE, so two users posting at once queue on the write lock instead of one failing with
"database is locked" after both read the same balance (STACK.md section 10). PostgreSQL needs
nothing here: services lock rows with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


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

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
