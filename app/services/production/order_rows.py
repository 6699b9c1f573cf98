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

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from app.domain.money import ZERO
from app.models.production import ProductionOperation, RoutingOperation, WorkCenter
from app.services import audit, driver_sql
from app.services.stock.document_rows import _row_with_defaults
from app.services.stock.ledger_rows import insert_with_ids

_RO, _WC = RoutingOperation.__table__.c, WorkCenter.__table__.c
_ROUTING_OPERATIONS = (
    select(_RO.seq, _RO.name, _RO.name_ru, _RO.name_es, _RO.work_center_id, _RO.is_software, _RO.software_version,
           _RO.instructions, _RO.setup_minutes, _RO.run_minutes, _WC.labour_rate, _WC.overhead_rate)
    .join(WorkCenter.__table__, _WC.id == _RO.work_center_id)
    .where(_RO.routing_id == bindparam("routing_id")).order_by(_RO.seq, _RO.id))


def insert_objects(session: Session, objs: list[Any]) -> None:
    """Write new objects of one class (one INSERT, or one executemany with allocated ids) with their
    "create" audit rows; the objects get their ids and become persistent and clean in the session."""
    if not objs:
        return
    rows = [_row_with_defaults(obj) for obj in objs]
    insert_with_ids(session, type(objs[0]).__table__, rows)
    for obj, row in zip(objs, rows, strict=True):
        obj.id = row["id"]
        make_transient_to_detached(obj)
        session.add(obj)
    audit.write(session, audit.created_rows(objs))


def copy_operations(session: Session, order_id: int, routing_id: int) -> list[ProductionOperation]:
    """The routing's operations written onto the order, with the work centres' rates of today."""
    ops = [ProductionOperation(order_id=order_id, seq=seq, name=name, name_ru=name_ru, name_es=name_es,
                               work_center_id=wc_id, is_software=is_software, software_version=version,
                               instructions=instructions, planned_setup_minutes=setup, planned_run_minutes=run,
                               labour_rate=labour, overhead_rate=overhead, qty_reported=ZERO,
                               charged_setup_minutes=ZERO)
           for (seq, name, name_ru, name_es, wc_id, is_software, version, instructions, setup, run, labour,
                overhead) in driver_sql.fetch(session, _ROUTING_OPERATIONS, {"routing_id": routing_id})]
    insert_objects(session, ops)
    return ops
