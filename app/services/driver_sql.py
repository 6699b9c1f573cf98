"""Hot statements run straight on the driver's cursor, compiled once per statement and dialect.

A one-line stock document sends about fifteen small statements; through `session.execute` each
one cost ~60 us of SQLAlchemy machinery (session and connection dispatch, cache key, execution
context, result object) against ~10 us in SQLite itself, which made the statement layer the
largest share of posting. Here a Core statement built once at import is compiled once per
dialect (and, for an INSERT, per set of given columns) into its SQL text, its bind order and
processors, the Python-side defaults SQLAlchemy would have filled, and its result processors;
each execution is then one `cursor.execute` in the session's own transaction.

What stays as with `session.execute`: the same connection and transaction (begun by
`session.connection()`, so BEGIN IMMEDIATE on SQLite), the same SQL and type conversions (the
dialect's own compiled processors: scaled-integer money on SQLite, dates), column defaults and
onupdate values, driver errors raised as SQLAlchemy's DBAPIError subclasses, and the engine's
`before_cursor_execute` / `after_cursor_execute` listeners (statement counters in the bench, the
tests and the JSON request log still see every statement). Statements that need per-call SQL
(expanding IN) or a SQL-expression default are refused here: callers keep those on the ORM path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Any

from sqlalchemy import Date, exc
from sqlalchemy.orm import Session, scoped_session

from app.models.types import _ScaledDecimal


class _Prepared:
    """One statement compiled for one dialect: what an execution needs, nothing else."""

    __slots__ = ("sql", "names", "procs", "fixed", "prefetch", "types", "result_procs", "plan")

    def __init__(self, stmt, dialect, keys: tuple[str, ...] | None, many: bool) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None,
                                for_executemany=many)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters need per-call SQL: use session.execute")
        self.sql = compiled.string
        # positional drivers (SQLite's qmark) take a tuple in this order; named ones (psycopg) a dict
        self.names = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        self.procs = tuple(compiled._bind_processors.items())
        self.fixed = {name: bp.effective_value for bp, name in compiled.bind_names.items() if not bp.required}
        self.prefetch = tuple(_default_of(c, compiled.insert_prefetch) for c in
                              (*compiled.insert_prefetch, *compiled.update_prefetch))
        self.types = tuple(rc[3] for rc in compiled._result_columns)
        self.result_procs: list | None = None
        procs = dict(self.procs)
        self.plan = tuple((name, procs.get(name)) for name in self.names) if self.names is not None else None

    def params(self, given: Mapping[str, Any]):
        """The driver's parameters: a tuple in bind order (SQLite), else a dict (psycopg)."""
        p = {**self.fixed, **given} if self.fixed or self.prefetch else given
        for key, is_scalar, arg in self.prefetch:
            if key not in p:
                p[key] = arg if is_scalar else arg(None)
        if self.plan is not None:
            return tuple([v if (v := p[name]) is None or proc is None else proc(v) for name, proc in self.plan])
        p = dict(p)
        for name, proc in self.procs:
            value = p.get(name)
            if value is not None:
                p[name] = proc(value)
        return p


def _default_of(column, inserting) -> tuple[str, bool, Any]:
    """(parameter key, is scalar, value or callable) of a column's Python-side default or onupdate."""
    arg, is_scalar, is_callable, _sentinel = (column._default_description_tuple if column in inserting
                                              else column._onupdate_description_tuple)
    if not (is_scalar or is_callable):
        raise ValueError(f"{column} has a SQL default: use session.execute")
    return column.key, bool(is_scalar), arg


_CACHE: dict[tuple, _Prepared] = {}


def _prepared(stmt, dialect, keys: tuple[str, ...] | None = None, many: bool = False) -> _Prepared:
    key = (stmt, dialect.name, keys, many)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = _Prepared(stmt, dialect, keys, many)
    return found


_CONN = "driver_sql_connection"


def plain(session: Session) -> Session:
    """The Session itself behind a scoped_session (Flask-SQLAlchemy's `db.session`).

    Every attribute of the scoped proxy looks the current Session up again (app context id, registry):
    a hot use case that resolves it once at its entry saves that lookup on each of its ~30 session and
    driver calls. The same Session object either way, so nothing else changes.
    """
    return session.registry() if isinstance(session, scoped_session) else session


def _connection(session: Session):
    """(Connection, DBAPI connection) of the session's transaction, beginning it if needed.

    Kept in session.info beside the SessionTransaction it belongs to, so the fifteen statements of
    one use case ask the session once: a new transaction (after a commit or rollback) asks again.
    """
    if isinstance(session, scoped_session):
        session = session.registry()
    found = session.info.get(_CONN)
    tx = session.get_transaction()
    if found is not None and found[0] is tx and tx is not None and tx.is_active:
        return found[1], found[2]
    conn = session.connection()
    found = (session.get_transaction(), conn, conn.connection.dbapi_connection)
    session.info[_CONN] = found
    return found[1], found[2]


def _run(conn, dbapi_conn, prep: _Prepared, params, many: bool):
    """Execute on the transaction's connection; return the cursor."""
    return _send(conn, dbapi_conn, prep.sql, params, many)


