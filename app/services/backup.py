"""Database backup and restore, for SQLite (the embedded default) and PostgreSQL.

Backups are files named fabrika-YYYYMMDD-HHMMSS-ffffff.<ext> (UTC) in one directory; only the last
`keep` are kept. SQLite is copied with SQLite's online backup API (a consistent snapshot while the
app keeps writing); PostgreSQL with `pg_dump -Fc`, using the pg_dump that matches the server.

A restore proves the file first and only then replaces anything: SQLite: integrity_check, every
table of the schema present, every count readable; PostgreSQL: `pg_restore --list`, then a full
restore into a scratch database checked the same way. Only then is the live database replaced, by
the backup API into the live file (SQLite locking, so other connections see a whole database) or by
`pg_restore --clean --single-transaction` (all or nothing). A refused file leaves the database as it
was and raises one DomainError saying why.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask_appbuilder import Model
from sqlalchemy import URL, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.domain.errors import DomainError

PREFIX = "fabrika-"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "dump"}
NAME_RE = re.compile(r"^fabrika-(\d{8}-\d{6}-\d{6})\.(sqlite3|dump)$")
_KIND_BY_EXT = {ext: kind for kind, ext in EXTENSIONS.items()}
_REASON_LINES = 3


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    created_at: datetime  # UTC, naive like every timestamp in the app
    kind: str  # "sqlite" or "postgresql"

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class BackupCheck:
    """What verification read from a backup: the row count of every table of the schema."""

    counts: dict[str, int]

    @property
    def tables(self) -> int:
        return len(self.counts)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class BackupResult:
    backup: BackupFile
    pruned: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreResult:
    check: BackupCheck
    safety_backup: BackupFile | None


# --- files ---------------------------------------------------------------------------------------


def _backup_file(path: Path) -> BackupFile | None:
    match = NAME_RE.match(path.name)
    if not match or not path.is_file():
        return None
    created = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S-%f")
    return BackupFile(path, path.stat().st_size, created, _KIND_BY_EXT[match.group(2)])


def list_backups(directory: str | os.PathLike) -> list[BackupFile]:
    """The backups in `directory`, newest first; other files there are ignored."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = (_backup_file(p) for p in folder.iterdir())
    return sorted((b for b in found if b), key=lambda b: b.name, reverse=True)


def find_backup(directory: str | os.PathLike, name: str) -> BackupFile:
    """The backup called `name` in `directory`; only names this module writes, so no path tricks."""
    backup = _backup_file(Path(directory) / name) if NAME_RE.match(name or "") else None
    if backup is None:
        raise DomainError("Backup file not found: %(name)s", name=name)
    return backup


def prune_backups(directory: str | os.PathLike, keep: int | None) -> list[str]:
    """Delete all but the newest `keep` backups; returns the deleted names. keep < 1 keeps all."""
    if not keep or keep < 1:
        return []
    removed = []
    for old in list_backups(directory)[keep:]:
        old.path.unlink(missing_ok=True)
        removed.append(old.name)
    return removed


def _new_path(directory: Path, kind: str) -> Path:
    while True:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = directory / f"{PREFIX}{stamp}.{EXTENSIONS[kind]}"
        if not path.exists():
            return path


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in EXTENSIONS:
        raise DomainError("Backups of %(dialect)s databases are not supported", dialect=name)
    return name


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if database in (None, "", ":memory:") or (engine.url.query or {}).get("mode") == "memory":
        raise DomainError("An in-memory database cannot be backed up or restored")
    return os.path.abspath(database)


# --- create --------------------------------------------------------------------------------------


def create_backup(engine: Engine, directory: str | os.PathLike, keep: int | None = None,
                  prune: bool = True) -> BackupResult:
    """Back up the database of `engine` into `directory`, then keep only the newest `keep` backups.

    The file is written as *.part and renamed when complete and readable, so a crash never leaves
    a half backup that looks whole (and pruning never counts one).
    """
    kind = _dialect(engine)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = _new_path(folder, kind)
    part = final.with_name(final.name + ".part")
    try:
        if kind == "sqlite":
            _sqlite_dump(_sqlite_path(engine), part)
        else:
            _pg_dump(engine, part)
        os.chmod(part, 0o600)  # a backup holds password hashes: owner only
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)
    backup = _backup_file(final)
    assert backup is not None
    return BackupResult(backup, prune_backups(folder, keep) if prune else [])


