"""Backup and restore: round trip, pruning, and refusal of unsound files with the database untouched.

Runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL points there (the suite runs
both); the dialect-specific cases skip themselves on the other database.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.models.core import Currency
from app.services import backup as backups
from app.services.base import Actor, acting_as


def _add_currency(session, code: str) -> None:
    with acting_as(Actor(None, "tester")):
        session.add(Currency(code=code, name=f"Currency {code}"))
        session.commit()


def _codes(session) -> set[str]:
    session.remove()
    return set(session.scalars(select(Currency.code)))


def _fingerprint(session) -> tuple:
    """What must be unchanged after a refused restore: the data, and the audit trail of it."""
    session.remove()
    audit = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    return _codes(session), audit


@pytest.fixture
def backup_dir(tmp_path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def sqlite_only(is_postgres):
    if is_postgres:
        pytest.skip("SQLite case")


@pytest.fixture
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL case")


def test_round_trip_restores_the_data_as_it_was_at_backup_time(session, backup_dir):
    _add_currency(session, "AAA")
    made = backups.create_backup(db.engine, backup_dir, keep=5)
    _add_currency(session, "BBB")
    session.execute(text("UPDATE currency SET name = 'renamed' WHERE code = 'AAA'"))
    session.commit()
    assert session.scalars(select(AuditLog).where(AuditLog.summary == "BBB")).all()
    session.remove()

    result = backups.restore_backup(db.engine, made.backup.path)

    assert "AAA" in _codes(session) and "BBB" not in _codes(session)
    assert session.scalar(select(Currency.name).where(Currency.code == "AAA")) == "Currency AAA"
    # the append-only audit log is restored too: the entry for BBB is gone with BBB
    assert not session.scalars(select(AuditLog).where(AuditLog.summary == "BBB")).all()
    assert result.check.counts["currency"] == len(_codes(session))
    assert result.check.tables == len(backups.expected_tables())
    # the restored database is fully usable
    _add_currency(session, "CCC")
    assert "CCC" in _codes(session)


def test_a_backup_is_named_by_time_kept_private_and_listed_newest_first(session, backup_dir):
    first = backups.create_backup(db.engine, backup_dir).backup
    second = backups.create_backup(db.engine, backup_dir).backup

    assert backups.NAME_RE.match(first.name) and first.size > 0
    assert os.stat(first.path).st_mode & 0o777 == 0o600
    assert [b.name for b in backups.list_backups(backup_dir)] == [second.name, first.name]
    assert not list(backup_dir.glob("*.part"))


def test_only_the_newest_backups_are_kept_and_other_files_are_left_alone(session, backup_dir):
    backup_dir.mkdir(parents=True)
    foreign = backup_dir / "notes.txt"
    foreign.write_text("keep me")
    made = [backups.create_backup(db.engine, backup_dir, keep=2) for _ in range(4)]

    kept = [b.name for b in backups.list_backups(backup_dir)]
    assert kept == [made[3].backup.name, made[2].backup.name]
    assert made[3].pruned == [made[1].backup.name]
    assert foreign.read_text() == "keep me"


def test_verify_reads_every_table_without_touching_the_database(session, backup_dir):
    _add_currency(session, "AAA")
    made = backups.create_backup(db.engine, backup_dir)
    _add_currency(session, "BBB")

    check = backups.verify_backup(db.engine, made.backup.path)

    assert set(check.counts) == backups.expected_tables()
    assert check.counts["currency"] == len(_codes(session)) - 1
    assert "BBB" in _codes(session)


def test_a_safety_backup_of_the_current_database_is_taken_before_a_restore(session, backup_dir, tmp_path):
    made = backups.create_backup(db.engine, backup_dir)
    _add_currency(session, "NEW")
    session.remove()

    result = backups.restore_backup(db.engine, made.backup.path, safety_dir=tmp_path / "safety")

    assert "NEW" not in _codes(session)
    assert result.safety_backup is not None
    session.remove()
    backups.restore_backup(db.engine, result.safety_backup.path)  # undo the restore
    assert "NEW" in _codes(session)


def test_a_missing_file_is_refused(session, tmp_path):
    with pytest.raises(DomainError, match="Backup file not found"):
        backups.restore_backup(db.engine, tmp_path / "nope.sqlite3")


def test_an_in_memory_database_cannot_be_backed_up(tmp_path):
    engine = create_engine("sqlite://")
    with pytest.raises(DomainError, match="in-memory"):
        backups.create_backup(engine, tmp_path)


# --- refusals: the live database stays as it was ---------------------------------------------------


def _truncated(made: Path, tmp_path: Path) -> Path:
    data = made.read_bytes()
    bad = tmp_path / "truncated.bak"
    bad.write_bytes(data[: len(data) // 2 + 123])
    return bad


def _random_bytes(_made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "random.bak"
    bad.write_bytes(os.urandom(64 * 1024))
    return bad


def _empty(_made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "empty.bak"
    bad.write_bytes(b"")
    return bad


def _other_sqlite_schema(_made: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "other.sqlite3"
    con = sqlite3.connect(bad)
    con.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customer (name) VALUES ('someone else')")
    con.commit()
    con.close()
    return bad


REFUSED = {
    "truncated": (_truncated, None),
    "random bytes": (_random_bytes, None),
    "empty file": (_empty, None),
    "sqlite file of another schema": (_other_sqlite_schema, None),
}


@pytest.mark.parametrize("make_bad", [v[0] for v in REFUSED.values()], ids=list(REFUSED))
def test_an_unsound_file_is_refused_and_the_database_untouched(session, backup_dir, tmp_path, make_bad):
    _add_currency(session, "AAA")
    made = backups.create_backup(db.engine, backup_dir)
    _add_currency(session, "BBB")
    before = _fingerprint(session)
    bad = make_bad(made.backup.path, tmp_path)

    with pytest.raises(DomainError) as refused:
        backups.restore_backup(db.engine, bad, safety_dir=tmp_path / "safety")

    assert bad.name in str(refused.value) or "not a" in str(refused.value)
    assert _fingerprint(session) == before
    assert not (tmp_path / "safety").exists()  # refused before anything else happened
    with pytest.raises(DomainError):
        backups.verify_backup(db.engine, bad)


def test_the_refusal_says_what_is_missing(session, tmp_path):
    bad = _other_sqlite_schema(Path(), tmp_path) if db.engine.dialect.name == "sqlite" else _pg_foreign_dump(tmp_path)
    missing = r"is not a Fabrika backup: tables missing: ab_api_key, .*, audit_log, .*\.\.\.$"
    with pytest.raises(DomainError, match=missing):
        backups.restore_backup(db.engine, bad)


# --- SQLite specifics ------------------------------------------------------------------------------


def test_sqlite_backup_is_a_self_contained_file_and_restore_keeps_wal(session, backup_dir, sqlite_only):
    made = backups.create_backup(db.engine, backup_dir).backup
    con = sqlite3.connect(made.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    backups.restore_backup(db.engine, made.path)

    live = sqlite3.connect(db.engine.url.database)
    assert live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert live.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    live.close()


def test_sqlite_corruption_inside_the_file_is_caught_by_the_integrity_check(session, backup_dir, tmp_path,
                                                                             sqlite_only):
    made = backups.create_backup(db.engine, backup_dir).backup
    data = bytearray(made.path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 7 * page):  # scribble over b-tree pages
        data[offset + 8: offset + 64] = os.urandom(56)
    bad = tmp_path / "scribbled.sqlite3"
    bad.write_bytes(bytes(data))
    before = _fingerprint(session)

    with pytest.raises(DomainError):
        backups.restore_backup(db.engine, bad)
    assert _fingerprint(session) == before


def test_a_postgres_dump_is_refused_by_sqlite(session, tmp_path, sqlite_only):
    bad = tmp_path / "fabrika-20260101-000000-000000.dump"
    bad.write_bytes(b"PGDMP\x01\x0e\x00" + os.urandom(4096))
    with pytest.raises(DomainError, match="not a valid SQLite database"):
        backups.restore_backup(db.engine, bad)


# --- PostgreSQL specifics --------------------------------------------------------------------------


def _pg_foreign_dump(tmp_path: Path) -> Path:
    """A real pg_dump of another application's database."""
    import secrets
    import subprocess

    url = db.engine.url
    name = f"foreign_{secrets.token_hex(4)}"
    backups._pg_admin(db.engine, f"CREATE DATABASE {name}")
    try:
        other = create_engine(url.set(database=name), poolclass=NullPool)
        with other.begin() as conn:
            conn.execute(text("CREATE TABLE customer (id serial PRIMARY KEY, name text)"))
            conn.execute(text("INSERT INTO customer (name) VALUES ('someone else')"))
        other.dispose()
        out = tmp_path / "foreign.dump"
        subprocess.run([backups.pg_tool(db.engine, "pg_dump"), "-Fc", f"--file={out}",
                        f"--dbname={backups._libpq_uri(url, name)}"], env=backups._pg_env(url), check=True)
        return out
    finally:
        backups._pg_admin(db.engine, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_pg_a_dump_of_another_schema_is_refused(session, tmp_path, postgres_only):
    _add_currency(session, "AAA")
    before = _fingerprint(session)
    bad = _pg_foreign_dump(tmp_path)

    with pytest.raises(DomainError, match="tables missing"):
        backups.restore_backup(db.engine, bad)
    assert _fingerprint(session) == before
    assert not _scratch_databases()


def test_pg_a_sqlite_file_is_refused(session, tmp_path, postgres_only):
    bad = _other_sqlite_schema(Path(), tmp_path)
    with pytest.raises(DomainError, match="not a PostgreSQL backup"):
        backups.restore_backup(db.engine, bad)


def test_pg_the_dump_matches_the_server_version(session, postgres_only):
    with db.engine.connect() as conn:
        major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    tool = backups.pg_tool(db.engine, "pg_dump")
    import subprocess

    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    assert f" {major}." in version


def test_pg_a_dump_cut_short_after_its_table_of_contents_fails_in_the_scratch_database(
        session, backup_dir, tmp_path, postgres_only):
    _add_currency(session, "AAA")
    made = backups.create_backup(db.engine, backup_dir).backup
    _add_currency(session, "BBB")
    before = _fingerprint(session)
    cut = tmp_path / "cut.dump"
    cut.write_bytes(made.path.read_bytes()[:-64])  # the TOC at the start still lists fine

    with pytest.raises(DomainError, match="could not be restored into a scratch database"):
        backups.restore_backup(db.engine, cut)
    assert _fingerprint(session) == before
    assert not _scratch_databases()


def _scratch_databases() -> list[str]:
    # only this database's scratch copies: other pytest-xdist workers restore beside us
    prefix = (db.engine.url.database or "fabrika")[:30] + "_restore_check"
    with db.engine.connect() as conn:
        return list(conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "%"}))