def _send(conn, dbapi_conn, sql: str, params, many: bool):
    """One cursor execution with the engine's cursor listeners around it and the driver's errors as
    SQLAlchemy's; return the cursor."""
    cursor = dbapi_conn.cursor()
    dispatch = conn.dispatch if conn._has_events or conn.engine._has_events else None
    if dispatch is not None and not dispatch.before_cursor_execute and not dispatch.after_cursor_execute:
        dispatch = None  # other events only (begin, connect): nothing to call around the cursor
    if dispatch is not None:
        for fn in dispatch.before_cursor_execute:
            fn(conn, cursor, sql, params, None, many)
    dialect = conn.dialect
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except dialect.loaded_dbapi.Error as err:
        raise exc.DBAPIError.instance(sql, params, err, dialect.loaded_dbapi.Error, dialect=dialect) from err
    if dispatch is not None:
        for fn in dispatch.after_cursor_execute:
            fn(conn, cursor, sql, params, None, many)
    return cursor


def execute_text(conn, sql: str) -> None:
    """A fixed statement without parameters (BEGIN IMMEDIATE) on a Connection's own DBAPI connection.

    What `conn.exec_driver_sql(sql)` does for such a statement (the cursor listeners see it, a driver
    error is SQLAlchemy's: "database is locked" stays an OperationalError the use case edge retries),
    without its execution context and result object: every write transaction on SQLite begins with one.
    """
    _send(conn, conn.connection.dbapi_connection, sql, (), False).close()


def _rows(prep: _Prepared, cursor, dialect) -> list[tuple]:
    rows = cursor.fetchall()
    if prep.result_procs is None:  # from the first result's column types, as SQLAlchemy does
        prep.result_procs = [t._cached_result_processor(dialect, d[1])
                             for t, d in zip(prep.types, cursor.description, strict=True)]
    procs = prep.result_procs
    if not any(procs):
        return rows
    return [tuple([v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True)]) for row in rows]


def fetch(session: Session, stmt, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """Rows of a SELECT (or an UPDATE / INSERT ... RETURNING) as plain tuples, values converted."""
    conn, dbapi_conn = _connection(session)
    prep = _prepared(stmt, conn.dialect)
    return _rows(prep, _run(conn, dbapi_conn, prep, prep.params(params or {}), False), conn.dialect)


def execute(session: Session, stmt, params: Mapping[str, Any] | None = None) -> int:
    """Run one UPDATE / DELETE / INSERT without results; the number of rows it touched."""
    conn, dbapi_conn = _connection(session)
    prep = _prepared(stmt, conn.dialect)
    return _run(conn, dbapi_conn, prep, prep.params(params or {}), False).rowcount


def execute_many(session: Session, stmt, rows: Sequence[Mapping[str, Any]]) -> None:
    """One executemany of the same statement (nothing when there are no rows); an INSERT's rows all
    give the same columns (the first row's)."""
    if not rows:
        return
    conn, dbapi_conn = _connection(session)
    prep = _prepared(stmt, conn.dialect, tuple(rows[0]) if stmt.is_insert else None, many=True)
    _run(conn, dbapi_conn, prep, [prep.params(r) for r in rows], True)


def insert_returning_id(session: Session, table, row: Mapping[str, Any]) -> int:
    """INSERT one row (its given columns plus Python-side defaults) and return its new id."""
    conn, dbapi_conn = _connection(session)
    keys = tuple(row)
    if conn.dialect.name == "sqlite":
        prep = _prepared(_insert_of(table), conn.dialect, keys)
        return _run(conn, dbapi_conn, prep, prep.params(row), False).lastrowid
    prep = _prepared(_insert_of(table, returning=True), conn.dialect, keys)
    return _run(conn, dbapi_conn, prep, prep.params(row), False).fetchone()[0]


_INSERTS: dict[tuple[str, bool], Any] = {}


def _insert_of(table, returning: bool = False):
    """table.insert() (with RETURNING id on PostgreSQL), built once per table."""
    key = (table.name, returning)
    if key not in _INSERTS:
        _INSERTS[key] = table.insert().returning(table.c.id) if returning else table.insert()
    return _INSERTS[key]


def bulk_insert(session: Session, table: Any, column_names: tuple[str, ...], rows: list[tuple]) -> None:
    """Write rows straight through the driver: COPY on PostgreSQL, one executemany on SQLite.

    A first run writes hundreds of thousands of lineage rows and tens of thousands of values; through
    insert() each value went through statement compilation and parameter processing, three quarters of
    the run's time. Here each column's own bind processor (money as scaled integers on SQLite, dates
    as text) is applied once per value, column by column.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    names = ", ".join(column_names)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in column_names]
    if any(procs):  # column by column: one map per column, not a generator per row
        columns: list[Any] = list(zip(*rows, strict=True))
        for n, f in enumerate(procs):
            if f is not None:
                columns[n] = _bound_column(table.c[column_names[n]].type, f, columns[n])
        rows = list(zip(*columns, strict=True))
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(column_names))})"
    for chunk in range(0, len(rows), 50_000):
        conn.exec_driver_sql(sql, rows[chunk:chunk + 50_000])


def _bound_column(kind: Any, process: Any, values: tuple) -> Any:
    """A column's values as SQLite stores them. A column of Decimals only (money: scaled integers, what
    the type's own processor gives) or of dates only (ISO text) is converted by C-level maps: half a
    million lineage rows made one Python call per value the largest part of a first run."""
    types = set(map(type, values))  # C-level; counting Nones would compare every Decimal with None
    if types == {type(None)}:
        return values
    if isinstance(kind, _ScaledDecimal) and types == {Decimal}:
        return map(int, map(Decimal.to_integral_value, map(Decimal.scaleb, values, repeat(kind.places))))
    if isinstance(kind, Date) and types == {date}:
        return map(date.isoformat, values)
    return map(process, values)