def _sqlite_dump(source: str, dest: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            # One self-contained file: a snapshot of a WAL database would otherwise stay in WAL mode.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise DomainError("The database could not be backed up: %(reason)s", reason=str(exc)) from exc
    finally:
        src.close()
    _sqlite_integrity(dest, dest.name)


# --- verify --------------------------------------------------------------------------------------


def expected_tables() -> set[str]:
    """Every table of the application's schema (Fabrika's and FAB's), as the models declare it."""
    return set(Model.metadata.tables)


def _check_tables(engine: Engine, name: str) -> BackupCheck:
    """Every expected table present and countable in the database behind `engine`."""
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            missing = sorted(expected_tables() - present)
            if missing:
                raise DomainError(
                    "%(name)s is not a Fabrika backup: tables missing: %(tables)s",
                    name=name, tables=", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
                )
            counts = {
                t: int(conn.execute(select(func.count()).select_from(table(t))).scalar_one())
                for t in sorted(expected_tables())
            }
    except SQLAlchemyError as exc:
        raise DomainError("%(name)s could not be read: %(reason)s", name=name, reason=_short(exc)) from exc
    return BackupCheck(counts)


def _sqlite_integrity(path: Path, name: str) -> None:
    try:
        con = sqlite3.connect(path)
        try:
            rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise DomainError("%(name)s is not a valid SQLite database: %(reason)s",
                          name=name, reason=str(exc)) from exc
    if rows != ["ok"]:
        raise DomainError("%(name)s failed the integrity check: %(reason)s",
                          name=name, reason="; ".join(str(r) for r in rows[:_REASON_LINES]))


def _sqlite_check(path: Path, name: str) -> BackupCheck:
    _sqlite_integrity(path, name)
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)
    try:
        return _check_tables(engine, name)
    finally:
        engine.dispose()


@contextmanager
def _sqlite_scratch_copy(source: Path, near: str) -> Iterator[Path]:
    """A private copy of `source` next to the live database (same disk), removed afterwards.

    Checks run on the copy: opening a file can create -wal / -shm files beside it, and the backup
    directory is no place for those.
    """
    with tempfile.TemporaryDirectory(prefix=".fabrika-restore-", dir=os.path.dirname(near)) as tmp:
        copy = Path(tmp) / "candidate.sqlite3"
        shutil.copyfile(source, copy)
        yield copy


def _resolve(path: str | os.PathLike) -> Path:
    candidate = Path(path)
    if not candidate.is_file():
        raise DomainError("Backup file not found: %(name)s", name=str(path))
    return candidate


def verify_backup(engine: Engine, path: str | os.PathLike) -> BackupCheck:
    """Prove that `path` is a readable backup of this application for the database of `engine`,
    without touching that database."""
    source = _resolve(path)
    if _dialect(engine) == "sqlite":
        with _sqlite_scratch_copy(source, _sqlite_path(engine)) as copy:
            return _sqlite_check(copy, source.name)
    return _pg_verify(engine, source)


# --- restore -------------------------------------------------------------------------------------


def restore_backup(engine: Engine, path: str | os.PathLike, safety_dir: str | os.PathLike | None = None
                   ) -> RestoreResult:
    """Replace the database of `engine` with backup `path`, after proving the backup sound.

    With `safety_dir`, the current database is first backed up there (not pruned), so restoring the
    wrong file can be undone. The engine's pool is disposed before and after, so no connection of
    this process keeps a view of the old database.
    """
    source = _resolve(path)
    kind = _dialect(engine)
    if kind == "sqlite":
        live = _sqlite_path(engine)
        with _sqlite_scratch_copy(source, live) as copy:
            check = _sqlite_check(copy, source.name)
            safety = _safety_backup(engine, safety_dir)
            _sqlite_replace(engine, copy, live)
    else:
        check = _pg_verify(engine, source)
        safety = _safety_backup(engine, safety_dir)
        _pg_replace(engine, source)
    return RestoreResult(check, safety)


def _safety_backup(engine: Engine, safety_dir: str | os.PathLike | None) -> BackupFile | None:
    if safety_dir is None:
        return None
    try:
        return create_backup(engine, safety_dir, prune=False).backup
    except DomainError as exc:
        raise DomainError("Could not back up the current database before the restore: %(reason)s",
                          reason="; ".join(exc.messages())) from exc


