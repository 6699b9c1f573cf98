"""How autogenerate writes Fabrika's own column types (app.models.types) into a revision.

Alembic's default repr of a TypeDecorator copies the impl's arguments (`Money(precision=18,
scale=4)`), which our no-argument constructors reject. These types are fully described by their
class, so a revision says `app.models.types.Money()`; script.py.mako imports app.models.types
in every revision (hand-written ones too).

Comparing them needs nothing: Alembic compiles the model's type for the live dialect, which calls
load_dialect_impl, so a Money column is compared as BIGINT on SQLite and NUMERIC(18, 4) on
PostgreSQL, exactly what the revision created.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate.api import AutogenContext
from sqlalchemy.types import TypeDecorator

TYPES_MODULE = "app.models.types"


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render app.models.types columns as an importable no-argument call; default for the rest."""
    if type_ == "type" and isinstance(obj, TypeDecorator) and type(obj).__module__ == TYPES_MODULE:
        return f"{TYPES_MODULE}.{type(obj).__name__}()"
    return False
