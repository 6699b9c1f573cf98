"""Row-level reads and writes on the production orders' hot path (create, release, complete).

Creating an order and copying its routing's operations at release went through the ORM's unit of
work: a flush per object kind (dependency sort, attribute history, one INSERT per operation on
SQLite, which can't batch INSERT ... RETURNING) and lazy loads of the routing's operations and then
of each work centre. Here new rows go in with Core inserts on the driver (app/services/driver_sql.py,
ids as the stock ledger allocates them), their "create" audit rows written as the flush's events
would have written them (audit.created_rows), and the objects left persistent and clean in the
session, as after a flush. The routing's operations are read with their work centres' rates in one
statement built once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from app.domain.money import ZERO
from app.models.production import ProductionOperation, RoutingOperation, WorkCenter
from app.services import audit, driver_sql
from app.services.stock.document_rows import row_with_defaults
from app.services.stock.ledger_rows import insert_rows, insert_with_ids

_RO, _WC = RoutingOperation.__table__.c, WorkCenter.__table__.c
_ROUTING_OPERATIONS = (
    select(_RO.seq, _RO.name, _RO.name_ru, _RO.name_es, _RO.work_center_id, _RO.is_software, _RO.software_version,
           _RO.instructions, _RO.setup_minutes, _RO.run_minutes, _WC.labour_rate, _WC.overhead_rate)
    .join(WorkCenter.__table__, _WC.id == _RO.work_center_id)
    .where(_RO.routing_id == bindparam("routing_id")).order_by(_RO.seq, _RO.id))


def insert_objects(session: Session, objs: list[Any], parent: Any = None, audit_rows: list[dict] | None = None) -> None:
    """Write new objects of one class (one INSERT, or one executemany with allocated ids; ids the objects
    already hold are kept) with their "create" audit rows; the objects become persistent and clean.
    `parent`: the document the objects belong to, which their audit rows are titled by (its number);
    `audit_rows`: collect the rows there for the caller to write with the rest of its use case's."""
    if not objs:
        return
    rows = [row_with_defaults(obj) for obj in objs]
    table = type(objs[0]).__table__
    if all(row.get("id") is not None for row in rows):
        insert_rows(session, table, rows)
    else:
        insert_with_ids(session, table, rows)
    for obj, row in zip(objs, rows, strict=True):
        obj.id = row["id"]
        make_transient_to_detached(obj)
        session.add(obj)
    created = audit.created_rows(objs, [{"parent": parent}] * len(objs) if parent is not None else None)
    if audit_rows is None:
        audit.write(session, created)
    else:
        audit_rows.extend(created)


def write_changes(session: Session, objs: list[Any]) -> list[dict]:
    """UPDATE each object's changed columns (and its onupdate stamps) with one Core statement on the
    driver, leave it clean in the session, and return the audit rows the flush would have written
    for it: its transition's action (workflow.transition noted it) or "update", with the changes.

    The flush this replaces cost more than the posting it closes (dependency sort, per-object events,
    an UPDATE per changed column set). Only column changes: the caller sets foreign keys itself.
    """
    rows: list[dict] = []
    batches: dict[Any, list[dict]] = {}  # one executemany per statement (an order's operations share one)
    for obj in objs:
        state = inspect(obj)
        table, columns = _plan(state.mapper)
        values = {key: state.dict[key] for key in state.committed_state if key in columns}
        if not values:
            continue
        row = audit.update_row(session, obj)  # as the flush's after_update event reads the changes
        for key, stamp in _stamps(state.mapper):
            if key not in values:
                values[key] = stamp(None)
        keys = tuple(sorted(values))
        batches.setdefault(_update_of(table, keys), []).append({"b_id": obj.id, **{f"b_{k}": values[k] for k in keys}})
        state.dict.update(values)
        state._commit_all(state.dict, session.identity_map)  # noqa: SLF001 - what the flush does after its UPDATE
        if row is not None:
            rows.append(row)
    for stmt, params in batches.items():
        driver_sql.execute_many(session, stmt, params)
    return rows


@cache
def _plan(mapper) -> tuple[Any, frozenset[str]]:
    """The mapped table and its column attribute names (attribute and column keys are the same here)."""
    return mapper.local_table, frozenset(p.key for p in mapper.column_attrs)


@cache
def _stamps(mapper) -> tuple[tuple[str, Any], ...]:
    """(column, callable) of the Python-side onupdate values (updated_at) a flush would set."""
    return tuple((p.key, p.columns[0].onupdate.arg) for p in mapper.column_attrs
                 if p.columns[0].onupdate is not None and p.columns[0].onupdate.is_callable)


_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _update_of(table, keys: tuple[str, ...]):
    """UPDATE table SET these columns WHERE id = :b_id, built once per column set (driver_sql caches by
    statement object)."""
    found = _UPDATES.get((table.name, keys))
    if found is None:
        found = _UPDATES[(table.name, keys)] = update(table).where(table.c.id == bindparam("b_id")).values(
            {k: bindparam(f"b_{k}", type_=table.c[k].type) for k in keys})
    return found


def copy_operations(session: Session, order: Any, routing_id: int, audit_rows: list[dict]) -> list[ProductionOperation]:
    """The routing's operations written onto the order, with the work centres' rates of today; their
    audit rows go to `audit_rows`."""
    ops = [ProductionOperation(order_id=order.id, seq=seq, name=name, name_ru=name_ru, name_es=name_es,
                               work_center_id=wc_id, is_software=is_software, software_version=version,
                               instructions=instructions, planned_setup_minutes=setup, planned_run_minutes=run,
                               labour_rate=labour, overhead_rate=overhead, qty_reported=ZERO,
                               charged_setup_minutes=ZERO)
           for (seq, name, name_ru, name_es, wc_id, is_software, version, instructions, setup, run, labour,
                overhead) in driver_sql.fetch(session, _ROUTING_OPERATIONS, {"routing_id": routing_id})]
    insert_objects(session, ops, parent=order, audit_rows=audit_rows)
    return ops