def _sqlite_replace(engine: Engine, copy: Path, live: str) -> None:
    engine.dispose()
    src = sqlite3.connect(copy)
    dst = sqlite3.connect(live, timeout=30)
    try:
        live_mode = dst.execute("PRAGMA journal_mode").fetchone()[0]
        ours = src.execute("PRAGMA page_size").fetchone()[0]
        theirs = dst.execute("PRAGMA page_size").fetchone()[0]
        if live_mode == "wal" and ours != theirs:
            # SQLite cannot change the page size of a WAL database; refuse before writing anything.
            raise DomainError("The backup's page size (%(backup)s) differs from the database's (%(live)s)",
                              backup=ours, live=theirs)
        src.backup(dst)
    except sqlite3.Error as exc:
        raise DomainError("The database could not be restored: %(reason)s", reason=str(exc)) from exc
    finally:
        dst.close()
        src.close()
        engine.dispose()


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_major(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def pg_tool(engine: Engine, tool: str) -> str:
    """The path of `tool` (pg_dump, pg_restore) matching the server's major version.

    A pg_dump older than the server refuses to dump it, and PATH often holds whatever version the
    client package brought; Debian keeps each version in /usr/lib/postgresql/<major>/bin. The
    environment variable PG_BIN_DIR overrides the search.
    """
    major = _pg_major(engine)
    for folder in (os.environ.get("PG_BIN_DIR"), f"/usr/lib/postgresql/{major}/bin"):
        if folder and os.access(os.path.join(folder, tool), os.X_OK):
            return os.path.join(folder, tool)
    found = shutil.which(tool)
    if found:
        return found
    raise DomainError("%(tool)s for PostgreSQL %(version)s was not found (set PG_BIN_DIR)",
                      tool=tool, version=major)


def _libpq_uri(url: URL, database: str | None = None) -> str:
    """A libpq URI without the password (that goes in PGPASSWORD, out of the process list)."""
    url = url.set(drivername="postgresql", password=None)
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


class _ToolFailed(Exception):
    """pg_dump / pg_restore exited non-zero; `reason` is the tail of what it said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout or "").strip().splitlines() if ln.strip()]
        raise _ToolFailed(" / ".join(lines[-_REASON_LINES:]) or f"exit code {proc.returncode}")


def _pg_dump(engine: Engine, dest: Path) -> None:
    url, env = engine.url, _pg_env(engine.url)
    try:
        _run([pg_tool(engine, "pg_dump"), "--format=custom", f"--file={dest}", f"--dbname={_libpq_uri(url)}"], env)
    except _ToolFailed as exc:
        raise DomainError("pg_dump failed: %(reason)s", reason=exc.reason) from exc
    try:
        _run([pg_tool(engine, "pg_restore"), "--list", str(dest)], env)
    except _ToolFailed as exc:
        raise DomainError("The new backup cannot be read back: %(reason)s", reason=exc.reason) from exc


_RESTORE_FLAGS = ["--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]


def _pg_verify(engine: Engine, source: Path) -> BackupCheck:
    url, env, pg_restore = engine.url, _pg_env(engine.url), pg_tool(engine, "pg_restore")
    try:
        _run([pg_restore, "--list", str(source)], env)
    except _ToolFailed as exc:
        raise DomainError("%(name)s is not a PostgreSQL backup: %(reason)s", name=source.name,
                          reason=exc.reason) from exc
    scratch = f"{(url.database or 'fabrika')[:30]}_restore_check_{secrets.token_hex(4)}"
    try:
        _pg_admin(engine, f"CREATE DATABASE {_quote(engine, scratch)} TEMPLATE template0")
    except SQLAlchemyError as exc:
        raise DomainError("Could not create a scratch database (needs CREATEDB): %(reason)s",
                          reason=_short(exc)) from exc
    try:
        _run([pg_restore, *_RESTORE_FLAGS, f"--dbname={_libpq_uri(url, scratch)}", str(source)], env)
        scratch_engine = create_engine(url.set(database=scratch), poolclass=NullPool)
        try:
            return _check_tables(scratch_engine, source.name)
        finally:
            scratch_engine.dispose()
    except _ToolFailed as exc:
        raise DomainError("%(name)s could not be restored into a scratch database: %(reason)s",
                          name=source.name, reason=exc.reason) from exc
    finally:
        _pg_admin(engine, f"DROP DATABASE IF EXISTS {_quote(engine, scratch)} WITH (FORCE)")


def _pg_replace(engine: Engine, source: Path) -> None:
    engine.dispose()
    url = engine.url
    try:
        _run([pg_tool(engine, "pg_restore"), "--clean", "--if-exists", *_RESTORE_FLAGS,
              f"--dbname={_libpq_uri(url)}", str(source)], _pg_env(url))
    except _ToolFailed as exc:
        raise DomainError("The database could not be restored: %(reason)s", reason=exc.reason) from exc
    finally:
        engine.dispose()


def _pg_admin(engine: Engine, sql: str) -> None:
    """CREATE / DROP DATABASE, which cannot run inside a transaction block."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(sql))


def _quote(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def _short(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text_[0] if text_ else type(exc).__name__
