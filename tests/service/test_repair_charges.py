"""A repair out of warranty is invoiced (parts at sale price, labour) in the repair's own transaction, and the
last unit of a part goes to exactly one of a repair and a real shipment posting (issue 17)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.sales import SalesInvoice
from app.models.service import ServiceRepair
from app.models.stock import StockDocument
from app.services.base import run_use_case
from app.services.sales import confirm_order
from app.services.sales import shipments as shipments_module
from app.services.sales.shipments import ShipmentInput, create_shipment, post_shipment
from app.services.service_desk import repairs as repairs_module
from app.services.service_desk.repairs import RepairInput, repair
from tests import factories as f
from tests.sales import factories_sales as fs
from tests.service.factories_service import request, shipped_robot
from tests.services.test_stock_concurrency import run_together

D = Decimal


def _cpu():
    cpu = f.item("CPU", kind="component")
    cpu.sale_price = D("1800")
    db.session.commit()
    return cpu


def test_a_paid_repair_issues_an_invoice_of_parts_at_sale_price_and_labour(app, session):
    client, robot, _ship = shipped_robot(months=1, on=date(2025, 1, 10), language="es")
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 3, "999.99")], on=date(2026, 10, 1))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    done = repair(session, req.id, RepairInput(wh.id, [(cpu.id, "2")], labour="450,50"))
    inv = session.get(SalesInvoice, done.invoice_id)
    assert inv.partner_id == client.id and inv.state == "posted" and inv.order_id is None
    assert [(ln.item_id, ln.qty, ln.price, ln.amount) for ln in inv.lines] == [
        (cpu.id, D(2), D(1800), D(3600)), (None, D(1), D("450.50"), D("450.50"))]
    assert inv.amount_net == done.chargeable == D("4050.50")
    assert inv.amount_total == inv.amount_net + inv.amount_tax and inv.amount_tax == D("810.10")  # 20 %
    assert inv.lines[1].description == f"Trabajo de reparación de la solicitud de servicio {req.number}"


def test_a_warranty_repair_issues_no_invoice(app, session):
    client, robot, _ship = shipped_robot(on=date(2026, 11, 20))
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 1, "1000")], on=date(2026, 10, 1))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    done = repair(session, req.id, RepairInput(wh.id, [(cpu.id, "1")], labour="500"))
    assert done.invoice_id is None and session.scalar(select(func.count(SalesInvoice.id))) == 0


def test_a_refused_invoice_leaves_no_repair_and_no_posted_issue(app, session, monkeypatch):
    client, robot, _ship = shipped_robot(months=1, on=date(2025, 1, 10))
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 1, "1000")], on=date(2026, 10, 1))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    issues_before = session.scalar(select(func.count(StockDocument.id)))

    def refuse(*_args, **_kw):
        raise DomainError("Set up the base currency first")

    monkeypatch.setattr(repairs_module, "create_charge_invoice", refuse)
    with pytest.raises(DomainError):
        run_use_case(db.session, lambda: repair(db.session, req.id, RepairInput(wh.id, [(cpu.id, "1")])))
    db.session.expire_all()
    assert session.scalars(select(ServiceRepair)).all() == []
    assert session.scalar(select(func.count(StockDocument.id))) == issues_before
    assert f.balance(cpu, wh) == (D(1), D(1000))


def _meet(monkeypatch, places: list[tuple[object, str]]) -> None:
    """Two threads wait for each other right before the calls at `places` (one meeting for all of them), so
    the repair's and the shipment's postings start together (on SQLite the first writer goes first)."""
    barrier = threading.Barrier(2)
    met: set[int] = set()
    for module, name in places:
        original = getattr(module, name)

        def wrapper(*args, _original=original, **kwargs):
            me = threading.get_ident()
            if me not in met and threading.current_thread() is not threading.main_thread():
                met.add(me)
                try:
                    barrier.wait(2.0)
                except threading.BrokenBarrierError:
                    pass
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, wraps(original)(wrapper))


def test_the_last_unit_goes_to_exactly_one_of_a_repair_and_a_shipment(app, monkeypatch):
    client, robot, _ship = shipped_robot()
    wh = f.warehouse("PARTS")
    cpu = fs.priced_item("CPU", "1800", kind="component", cost="1234.56")
    fs.stock(wh, cpu, 1, "1234.56", on=date(2026, 10, 1))
    order = fs.order(client, [(cpu, 1)], order_date=date(2026, 12, 1), warehouse_id=wh.id)
    confirm_order(db.session, order.id)
    ship_id = create_shipment(db.session, ShipmentInput(order.id, ship_date=date(2026, 12, 2))).id
    rid = request(client, robot, start=True).id
    wh_id, cpu_id = wh.id, cpu.id  # the workers must not touch the main thread's objects
    _meet(monkeypatch, [(repairs_module, "post_document"), (shipments_module, "post_moves")])

    def work(k: int):
        if k == 0:
            return run_use_case(db.session, lambda: repair(db.session, rid, RepairInput(wh_id, [(cpu_id, "1")])).cost)
        return run_use_case(db.session, lambda: post_shipment(db.session, ship_id).number)

    results = run_together(app, 2, work)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}, [
        (k, [p.render() for p in r] if k == "refused" else r) for k, r in results]
    db.session.expire_all()
    assert f.balance(cpu, wh) == (D(0), D(0))
    repaired = db.session.scalars(select(ServiceRepair)).all()
    assert len(repaired) == (1 if results[0][0] == "ok" else 0)


def test_the_repairs_note_is_written_in_the_clients_language_and_shown_in_the_readers(app, session):
    from flask_babel import force_locale

    from app.services.service_desk.repairs import shown_reason

    client, robot, _ship = shipped_robot(on=date(2026, 11, 20), language="ru")
    wh = f.warehouse("PARTS")
    cpu = _cpu()
    f.receipt(wh, [(cpu, 1, "1000")], on=date(2026, 10, 1))
    req = request(client, robot, opened=datetime(2026, 12, 1, 10, 0), start=True)
    with force_locale("es"):  # a Spanish-speaking engineer clicks
        done = repair(session, req.id, RepairInput(wh.id, [(cpu.id, "1")]))
    assert done.issue.reason == f"Ремонт по заявке {req.number}"
    with force_locale("es"):
        assert shown_reason(done.issue.reason) == f"Reparación de la solicitud de servicio {req.number}"
    with force_locale("en"):
        assert shown_reason(done.issue.reason) == f"Repair under service request {req.number}"
        assert shown_reason("damaged in transit") == "damaged in transit"
