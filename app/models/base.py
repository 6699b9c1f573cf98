"""Model building blocks: timestamps, the audited marker, append-only tables, document states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DDL, DateTime, Integer, String, Table, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def current_locale() -> str:
    """The request's language when there is one: names show in the reader's language ('en' outside one)."""
    try:
        from flask_babel import get_locale

        loc = get_locale()
        return str(loc.language) if loc else "en"
    except Exception:  # noqa: BLE001 - outside a request, the default name
        return "en"


class Keyed:
    """The surrogate key every table has, first among its columns (sort_order), so that lists, forms
    and the API keep showing it where the models used to declare it."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)


class LocalizedName:
    """label(locale): a register's name in the reader's language (name_ru, name_es), else the default."""

    def label(self, locale: str | None = None) -> str:
        return getattr(self, f"name_{locale or current_locale()}", "") or self.name

    def titled(self, locale: str | None = None) -> str:
        """The name with its code in brackets, as printed forms name a warehouse: "Основной склад (MAIN)"."""
        name, code = self.label(locale), getattr(self, "code", "") or ""
        return name if not code or name == code else f"{name} ({code})"


def translated(name_length: int, field: str = "name") -> type:
    """Mixin adding `<field>_ru` and `<field>_es` to a register that already declares its default `field`
    (a warehouse, a currency, a tag, a routing step), with LocalizedName.label: the same three-language
    naming as named(), for tables whose columns are declared by hand."""
    columns: dict[str, Any] = {
        f"{field}_{lang}": mapped_column(String(name_length), default="", nullable=False) for lang in ("ru", "es")
    }
    return type("Translated", (LocalizedName,), columns)


def localized(row: Any, field: str, locale: str | None = None) -> str:
    """`row.<field>` in the reader's language (`<field>_ru`, `<field>_es`), else the default text: for
    translated texts other than the name (a calculator's description, a parameter's unit)."""
    return getattr(row, f"{field}_{locale or current_locale()}", "") or getattr(row, field, "") or ""


def named(name_length: int, code_length: int | None = None) -> type:
    """Mixin of a register users name in three languages: Keyed's id, code (when `code_length` is given), name,
    name_ru, name_es, with LocalizedName.label. The lengths differ per register (a unit's name is
    short, an item's long), so each model asks for its own: `named(300, 64)`. The columns keep their
    place at the head of the table (sort_order), so lists, forms and the API show them in that order."""
    columns: dict[str, Any] = {}
    if code_length is not None:
        columns["code"] = mapped_column(String(code_length), unique=True, nullable=False, sort_order=-1)
    columns["name"] = mapped_column(String(name_length), nullable=False, sort_order=-1)
    for translated in ("name_ru", "name_es"):
        columns[translated] = mapped_column(String(name_length), default="", nullable=False, sort_order=-1)
    return type("Named", (Keyed, LocalizedName), columns)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class PostingStamps:
    """Who posted a document and who cancelled it, and when: stamped by the workflow's transitions
    (app/services/workflow.transition), the same four columns on every posted document."""

    posted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    posted_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)


class Audited:
    """Marker: every insert, update and delete of this model is written to the audit log."""

    __audit_exclude__: tuple[str, ...] = ("updated_at",)


class Versioned:
    """An editable register row that carries a version, so a save over a newer one is refused.

    `row_version` goes up by one with every UPDATE (SQLAlchemy's version_id_col: the UPDATE also
    checks the version it read, so a change committed in between fails the flush instead of being
    overwritten). An edit form and an API client carry the version they opened the row with, and
    app.services.versioning refuses the save when the stored one is newer ("changed by X at HH:MM").
    Named row_version, not version: a BOM already has a `version` (its engineering revision).
    Listed before Audited in the bases so the audit log leaves the counter out.
    """

    __audit_exclude__: tuple[str, ...] = ("updated_at", "row_version")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.row_version}


class DocState:
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"
    ALL = (DRAFT, POSTED, CANCELLED)


def append_only_sql(name: str, dialect: str) -> list[str]:
    """Trigger DDL that makes the database refuse UPDATE and DELETE on table `name`.

    On PostgreSQL also TRUNCATE, which fires no row trigger and would empty the table in one
    statement. SQLite has no TRUNCATE (its `DELETE FROM t` fires the delete trigger).
    """
    msg = f"{name} is append-only"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} BEGIN SELECT RAISE(ABORT, '{msg}'); END",
            f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} BEGIN SELECT RAISE(ABORT, '{msg}'); END",
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{msg}'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
            f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()",
        ]
    return []


def make_append_only(table: Table) -> None:
    """Make the database itself refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE on `table`.

    The triggers are created with the table (create_all; migrations call append_only_sql), so no
    view, API or hand-written SQL can rewrite history.
    """
    for dialect in ("sqlite", "postgresql"):
        for stmt in append_only_sql(table.name, dialect):
            event.listen(table, "after_create", DDL(stmt).execute_if(dialect=dialect))
    table.info["append_only"] = True
