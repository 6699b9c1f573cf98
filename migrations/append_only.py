"""Append-only triggers as Alembic operations that autogenerate emits by itself.

A table is append-only when app.models.base.make_append_only marked it (`table.info["append_only"]`);
create_all gets its triggers from DDL events, which migrations never fire. So this module adds
`op.create_append_only_triggers(table)` / `op.drop_append_only_triggers(table)` and an autogenerate
comparator that compares the triggers in the database with the marks in the models: a new
append-only table (or a newly marked one) gets its triggers in the generated revision, and
`compare_metadata` reports a database whose triggers are missing. The DDL itself comes from
app.models.base.append_only_sql, the single source of the trigger text.
"""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations.ops import UpgradeOps
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.models.base import append_only_sql

_TRIGGER = re.compile(r"CREATE TRIGGER (\w+) ", re.IGNORECASE)
_FUNCTION = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(", re.IGNORECASE)
_registered = False


def trigger_names(table: str, dialect: str) -> set[str]:
    """The trigger names append_only_sql creates for `table` (empty for unsupported dialects)."""
    return {m.group(1) for stmt in append_only_sql(table, dialect) for m in _TRIGGER.finditer(stmt)}


def drop_sql(table: str, dialect: str) -> list[str]:
    """DDL undoing append_only_sql(table, dialect): the triggers, then their PostgreSQL function."""
    stmts = append_only_sql(table, dialect)
    triggers = sorted({m.group(1) for s in stmts for m in _TRIGGER.finditer(s)})
    functions = sorted({m.group(1) for s in stmts for m in _FUNCTION.finditer(s)})
    on_table = f" ON {table}" if dialect == "postgresql" else ""
    out = [f"DROP TRIGGER IF EXISTS {name}{on_table}" for name in triggers]
    return out + [f"DROP FUNCTION IF EXISTS {name}()" for name in functions]


def existing_triggers(conn: Connection) -> set[tuple[str, str]]:
    """(trigger, table) pairs of user-defined triggers in the connection's default schema."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        sql = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    elif dialect == "postgresql":
        sql = (
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    else:
        return set()
    return {(row[0], row[1]) for row in conn.execute(text(sql))}


class CreateAppendOnlyTriggersOp(MigrateOperation):
    """Make the database refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE on one table."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def create_append_only_triggers(cls, operations: Operations, table_name: str) -> Any:
        return operations.invoke(cls(table_name))

    def reverse(self) -> DropAppendOnlyTriggersOp:
        return DropAppendOnlyTriggersOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("add_append_only_triggers", self.table_name)


class DropAppendOnlyTriggersOp(MigrateOperation):
    """Allow UPDATE, DELETE and TRUNCATE on one table again (its append-only triggers are dropped)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def drop_append_only_triggers(cls, operations: Operations, table_name: str) -> Any:
        return operations.invoke(cls(table_name))

    def reverse(self) -> CreateAppendOnlyTriggersOp:
        return CreateAppendOnlyTriggersOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("remove_append_only_triggers", self.table_name)


def _create(operations: Operations, operation: CreateAppendOnlyTriggersOp) -> None:
    for stmt in append_only_sql(operation.table_name, operations.migration_context.dialect.name):
        operations.execute(stmt)


def _drop(operations: Operations, operation: DropAppendOnlyTriggersOp) -> None:
    for stmt in drop_sql(operation.table_name, operations.migration_context.dialect.name):
        operations.execute(stmt)


def _compare(autogen_context: AutogenContext, upgrade_ops: UpgradeOps, schemas: set[str | None]) -> Any:
    """Emit create ops after the tables are created and drop ops before anything is dropped."""
    if None not in schemas or autogen_context.connection is None or autogen_context.dialect is None:
        return PriorityDispatchResult.CONTINUE
    dialect = autogen_context.dialect.name
    present = existing_triggers(autogen_context.connection)
    wanted = {
        t.name for t in autogen_context.sorted_tables
        if t.info.get("append_only") and t.schema is None
        and autogen_context.run_object_filters(t, t.name, "table", False, None)
    }
    for name in sorted(wanted):
        expected = {(trigger, name) for trigger in trigger_names(name, dialect)}
        if not expected <= present:
            upgrade_ops.ops.append(CreateAppendOnlyTriggersOp(name))
    for name in sorted({table for _, table in present} - wanted):
        expected = {(trigger, name) for trigger in trigger_names(name, dialect)}
        if expected and expected <= present:
            upgrade_ops.ops.insert(0, DropAppendOnlyTriggersOp(name))
    return PriorityDispatchResult.CONTINUE


def _render_create(autogen_context: AutogenContext, op: CreateAppendOnlyTriggersOp) -> str:
    return f"op.create_append_only_triggers({op.table_name!r})"


def _render_drop(autogen_context: AutogenContext, op: DropAppendOnlyTriggersOp) -> str:
    return f"op.drop_append_only_triggers({op.table_name!r})"


def register() -> None:
    """Install the operations, their renderers and the comparator into Alembic (once per process).

    Alembic's registries are global, so a second registration would emit every op twice.
    """
    global _registered
    if _registered:
        return
    Operations.register_operation("create_append_only_triggers")(CreateAppendOnlyTriggersOp)
    Operations.register_operation("drop_append_only_triggers")(DropAppendOnlyTriggersOp)
    Operations.implementation_for(CreateAppendOnlyTriggersOp)(_create)
    Operations.implementation_for(DropAppendOnlyTriggersOp)(_drop)
    renderers.dispatch_for(CreateAppendOnlyTriggersOp)(_render_create)
    renderers.dispatch_for(DropAppendOnlyTriggersOp)(_render_drop)
    comparators.dispatch_for("schema", priority=DispatchPriority.LAST)(_compare)
    _registered = True
