"""Rate-limit counters kept in the app's own database, shared by every web worker.

FAB limits sign-in attempts with Flask-Limiter, whose storage is chosen by URI. Fabrika has no
Redis, so `RATELIMIT_STORAGE_URI = "fabrikadb://"` selects `DatabaseStorage` below: the
`rate_limit_hit` table of the app's database (fixed-window counters). Importing this module
registers the scheme (the `limits` package registers every Storage subclass by its STORAGE_SCHEME).

Each call runs in its own short transaction on an engine of its own, never in the request's
`db.session`: the counter must be written even when the request fails, and on SQLite a read must
not take the write lock that the request's session (BEGIN IMMEDIATE) may be about to need.
Increments are one atomic statement (INSERT ... ON CONFLICT DO UPDATE SET count = count + n), so
concurrent workers never lose a hit.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import case, create_engine, delete, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from app.models.audit import RateLimitHit

SCHEME = "fabrikadb"
_table = RateLimitHit.__table__


def _database_url() -> str:
    """The app's own database, read when the storage is first used (inside a request)."""
    from flask import current_app

    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """The app's SQLite settings (app/database.py) except BEGIN IMMEDIATE: reads here take no lock."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigurationError(
                f"{SCHEME}:// needs a database that all workers share (a SQLite file or a server), "
                "not an in-memory SQLite database"
            )
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=8)


def _purge(now: float, keep: str):
    """Delete dead windows of other keys, skipping rows another worker holds (no lock waits)."""
    dead = (
        select(_table.c.key)
        .where(_table.c.expires_at <= now, _table.c.key != keep)
        .with_for_update(skip_locked=True)
    )
    return delete(_table).where(_table.c.key.in_(dead))


class DatabaseStorage(Storage):
    """A `limits` storage (fixed window) in the `rate_limit_hit` table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        """`options["url"]` (RATELIMIT_STORAGE_OPTIONS) overrides the app's own database URL."""
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._url: str | None = options.get("url")
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @property
    def engine(self) -> Engine:
        """Created on first use: the storage is built before the app's config is complete."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _engine_for(self._url or _database_url())
        return self._engine

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's window, starting a new window if the old one has expired."""
        now = time.time()
        dialect = self.engine.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        expired = _table.c.expires_at <= now
        stmt = insert(_table).values(key=key, count=amount, expires_at=now + expiry)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                # Every SET expression sees the row as it was, so both CASEs test the old window.
                "count": case((expired, amount), else_=_table.c.count + amount),
                "expires_at": case((expired, now + expiry), else_=_table.c.expires_at),
            },
        ).returning(_table.c.count)
        with self.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            conn.execute(_purge(now, key))
        return int(count)

    def get(self, key: str) -> int:
        now = time.time()
        query = select(_table.c.count).where(_table.c.key == key, _table.c.expires_at > now)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, if it has none)."""
        now = time.time()
        query = select(_table.c.expires_at).where(_table.c.key == key, _table.c.expires_at > now)
        with self.engine.connect() as conn:
            expires_at = conn.execute(query).scalar()
        return float(expires_at) if expires_at is not None else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(func.count()).select_from(_table).where(_table.c.key == ""))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_table).where(_table.c.key == key))

    def dispose(self) -> None:
        """Close the storage's connections (tests, and workers that fork after first use)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
