"""Trigram indexes for the "contains" searches on PostgreSQL (pg_trgm), created by the migration.

A "name contains" filter is `lower(name) LIKE '%text%'` (app/views/name_filters.py) or FAB's
`name ILIKE '%text%'`: no b-tree can serve a leading wildcard, so at 100,000 partners every keystroke
read the whole table. A GIN index over the trigrams of the same expression serves both LIKE and ILIKE.
pg_trgm ships with PostgreSQL (a trusted extension since 13: the database owner may create it); when
it is missing or refused, the migration goes on without the indexes and the searches scan as before.
SQLite has no such index: its lists stay as they are.

The indexes are not in the models (SQLAlchemy cannot declare an operator class portably), so the
schema comparison leaves them out by name (migrations/options.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

PREFIX = "trgm_"
# (index name, table, indexed expression): the expressions the list filters and lookups compare.
INDEXES: tuple[tuple[str, str, str], ...] = (
    ("trgm_partner_name", "partner", "name"),
    ("trgm_partner_name_lower", "partner", "lower(name)"),
    ("trgm_item_code_lower", "item", "lower(code)"),
    ("trgm_item_name_lower", "item", "lower(name)"),
    ("trgm_item_name_ru_lower", "item", "lower(name_ru)"),
    ("trgm_item_name_es_lower", "item", "lower(name_es)"),
    ("trgm_sales_order_number", "sales_order", "number"),
    ("trgm_proposal_number", "proposal", "number"),
)


def is_search_index(name: str | None) -> bool:
    return bool(name) and name.startswith(PREFIX)


def _trigrams_available(bind: Any) -> bool:
    """Create pg_trgm when the server has it; False (and nothing changed) when it is absent or refused."""
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        return False
    savepoint = bind.begin_nested()  # a refusal (not the owner, not trusted) must not abort the migration
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception:  # noqa: BLE001 - any refusal means: go on without the indexes
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def create(op: Any) -> None:
    """The trigram indexes on PostgreSQL when pg_trgm can be had; nothing elsewhere."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams_available(bind):
        return
    for name, table, expression in INDEXES:
        bind.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"))


def drop(op: Any) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        bind.execute(text(f"DROP INDEX IF EXISTS {name}"))
    bind.execute(text("DROP EXTENSION IF EXISTS pg_trgm"))  # back to base leaves nothing of ours behind
