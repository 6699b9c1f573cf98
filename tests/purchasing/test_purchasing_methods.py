"""Each generation method on a hand-built history: exact quantities, reasons, no duplicates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.purchasing import PurchaseRequest, PurchaseRequestLine, PurchasingRun
from app.services.stock import reserve
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


@pytest.fixture
def cpu_story(base):
    """CPU: 85 received 60 days ago, 50 shipped 45 days ago, 30 over the last 30 days (on hand 5), 2 on order."""
    wh = f.warehouse()
    cpu = f.item("CPU")
    alpha = pf.supplier("Alpha")
    pf.offer(alpha, cpu, "100", lead=7, pack="4")
    f.receipt(wh, [(cpu, 85, 90)], on=TODAY - timedelta(days=60))
    for n, days in enumerate((25, 15, 5), start=1):
        pf.consume(cpu, wh, "10", TODAY - timedelta(days=days), doc_id=n)
    pf.consume(cpu, wh, "50", TODAY - timedelta(days=45), doc_id=9)  # before the period: not counted
    pf.purchase_order(alpha, wh, [(cpu, "3", "100", "1")])
    return wh, cpu, alpha


def test_sales_analysis_exact(cpu_story):
    wh, cpu, _ = cpu_story
    f.receipt(wh, [(cpu, 50, 90)], on=TODAY - timedelta(days=50))  # on hand 55 ...
    pf.consume(cpu, wh, "50", TODAY - timedelta(days=40), kind="issue", doc_id=20)  # ... a write-off: 5 again
    summary = pf.run("sales", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY,
                     safety_days=5)
    [line] = pf.lines_of(cpu)
    # 30 / 30 = 1 a day; x (7 + 5) = 12; 12 - 5 available - 2 on order = 5; packs of 4 -> 8
    assert line.qty == D(8) and line.amount_base == D(800)
    r = line.reason
    assert (r["method"], r["consumed"], r["daily"], r["cover_days"], r["demand"], r["on_hand"], r["on_order"]) == \
        ("sales", "30", "1", "12", "12", "5", "2")
    assert r["formula"] == "30 ÷ 30 = 1; 1 × (7 + 5) = 12; 12 − 5 − 2 = 5"
    assert r["rounding"] == "5 → 8" and r["supplier"] == "Alpha"
    assert summary.stats.lines_created == 1 and summary.value_base == D(800)


def test_sales_analysis_with_writeoffs_and_reservations(cpu_story):
    wh, cpu, _ = cpu_story
    pf.consume(cpu, wh, "3", TODAY - timedelta(days=2), kind="issue", doc_id=30)  # on hand 2
    reserve(db.session, "sales_order", 1, "SO-1", cpu.id, wh.id, D(1))
    db.session.commit()
    pf.run("sales", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY, safety_days=5,
           include_writeoffs="1")
    [line] = pf.lines_of(cpu)
    # 33 / 30 = 1.1; x 12 = 13.2; 13.2 - (2 - 1) - 2 = 10.2 -> 12 (packs of 4)
    assert line.reason["formula"] == "33 ÷ 30 = 1.1; 1.1 × (7 + 5) = 13.2; 13.2 − 1 − 2 = 10.2"
    assert line.qty == D(12)


def test_two_runs_never_duplicate_and_follow_the_need(cpu_story):
    wh, cpu, _ = cpu_story
    params = dict(warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY, safety_days=5)
    pf.run("sales", **params)
    second = pf.run("sales", **params)
    assert len(pf.lines_of(cpu)) == 1 and pf.lines_of(cpu)[0].qty == D(8)
    assert second.stats.lines_created == 0 and second.stats.requests_created == 0
    # another method sees the sales line as already requested: nothing more to add
    pf.reorder_point(cpu, wh, "6", "10")
    pf.run("minmax", warehouse_id=wh.id)
    assert len(pf.lines_of(cpu)) == 1
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequest)) == 1
    assert db.session.scalar(select(func.count()).select_from(PurchasingRun)) == 3


def test_a_sent_request_counts_as_requested(cpu_story):
    from app.services.purchasing import mark_sent

    wh, cpu, _ = cpu_story
    params = dict(warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY, safety_days=5)
    pf.run("sales", **params)
    mark_sent(db.session, pf.lines_of(cpu)[0].request_id)
    pf.run("sales", **params)
    assert [ln.qty for ln in pf.lines_of(cpu)] == [D(8)]  # 12 - 5 - 2 - 8 requested < 0: nothing new


def test_need_gone_removes_the_draft_line(cpu_story):
    wh, cpu, _ = cpu_story
    params = dict(warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY, safety_days=5)
    pf.run("sales", **params)
    f.receipt(wh, [(cpu, 100, 90)], on=TODAY)
    summary = pf.run("sales", **params)
    assert pf.lines_of(cpu) == [] and summary.stats.lines_removed == 1
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequest)) == 0


def test_minmax_exact(base):
    wh = f.warehouse()
    bolt, wheel, motor = f.item("BOLT"), f.item("WHEEL"), f.item("MOTOR")
    sup = pf.supplier("Alpha")
    pf.offer(sup, bolt, "2.5", min_qty="500", pack="100")
    pf.offer(sup, wheel, "70")
    f.receipt(wh, [(bolt, 120, 2), (wheel, 40, 70), (motor, 3, 400)], on=TODAY - timedelta(days=3))
    pf.reorder_point(bolt, wh, "200", "1000")  # 120 < 200: up to 1000 -> 880 -> packs of 100: 900
    pf.reorder_point(wheel, wh, "40", "80")  # 40 is not below 40: nothing
    pf.reorder_point(motor, wh, "5", "10")  # no offer: 7 to an unassigned request
    pf.run("minmax", warehouse_id=wh.id)
    got = {ln.item.code: (ln.qty, ln.request.supplier_id) for ln in pf.lines_of()}
    assert got == {"BOLT": (D(900), sup.id), "MOTOR": (D(7), None)}
    bolt_line = pf.lines_of(bolt)[0]
    assert bolt_line.reason["formula"] == "120 < 200; 1000 − 120 − 0 = 880"
    assert (bolt_line.reason["min"], bolt_line.reason["max"]) == ("200", "1000")


def test_matrix_items_below_their_minimum(base):
    wh = f.warehouse()
    cpu, mb, bolt = f.item("CPU"), f.item("MB"), f.item("BOLT")
    sup = pf.supplier("Alpha")
    pf.offer(sup, cpu, "100", min_qty="10")
    pf.offer(sup, mb, "200")
    f.receipt(wh, [(cpu, 2, 90), (mb, 9, 200), (bolt, 1, 2)], on=TODAY - timedelta(days=3))
    pf.reorder_point(cpu, wh, "5", "20")  # 2 < 5: 3 -> min order 10
    pf.reorder_point(mb, wh, "8", "20")  # 9: not below
    pf.reorder_point(bolt, wh, "5", "20")  # not in the matrix: left to min / max
    pf.run("matrix", warehouse_id=wh.id)
    assert [(ln.item.code, ln.qty, ln.reason["formula"]) for ln in pf.lines_of()] == [("CPU", D(10), "5 − 2 − 0 = 3")]


def test_invoice_analysis_counts_invoiced_not_shipped(base):
    from app.models.partners import Partner
    from app.models.sales import SalesInvoice, SalesInvoiceLine

    wh = f.warehouse()
    cpu = f.item("CPU")
    pf.offer(pf.supplier("Alpha"), cpu, "100")
    f.receipt(wh, [(cpu, 4, 90)], on=TODAY - timedelta(days=3))
    client = Partner(name="Robokids", is_customer=True)
    db.session.add(client)
    db.session.flush()
    rub = f.currency("RUB")
    for n, (state, qty, days) in enumerate([("posted", "6", 3), ("posted", "5", 10), ("cancelled", "9", 3),
                                             ("posted", "7", 60)]):
        db.session.add(SalesInvoice(number=f"INV-{n}", state=state, invoice_date=TODAY - timedelta(days=days),
                                    partner_id=client.id, currency_id=rub.id, lines=[
                                        SalesInvoiceLine(line_no=1, item_id=cpu.id, qty=D(qty), price=D(1),
                                                         amount=D(qty))]))
    db.session.commit()
    pf.run("invoices", warehouse_id=wh.id, period_days="30")
    [line] = pf.lines_of(cpu)
    assert line.qty == D(7) and line.reason["demand"] == "11" and line.reason["formula"] == "11 − 4 − 0 = 7"


@pytest.mark.parametrize("method, raw, message", [
    ("sales", {"date_from": "2026-10-31", "date_to": "2026-10-01"},
     "The period ends (2026-10-01) before it starts (2026-10-31)"),
    ("sales", {"safety_days": "-3"}, "Safety days cannot be negative"),
    ("abc", {"threshold_a": "95", "threshold_b": "80"}, "Thresholds must increase: A below B"),
    ("abc", {"cover_B": "-1"}, "Cover days cannot be negative (class B)"),
    ("abc", {"criterion": "colour"}, "Unknown criterion: colour"),
])
def test_bad_parameters_refused_and_nothing_written(cpu_story, method, raw, message):
    with pytest.raises(DomainError) as exc:
        pf.run(method, **raw)
    assert message in exc.value.messages()
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 0
    assert db.session.scalar(select(func.count()).select_from(PurchasingRun)) == 0


def test_all_problems_at_once(base):
    from app.services.purchasing.params import parse_params

    with pytest.raises(DomainError) as exc:
        parse_params("abc", {"date_from": "2026-10-31", "date_to": "2026-10-01", "threshold_a": "90",
                             "threshold_b": "90", "cover_A": "-5"})
    assert len(exc.value.problems) == 3


def test_cancelled_shipment_is_not_consumption(base):
    from app.services.base import unit_of_work
    from app.services.purchasing.sources import consumption
    from app.services.stock import DocRef, reverse_moves

    wh = f.warehouse()
    cpu = f.item("CPU")
    f.receipt(wh, [(cpu, 20, 10)], on=TODAY - timedelta(days=20))
    pf.consume(cpu, wh, "4", TODAY - timedelta(days=5), doc_id=1)
    pf.consume(cpu, wh, "6", TODAY - timedelta(days=4), doc_id=2, kind="production_issue")
    with unit_of_work(db.session):
        reverse_moves(db.session, DocRef("shipment", 1, "shipment-1", TODAY - timedelta(days=5)),
                      DocRef("shipment", 1, "shipment-1", TODAY - timedelta(days=3)))
    usage = consumption(db.session, TODAY - timedelta(days=29), TODAY, count_documents=True)
    assert (usage[cpu.id].qty, usage[cpu.id].cost, usage[cpu.id].documents) == (D(6), D(60), 2)
