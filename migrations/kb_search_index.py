"""The knowledge base's search index, created by the migration with the schema (not at the first search).

SQLite keeps it in an FTS5 virtual table (`kb_fts` and its shadow tables), PostgreSQL in `kb_tsv` (the
weighted tsvector per article, GIN-indexed): neither is a model, so Alembic cannot generate them and the
schema comparison leaves them out (migrations/options.py EXTERNAL_TABLES). scripts/regen_migration.sh
adds these two calls to the migration after every table and before any drop; the statements are the
search service's own (app/services/quality/kb_search.py create_index / drop_index), filled from the
articles already there.
"""

from __future__ import annotations

from typing import Any


def create(op: Any) -> None:
    from app.services.quality.kb_search import create_index

    create_index(op.get_bind())


def drop(op: Any) -> None:
    from app.services.quality.kb_search import drop_index

    drop_index(op.get_bind())
