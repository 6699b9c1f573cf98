"""The migration's trigram indexes (migrations/search_indexes.py) and the searches that use them.

On PostgreSQL the "contains" filters must be served by a GIN trigram index, not a scan of every row;
the indexes come from the migration, the schema comparison ignores them, and without pg_trgm the
migration still succeeds with the searches as before.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import create_engine, text

from migrations import options, search_indexes
from tests.test_migrations import _diffs, _downgrade, _upgrade, pg_scratch_url  # noqa: F401 - fixture


def _plan(conn, sql: str) -> str:
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # the cost of a scan of 20,000 rows is close to the index's
    return "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())


def _fill_partners(conn, count: int) -> None:
    """`count` partners named "Partner <n>" straight in SQL: every required column from its type."""
    columns = [c for c in options.target_metadata().tables["partner"].columns
               if not c.nullable and not c.primary_key and c.server_default is None]
    values = {"name": "'Partner ' || g", "name_norm": "'partner ' || g", "kind": "'company'", "language": "'ru'"}
    for col in columns:
        kind = col.type.python_type if hasattr(col.type, "python_type") else str
        default = {bool: "true", int: "0"}.get(kind, "now()" if "date" in kind.__name__ else "''")
        values.setdefault(col.name, default)
    names = ", ".join(values)
    conn.execute(text(f"INSERT INTO partner ({names}) SELECT {', '.join(values.values())} "
                      f"FROM generate_series(1, {count}) AS g"))
    conn.execute(text("ANALYZE partner"))


def test_contains_searches_use_trigram_indexes_after_upgrade(pg_scratch_url):  # noqa: F811
    engine = create_engine(pg_scratch_url)
    try:
        _upgrade(engine)
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'trgm_%'")).scalars())
            assert names == {name for name, _t, _e in search_indexes.INDEXES}
            _fill_partners(conn, 20_000)
            assert "trgm_partner_name " in _plan(conn, "SELECT id FROM partner WHERE name ILIKE '%robo%'")
            assert "trgm_partner_name_lower" in _plan(conn, "SELECT id FROM partner WHERE lower(name) LIKE '%робо%'")
            found = conn.execute(text("SELECT count(*) FROM partner WHERE name ILIKE '%ner 1999%'")).scalar()
            assert found == 11  # 1999, 19990-19999: the index finds what a scan finds
            conn.rollback()
        trigram_diffs = [d for d in _diffs(engine) if search_indexes.PREFIX in repr(d)]
        assert trigram_diffs == []  # not in the models, and not reported as a difference
        _downgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'trgm_%'")).scalar() == 0
            conn.rollback()
    finally:
        engine.dispose()


def test_migration_goes_on_without_pg_trgm(pg_scratch_url, monkeypatch):  # noqa: F811
    """A server without the extension (or a user refused it): no trigram index, no error, searches scan."""
    monkeypatch.setattr(search_indexes, "_trigrams_available", lambda bind: False)
    engine = create_engine(pg_scratch_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE partner (id serial PRIMARY KEY, name varchar(200))"))
            search_indexes.create(SimpleNamespace(get_bind=lambda: conn))
            assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'trgm_%'")).scalar() == 0
            conn.rollback()
    finally:
        engine.dispose()
