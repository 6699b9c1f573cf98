"""Releasing and completing an order write each row once: one audit row with every field the step set."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.production import ProductionCompletion, ProductionOrder
from app.services.production import complete_order, release_order
from tests.services.test_production_example import DAY, build_plant, order_for


def test_release_writes_the_order_once_with_everything_it_set(session):
    plant = build_plant()
    robot = order_for(plant, "ROBOT", 1)
    before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    release_order(session, robot.id)
    rows = session.scalars(select(AuditLog).where(AuditLog.id > before, AuditLog.entity == "ProductionOrder",
                                                  AuditLog.entity_id == str(robot.id))).all()
    assert [r.action for r in rows] == ["release"], [(r.action, r.changes) for r in rows]
    changed = set(json.loads(rows[0].changes))
    assert {"bom_id", "routing_id", "number", "planned_material", "state"} <= changed, changed
    session.refresh(robot)
    assert robot.state == "released" and robot.number and robot.bom_id and robot.operations


def test_completion_writes_the_order_its_operations_and_receipt_once_each(session):
    """complete_order writes without the unit of work's flush: the rows hold what the audit log says, once."""
    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 5)
    release_order(session, order.id)
    before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    rec = complete_order(session, order.id, "2", DAY)
    rows = session.scalars(select(AuditLog).where(AuditLog.id > before).order_by(AuditLog.id)).all()
    by_entity = {(r.entity, r.action): json.loads(r.changes) for r in rows}
    assert sorted(by_entity) == [("ProductionCompletion", "create"), ("ProductionOperation", "update"),
                                 ("ProductionOrder", "complete")], [(r.entity, r.action) for r in rows]
    session.expire_all()  # what the database holds, not what the session kept
    order, rec = session.get(ProductionOrder, order.id), session.get(ProductionCompletion, rec.id)
    assert order.state == "in_progress" and order.qty_done == 2 and order.actual_material == rec.material_cost > 0
    assert by_entity[("ProductionOrder", "complete")]["qty_done"][1] == str(order.qty_done)
    assert by_entity[("ProductionCompletion", "create")]["output_value"][1] == str(rec.output_value)
    assert rec.output_value == rec.material_cost + rec.labour_cost + rec.overhead_cost
    assert all(op.charged_setup_minutes == op.planned_setup_minutes for op in order.operations)
