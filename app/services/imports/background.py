"""Checks and imports of a long file run in the background, their progress polled by the page.

A 100,000-row file takes seconds to check and to import: the request that starts the work marks the
run (phase "checking" or "importing", rows expected from the file) in its own short transaction and
hands the work to a thread with its own app context and session, then returns at once. The work is
the same use case as before (`check_run`, `apply_run`: the import still ONE transaction, all or
nothing); only its progress travels outside it:

- in this process's memory (`_LIVE`), which the status endpoint reads first, and
- in the run's ImportProgress row through a connection of its own, committed at once, so another worker
  process polling the status sees it too (a row apart from the run's, which the work holds locked).
  SQLite lets one writer at a time: there the row is written only at the start and the end (the
  in-process figure still moves).

The thread ends by clearing the phase; the page then reloads and shows the stored preview or result.
A process killed mid-run (a deploy, the OOM killer) cannot clear it: the row also says who runs the
work ("host:pid") and when it last reported, and `status` calls a run whose process is gone (same
host) or silent for longer than LEASE (another host) "interrupted": its transaction died with the
process (nothing written), the page says so and offers to start again.
Tests run the work inline (config IMPORTS_IN_BACKGROUND = False): the same code, no thread.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.base import utcnow
from app.models.imports import ImportProgress, ImportRun
from app.services.base import Actor, acting_as, current_actor, unit_of_work

PHASE_CHECKING = "checking"
PHASE_IMPORTING = "importing"
PHASES = (PHASE_CHECKING, PHASE_IMPORTING)
log = logging.getLogger(__name__)
_LIVE: dict[int, tuple[str, int, int]] = {}  # run id -> (phase, rows done, rows expected)
_STEPS: dict[int, dict[str, int]] = {}  # run id -> rows done of each phase of the work (a step on the page)
_LOCK = threading.Lock()
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')

LEASE = timedelta(minutes=2)  # silence after which a run on another host counts as interrupted

Progress = Callable[[str, int], None]


def worker_name() -> str:
    """This process as the progress row names it (read at each start: workers are forked after import)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def expected_rows(content: bytes) -> int:
    """The file's data rows, estimated cheaply: a CSV's line breaks, an XLSX sheet's declared size."""
    if content[:2] != b"PK":
        return max(content.count(b"\n") - 1 + (not content.endswith(b"\n")), 0)
    try:
        book = zipfile.ZipFile(BytesIO(content))
        names = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        with book.open(names[0]) as sheet:
            found = _DIMENSION.search(sheet.read(4096))
    except (zipfile.BadZipFile, IndexError, KeyError, OSError):
        return 0
    return max(int(found.group(1)) - 1, 0) if found else 0


def live(run_id: int) -> tuple[str, int, int] | None:
    with _LOCK:
        return _LIVE.get(run_id)


def _set_live(run_id: int, value: tuple[str, int, int] | None) -> None:
    with _LOCK:
        if value is None:
            _LIVE.pop(run_id, None)
            _STEPS.pop(run_id, None)
        else:
            _LIVE[run_id] = value
            _STEPS.setdefault(run_id, {})[value[0]] = value[1]


def steps(run_id: int, total: int) -> list[dict[str, Any]]:
    """Each phase of the run's work with its own rows done and percentage: an import is checked (rows
    read and checked), then imported (rows written); a kind that streams does both in one pass."""
    with _LOCK:
        done = dict(_STEPS.get(run_id, {}))
    return [{"phase": phase, "done": done[phase], "percent": _percent(done[phase], total, phase)}
            for phase in PHASES if phase in done]


