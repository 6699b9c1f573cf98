"""SQLite WAL checkpoints leave the request path (app/database.py).

A commit only marks the database; a thread of the process checkpoints it within a second, and the request
path's own checkpoint is a safety net at 20,000 pages. These check the settings a connection gets, that a
commit starts the thread once per process, and that one checkpoint copies the whole log into the database.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from app.database import SAFETY_CHECKPOINT_PAGES, configure_engine


def _engine(tmp_path: Path):
    engine = create_engine("sqlite:///" + str(tmp_path / "wal.db"))
    configure_engine(engine)
    return engine


def _write_rows(engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"))
    for i in range(n):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "x" * 500 + str(i)})


def test_connection_settings_move_the_checkpoint_off_the_request_path(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SAFETY_CHECKPOINT_PAGES
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_a_commit_starts_one_thread_and_a_checkpoint_empties_the_log(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    checkpointer = engine._fabrika_checkpointer
    checkpointer.seconds = 3600  # the test drives the checkpoint itself
    before = sum(t.name == "sqlite-checkpoint" for t in threading.enumerate())
    _write_rows(engine, 20)
    assert sum(t.name == "sqlite-checkpoint" for t in threading.enumerate()) == before + 1
    assert checkpointer.pending
    db_file = Path(checkpointer.path)
    unchecked = db_file.stat().st_size  # the rows live in the log only
    assert checkpointer.checkpoint() is True
    assert checkpointer.checkpoint() is False  # nothing committed since
    raw = sqlite3.connect(checkpointer.path)
    pages, page_size = raw.execute("PRAGMA page_count").fetchone()[0], raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    assert unchecked < db_file.stat().st_size == pages * page_size  # the whole log copied into the database
    engine.dispose()
