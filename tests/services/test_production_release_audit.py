"""Releasing an order writes it once: one audit row with every field the release set, not one per autoflush."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.models.audit import AuditLog
from app.services.production import release_order
from tests.services.test_production_example import build_plant, order_for


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
