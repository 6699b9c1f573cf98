"""Warranty repairs: parts consumed FIFO through the warehouse services, cost to the kopek, the charge,
defective parts back in their own warehouse, and the last unit raced by a repair and an issue."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.service import ServiceRepair, ServiceRequest
from app.services.base import run_use_case
from app.services.service_desk import repairs as repairs_module
from app.services.service_desk.repairs import RepairInput, repair, repairs_by_product
from tests import factories as f
from tests.integrity.races import meet_before
from tests.service.factories_service import request, shipped_robot
from tests.services.test_stock_concurrency import run_together

D = Decimal


def _cpu():
    cpu = f.item("CPU", kind="component")
    cpu.sale_price = D("1800")
    db.session.commit()
    return cpu


def test_a_warranty_repair_costs_its_fifo_lots_and_is_free(app, session):
    client, robot, _ship = shipped_robot(on=date(2026, 11, 20))
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 1, "1000.10")], on=date(2026, 10, 1))
    f.receipt(wh, [(cpu, 2, "1100.35")], on=date(2026, 10, 2))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    assert req.warranty
    defect = f.warehouse("DEFECT")
    done = repair(session, req.id, RepairInput(wh.id, [(cpu.id, "2")], labour="500",
                                              defective_warehouse_id=defect.id))
    assert done.cost == D("2100.45") and done.chargeable == 0 and done.warranty
    assert req.repair_cost == D("2100.45") and req.chargeable == 0 and req.state == "in_progress"
    assert f.balance(cpu, wh) == (D(1), D("1100.35"))
    assert f.balance(cpu, defect) == (D(2), D(0))  # the replaced parts, worth nothing
    assert done.issue.source_ref == req.number and done.issue.state == "posted"
    [stats] = repairs_by_product(session)
    assert (stats.item_id, stats.repairs, stats.warranty, stats.cost) == (robot.id, 1, 1, D("2100.45"))


def test_a_repair_out_of_warranty_is_charged_parts_and_labour(app, session):
    client, robot, _ship = shipped_robot(months=1, on=date(2025, 1, 10))
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 3, "999.99")], on=date(2026, 10, 1))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    done = repair(session, req.id, RepairInput(wh.id, [(cpu.id, "2")], labour="450.50"))
    assert not req.warranty
    assert (done.cost, done.chargeable) == (D("1999.98"), D("4050.50"))


def test_a_repair_is_refused_unless_in_work_and_with_parts(app, session):
    client, robot, _ship = shipped_robot()
    wh = f.warehouse("PARTS")
    req = request(client, robot)
    with pytest.raises(DomainError) as exc:
        repair(session, req.id, RepairInput(wh.id, []))
    assert exc.value.problems[0].field == "parts"
    with pytest.raises(DomainError) as exc:
        repair(session, req.id, RepairInput(wh.id, [(robot.id, "1")]))
    assert "“New”" in exc.value.problems[0].render()


def test_not_enough_parts_leaves_nothing_behind(app, session):
    client, robot, _ship = shipped_robot()
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    req = request(client, robot, start=True)
    with pytest.raises(DomainError):
        repair(session, req.id, RepairInput(wh.id, [(cpu.id, "1")]))
    db.session.expire_all()
    assert session.scalars(select(ServiceRepair)).all() == []
    assert session.get(ServiceRequest, req.id).repair_cost == 0


def test_the_last_unit_goes_to_exactly_one_of_a_repair_and_an_issue(app, monkeypatch):
    client, robot, _ship = shipped_robot()
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 1, "1234.56")], on=date(2026, 10, 1))
    rid = request(client, robot, start=True).id
    issue_id = f.issue(wh, [(cpu, 1)], post=False).id
    wh_id, cpu_id = wh.id, cpu.id  # the workers must not touch the main thread's objects
    meet_before(monkeypatch, repairs_module, "post_document", 2)

    def work(k: int):
        # as the edges run them (one use case, retried on a lock); both meet right before posting
        if k == 0:
            return run_use_case(db.session, lambda: repair(db.session, rid, RepairInput(wh_id, [(cpu_id, "1")])).cost)
        return run_use_case(db.session, lambda: repairs_module.post_document(db.session, issue_id).number)

    results = run_together(app, 2, work)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}, [
        (k, [p.render() for p in r] if k == "refused" else r) for k, r in results]
    db.session.expire_all()
    assert f.balance(cpu, wh) == (D(0), D(0))
    repaired = db.session.scalars(select(ServiceRepair)).all()
    assert len(repaired) == (1 if results[0][0] == "ok" else 0)
    assert db.session.get(ServiceRequest, rid).repair_cost == (D("1234.56") if repaired else 0)