def _percent(done: int, total: int, phase: str) -> int:
    return min(100, done * 100 // total) if total else (0 if phase else 100)


def reporter(session: Session, run_id: int, expected: int) -> Progress:
    """A progress callback: rows done of this phase, kept in memory and (when the database lets a second
    writer in) on the run's row through its own connection."""
    engine = session.get_bind()
    shared_row = engine.dialect.name != "sqlite"

    def report(phase: str, done: int) -> None:
        total = max(expected, done)
        _set_live(run_id, (phase, done, total))
        if not shared_row:
            return
        try:
            with engine.begin() as conn:
                conn.execute(update(ImportProgress).where(ImportProgress.run_id == run_id).values(
                    phase=phase, rows_done=done, rows_expected=total, beat_at=utcnow()))
        except SQLAlchemyError:  # a busy row: the next report (or the end) writes it
            log.debug("import %s: progress not stored", run_id, exc_info=True)

    return report


def start(session: Session, run_id: int, phase: str, work: Callable[[Session, Progress], Any]) -> None:
    """Mark the run as `phase` and run `work(session, progress)` in the background (inline in tests)."""
    with unit_of_work(session):
        expected = expected_rows(session.get(ImportRun, run_id).content)
        row = session.get(ImportProgress, run_id)
        if row is None:
            row = ImportProgress(run_id=run_id)
            session.add(row)
        row.phase, row.rows_done, row.rows_expected = phase, 0, expected
        row.worker, row.beat_at = worker_name(), utcnow()
    _set_live(run_id, None)
    for step in PHASES[:PHASES.index(phase) + 1]:  # an import shows its check as the first step
        _set_live(run_id, (step, 0, expected))
    _set_live(run_id, (phase, 0, expected))
    actor = current_actor()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("IMPORTS_IN_BACKGROUND", True):
        _work(session, run_id, expected, actor, work)
        return
    thread = threading.Thread(target=_in_thread, args=(app, run_id, expected, actor, work), daemon=True,
                              name=f"import-{run_id}")
    thread.start()


def _in_thread(app, run_id: int, expected: int, actor: Actor, work: Callable[[Session, Progress], Any]) -> None:
    from app.extensions import db

    with app.app_context():
        try:
            _work(db.session, run_id, expected, actor, work)
        finally:
            db.session.remove()


def _work(session: Session, run_id: int, expected: int, actor: Actor,
          work: Callable[[Session, Progress], Any]) -> None:
    """Run the work; whatever happens, the run leaves its phase (a refusal is recorded by the work)."""
    try:
        with acting_as(actor):
            work(session, reporter(session, run_id, expected))
    except DomainError:
        pass  # recorded on the run by check_run / apply_run (the page shows it)
    except Exception:  # noqa: BLE001 - a thread has no caller to tell: log, and free the run
        log.exception("import %s failed", run_id)
        session.rollback()
    finally:
        _set_live(run_id, None)
        with unit_of_work(session):
            session.execute(update(ImportProgress).where(ImportProgress.run_id == run_id).values(phase=""))


def status(session: Session, run_id: int) -> dict[str, Any] | None:
    """What the page polls: the phase (empty when finished), rows done and expected, the percentage;
    `interrupted` names the phase a dead process left unfinished (then the phase is empty: start again)."""
    from sqlalchemy import select

    found, interrupted = live(run_id), ""
    if found is None:
        row = session.execute(select(ImportProgress.phase, ImportProgress.rows_done, ImportProgress.rows_expected,
                                     ImportRun.state, ImportProgress.worker, ImportProgress.beat_at)
                              .outerjoin(ImportProgress, ImportProgress.run_id == ImportRun.id)
                              .where(ImportRun.id == run_id)).first()
        if row is None:
            return None
        found, state = (row[0] or "", row[1] or 0, row[2] or 0), row[3]
        if found[0] and not running_elsewhere(row[4] or "", row[5]):
            interrupted, found = found[0], ("", found[1], found[2])
    else:
        state = ""
    phase, done, total = found
    percent = _percent(done, total, phase)
    shown = (steps(run_id, total) or [{"phase": phase, "done": done, "percent": percent}]) if phase else []
    return {"phase": phase, "done": done, "total": total, "percent": percent, "finished": not phase,
            "state": state, "interrupted": interrupted, "steps": shown}


def running_elsewhere(worker: str, beat_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a run this process does not hold is still being worked on by `worker` ("host:pid").

    On this host: while that process lives (not this one: this process's own runs are in `_LIVE`),
    whatever its last report (SQLite lets it write none until the end). On another host: while it
    reported within LEASE."""
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname()[:60] and pid.isdigit():
        return int(pid) != os.getpid() and _process_alive(int(pid))
    return beat_at is not None and (now or utcnow()) - beat_at <= LEASE


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
