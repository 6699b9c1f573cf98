"""The Alembic context options Fabrika migrates and compares with, shared by env.py and the tests.

One place, so that `compare_metadata` in tests/test_migrations.py judges the schema exactly as
`flask db migrate` / scripts/regen_migration.sh would generate it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from migrations import append_only, column_types, search_indexes

# Tables other code creates for itself: APScheduler's SQLAlchemyJobStore made its own table (databases
# from before the claimed fires); the knowledge base's search index (app/services/quality/kb_search.py)
# builds SQLite's FTS5 table with its shadow tables, or PostgreSQL's tsvector table, on first use.
_FTS = ("kb_fts", "kb_fts_data", "kb_fts_idx", "kb_fts_content", "kb_fts_docsize", "kb_fts_config")
EXTERNAL_TABLES = frozenset({"apscheduler_jobs", "kb_tsv", *_FTS})
# Named CHECK constraints (ck_*) are compared too: Alembic only does that through this opt-in plugin.
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


def target_metadata() -> MetaData:
    """FAB's Model.metadata with every table registered: FAB's ab_* tables and all of Fabrika's."""
    import flask_appbuilder.security.sqla.models  # noqa: F401
    from flask_appbuilder import Model

    import app.models  # noqa: F401

    return Model.metadata


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Leave out what the models do not declare: external tables and the trigram search indexes."""
    if type_ == "index" and search_indexes.is_search_index(name):
        return False
    return not (type_ == "table" and name in EXTERNAL_TABLES)


def context_options() -> dict[str, Any]:
    """Keyword arguments for `context.configure` / `MigrationContext.configure(opts=...)`."""
    append_only.register()
    return {
        "target_metadata": target_metadata(),
        "compare_type": True,
        "render_as_batch": True,
        "render_item": column_types.render_item,
        "include_name": include_name,
        "autogenerate_plugins": AUTOGENERATE_PLUGINS,
    }
