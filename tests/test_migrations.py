"""Schema migrations: `upgrade()` builds exactly the models' schema, append-only triggers included.

Each test migrates a scratch database of its own (a SQLite file; with a PostgreSQL
TEST_DATABASE_URL also a scratch database created next to the suite's), driving Alembic through a
shared connection (migrations/env.py), so the suite's app and database are never touched.
`compare_metadata` runs with migrations.options, the same options autogenerate uses: a model column
added without regenerating migrations/versions/0001_initial.py (`make migration`) fails
test_upgrade_builds_the_models_schema.

Money / Quantity / Rate need no allowance: Alembic compiles a model type for the live dialect, which
goes through load_dialect_impl, so they compare as BIGINT on SQLite and NUMERIC(18, n) on
PostgreSQL, exactly what the migration created; the comparison below reports every difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.database import configure_engine
from migrations import append_only, options

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = os.path.join(ROOT, "migrations")


def _alembic_config(conn) -> Config:
    cfg = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["connection"] = conn
    cfg.attributes["configure_logging"] = False
    return cfg


def _upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def _downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def _diffs(engine: Engine, metadata: MetaData | None = None) -> list:
    """What autogenerate would put in a new revision for this database; [] when it equals the models."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts=options.context_options())
        diffs = compare_metadata(ctx, metadata if metadata is not None else options.target_metadata())
        conn.rollback()
    return diffs


def _append_only_tables() -> list[str]:
    return sorted(t.name for t in options.target_metadata().sorted_tables if t.info.get("append_only"))


def _sqlite_engine(path: str) -> Engine:
    engine = create_engine("sqlite:///" + path)
    configure_engine(engine)  # the app's settings: foreign keys on, BEGIN IMMEDIATE
    return engine


@pytest.fixture
def pg_scratch_url() -> Iterator[str]:
    """A throwaway database on the TEST_DATABASE_URL server (the suite's own database stays as is)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL to a PostgreSQL database")
    server = make_url(url)
    name = f"{server.database}_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "migrated.db")
    return request.getfixturevalue("pg_scratch_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = _sqlite_engine(make_url(db_url).database) if db_url.startswith("sqlite") else create_engine(db_url)
    yield eng
    eng.dispose()


def test_upgrade_builds_the_models_schema(engine):
    _upgrade(engine)

    diffs = _diffs(engine)
    assert diffs == [], "schema after upgrade() differs from the models; run `make migration`:\n" + "\n".join(
        map(repr, diffs)
    )
    tables = set(inspect(engine).get_table_names())
    # the knowledge base's search index comes with the schema (migrations/kb_search_index.py), not at first use
    search = {"kb_fts", "kb_fts_data", "kb_fts_idx", "kb_fts_content", "kb_fts_docsize", "kb_fts_config"} \
        if engine.dialect.name == "sqlite" else {"kb_tsv"}
    assert tables == set(options.target_metadata().tables) | {"alembic_version"} | search
    assert {"ab_user", "ab_role", "ab_permission_view_role", "audit_log"} <= tables


def test_append_only_triggers_exist_after_upgrade(engine):
    _upgrade(engine)

    with engine.connect() as conn:
        present = append_only.existing_triggers(conn)
        conn.rollback()
    assert "audit_log" in _append_only_tables()
    for table in _append_only_tables():
        expected = {(name, table) for name in append_only.trigger_names(table, engine.dialect.name)}
        assert expected and expected <= present, f"{table}: append-only triggers missing"


def test_audit_log_refuses_update_and_delete_after_upgrade(engine):
    _upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (at, username, ip, action, entity, entity_id, summary, changes) "
            "VALUES (CURRENT_TIMESTAMP, 'u', '', 'create', 'Unit', '1', 'before', '{}')"
        ))

    for stmt in ("UPDATE audit_log SET summary = 'after'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(stmt))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT summary FROM audit_log")).scalars().all() == ["before"]
        conn.rollback()


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds(engine):
    _upgrade(engine)
    _downgrade(engine)

    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    with engine.connect() as conn:
        assert append_only.existing_triggers(conn) == set()
        if engine.dialect.name == "postgresql":
            leftovers = conn.execute(text(
                "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() UNION ALL "
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
            )).scalars().all()
            assert leftovers == []
        conn.rollback()
    _upgrade(engine)
    assert _diffs(engine) == []


def test_comparison_reports_a_model_column_the_migration_lacks(engine):
    """The guard against forgetting `make migration`: an extra model column is a difference."""
    _upgrade(engine)
    changed = MetaData()
    for table in options.target_metadata().tables.values():
        table.to_metadata(changed)
    changed.tables["currency"].append_column(Column("iso_numeric", String(3), nullable=True))
    with engine.begin() as conn:  # and a column the models no longer have
        conn.execute(text("ALTER TABLE unit ADD COLUMN legacy_code VARCHAR(16)"))

    diffs = {(d[0], d[2], d[3].name) for d in _diffs(engine, changed) if d[0] in ("add_column", "remove_column")}
    assert diffs == {("add_column", "currency", "iso_numeric"), ("remove_column", "unit", "legacy_code")}


def test_comparison_reports_missing_append_only_triggers(engine):
    _upgrade(engine)
    with engine.begin() as conn:
        for stmt in append_only.drop_sql("audit_log", engine.dialect.name):
            conn.execute(text(stmt))

    assert _diffs(engine) == [("add_append_only_triggers", "audit_log")]


def test_explicit_sequences_of_fab_tables_exist_on_postgresql(pg_scratch_url):
    """FAB's ids name a Sequence ("ab_user_id_seq"), which the migration must provide (as SERIAL)."""
    engine = create_engine(pg_scratch_url)
    try:
        _upgrade(engine)
        names = {
            col.default.name for table in options.target_metadata().tables.values()
            for col in table.columns if col.default is not None and getattr(col.default, "is_sequence", False)
        }
        assert "ab_user_id_seq" in names
        with engine.connect() as conn:
            for name in sorted(names):
                assert conn.execute(text("SELECT nextval(:s)"), {"s": name}).scalar() == 1, name
            conn.rollback()
    finally:
        engine.dispose()


def test_setup_command_migrates_a_fresh_database(db_url, tmp_path):
    """`flask --app run setup` (what `make run` does first) on an empty database: migrate, roles, demo, admin."""
    env = {**os.environ, "FABRIKA_INSTANCE": str(tmp_path / "instance"), "DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", "setup", "--admin-password", "pw-Setup-1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Admin user: admin" in result.stdout
    engine = _sqlite_engine(make_url(db_url).database) if db_url.startswith("sqlite") else create_engine(db_url)
    try:
        assert _diffs(engine) == []
        with engine.connect() as conn:
            roles = set(conn.execute(text("SELECT name FROM ab_role")).scalars())
            conn.rollback()
        assert {"Admin", "Warehouse"} <= roles
    finally:
        engine.dispose()
