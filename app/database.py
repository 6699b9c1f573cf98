"""Engine settings per database: SQLite pragmas and write transactions that queue, not fail.

SQLite: WAL (readers never block the writer), foreign keys on, and every transaction begins with
BEGIN IMMEDIATE, so two users posting at once queue on the write lock instead of one failing with
"database is locked" after both read the same balance (STACK.md section 10). PostgreSQL needs
nothing here: services lock rows with SELECT ... FOR UPDATE.

SQLite's own lower() / upper() and LIKE fold ASCII letters only, so "робот" would not find "Робот" in
a list filter (FAB's "contains" is ILIKE, which SQLAlchemy writes as lower(x) LIKE lower(y)) or in the
order-entry picker. Each connection replaces lower() and upper() with Python's, which fold every
alphabet, as PostgreSQL's do in a UTF-8 database.

WAL checkpoints: with synchronous=NORMAL the write-ahead log is synced to disk only when it is checkpointed,
and SQLite's default checkpoints inside the committing request every 1,000 pages (a one-line stock document
writes ~26 pages, so every ~40th posting waited ~7 ms on fdatasync), while a quiet day might not sync for
hours. A thread per process checkpoints once a second when something was committed (PASSIVE: never waits
for readers or the writer), so a power loss costs at most about a second of work, and the request path
checkpoints only as a safety net, at 20,000 pages; the log file is cut back to 64 MB after a checkpoint.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

CHECKPOINT_SECONDS = 1.0
SAFETY_CHECKPOINT_PAGES = 20000
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def fold_case_everywhere(dbapi_conn) -> None:
    """Unicode lower() / upper() on a SQLite connection (deterministic: usable in indexes and WHERE)."""
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
    dbapi_conn.create_function("upper", 1, _upper, deterministic=True)


class Checkpointer:
    """Checkpoints one WAL database file from its own thread and connection, once a second after a commit.

    Started lazily by the first commit in each process (a forked gunicorn worker starts its own), so a CLI
    command that only reads starts nothing. Errors (the database busy with another checkpoint, a file
    removed at the end of a test) are skipped: the next second tries again and the request path's safety
    net still checkpoints.
    """

    def __init__(self, path: str, seconds: float = CHECKPOINT_SECONDS) -> None:
        self.path, self.seconds = path, seconds
        self.pending = False
        self._pid = 0
        self._lock = threading.Lock()

    def committed(self) -> None:
        self.pending = True
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True).start()

    def checkpoint(self) -> bool:
        """One PASSIVE checkpoint if something was committed since the last; True when it ran."""
        if not self.pending or not os.path.exists(self.path):
            return False
        self.pending = False
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return True

    def _run(self) -> None:
        while True:
            time.sleep(self.seconds)
            self.checkpoint()


def configure_engine(engine: Engine, checkpoint_seconds: float = CHECKPOINT_SECONDS) -> None:
    """SQLite's settings on `engine`; `checkpoint_seconds` 0 leaves checkpoints to the request path.

    The test suite turns the thread off: it copies a template file over the database between tests, and a
    checkpoint running at that moment would write the previous test's log into the fresh copy.
    """
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
        # sorts and temporary b-trees in memory, not in temporary files: the KPI job's grouped reads over
        # a million ledger rows spent ~0.3 s in them (it cannot be changed inside a transaction, so here)
        cur.execute("PRAGMA temp_store=MEMORY")
        if not memory:
            cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()
        fold_case_everywhere(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        from app.services.driver_sql import execute_text  # on the driver: the cheapest way that listeners see

        execute_text(conn, "BEGIN IMMEDIATE")

    if not memory and checkpoint_seconds > 0:
        checkpointer = Checkpointer(engine.url.database, checkpoint_seconds)
        engine._fabrika_checkpointer = checkpointer  # type: ignore[attr-defined]

        @event.listens_for(engine, "commit")
        def _on_commit(_conn) -> None:
            checkpointer.committed()
