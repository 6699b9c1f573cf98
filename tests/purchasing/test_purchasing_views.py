"""Purchasing through the pages, per role: Purchasing writes and sends, Warehouse receives, Sales reads."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.purchasing import (
    PurchaseOrder,
    PurchaseReceipt,
    PurchaseRequest,
    PurchaseRequestLine,
    PurchasingRun,
    PurchasingSettings,
    SupplierOffer,
)
from app.services.purchasing.orders import orders_from_request
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY
LISTS = ("/purchaserequestview/list/", "/purchaseorderview/list/", "/supplierofferview/list/",
         "/reorderpointview/list/", "/purchasingrunview/list/", "/purchasing/", "/purchasing/generate/",
         "/purchasing/abc/", "/purchasing/best-offer/", "/purchasing/settings/")


def flashes(html: str) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


@pytest.fixture
def story(base):
    """MAIN warehouse, a CPU with two offers, 2 on hand, a reorder point 5 / 20."""
    wh = f.warehouse()
    cpu = f.item("CPU", "Processor A1")
    alpha, beta = pf.supplier("Alpha"), pf.supplier("Beta")
    pf.offer(alpha, cpu, "100", lead=5)
    pf.offer(beta, cpu, "120", lead=2)
    f.receipt(wh, [(cpu, 2, 90)], on=TODAY - timedelta(days=3))
    pf.reorder_point(cpu, wh, "5", "20")
    return wh, cpu, alpha


@pytest.mark.parametrize("role, status", [("Purchasing", 200), ("Sales", 200), ("Warehouse", 200),
                                          ("Manager", 200), ("Service", 403), ("Engineer", 403)])
def test_who_sees_purchasing(story, login_as, role, status):
    c = login_as(role)
    for url in LISTS:
        assert c.get(url).status_code == status, (role, url)


def _generate(client, wh):
    return client.post("/purchasing/generate/run", data={"method": "minmax", "warehouse_id": wh.id},
                       follow_redirects=True)


def test_purchasing_generates_and_the_line_says_why(story, login_as):
    wh, cpu, _ = story
    c = login_as("Purchasing")
    resp = _generate(c, wh)
    assert resp.status_code == 200 and "1 new lines" in flashes(resp.data.decode())
    line = db.session.scalar(select(PurchaseRequestLine))
    assert line.qty == D(18) and line.request.supplier.name == "Alpha"
    page = c.get(f"/purchaserequestlineview/show/{line.id}").data.decode()
    assert "2 &lt; 5; 20 − 2 − 0 = 18" in page and "Beta" in page  # the formula and the other offer
    req_page = c.get(f"/purchaserequestview/show/{line.request_id}").data.decode()
    assert 'data-action="email_doc"' in req_page and 'data-action="confirm_doc"' in req_page
    assert c.get("/purchasing/").data.decode().count("Alpha") == 0  # dashboard: the run, not the supplier
    assert db.session.scalar(select(func.count()).select_from(PurchasingRun)) == 1


def test_preview_writes_nothing(story, login_as):
    wh, *_ = story
    c = login_as("Sales")
    page = c.get(f"/purchasing/generate/?method=minmax&preview=1&warehouse_id={wh.id}").data.decode()
    assert "20 − 2 − 0 = 18" in page
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 0


@pytest.mark.parametrize("role", ["Sales", "Warehouse"])
def test_readers_and_warehouse_cannot_generate(story, login_as, role):
    wh, *_ = story
    assert _generate(login_as(role), wh).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequest)) == 0


def test_bad_parameters_from_the_page_are_flashed(story, login_as):
    c = login_as("Purchasing")
    resp = c.post("/purchasing/generate/run", data={"method": "sales", "date_from": "2026-10-31",
                                                    "date_to": "2026-10-01", "safety_days": "-1"},
                  follow_redirects=True)
    text = flashes(resp.data.decode())
    assert "The period ends (2026-10-01) before it starts (2026-10-31)" in text
    assert "Safety days cannot be negative" in text
    assert db.session.scalar(select(func.count()).select_from(PurchasingRun)) == 0


def test_confirm_send_and_receive_by_role(story, login_as):
    wh, cpu, _ = story
    _generate(login_as("Purchasing"), wh)
    req = db.session.scalar(select(PurchaseRequest))
    assert login_as("Sales").post(f"/purchaserequestview/confirm/{req.id}").status_code == 403
    resp = login_as("Purchasing").post(f"/purchaserequestview/confirm/{req.id}", follow_redirects=True)
    assert "made" in flashes(resp.data.decode())
    order = db.session.scalar(select(PurchaseOrder))
    line = order.lines[0]
    assert login_as("Sales").post(f"/purchaseorderview/receive/{order.id}").status_code == 403
    c = login_as("Warehouse")
    assert 'name="qty_' in c.get(f"/purchaseorderview/receive/{order.id}").data.decode()
    resp = c.post(f"/purchaseorderview/receive/{order.id}",
                  data={f"qty_{line.id}": "8", f"price_{line.id}": "105", "date": TODAY.isoformat()},
                  follow_redirects=True)
    text = flashes(resp.data.decode())
    assert "posted" in text and "Prices differ" in text
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).state == "partial"
    assert f.balance(cpu, wh)[0] == D(10)
    assert db.session.scalar(select(PurchaseReceipt.price_difference)) is True
    # Warehouse may not edit requests or offers
    assert c.get("/supplierofferview/add").status_code == 403


def test_files_of_a_request(story, login_as):
    wh, *_ = story
    c = login_as("Purchasing")
    _generate(c, wh)
    req = db.session.scalar(select(PurchaseRequest))
    for fmt, mime in (("xlsx", "spreadsheetml"), ("csv", "text/csv")):
        resp = login_as("Sales").get(f"/purchaserequestview/file/{req.id}/{fmt}")
        assert resp.status_code == 200 and mime in resp.mimetype
    resp = c.get(f"/purchaserequestview/print/{req.id}?lang=es")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_abc_page_chart_and_export(story, login_as):
    wh, cpu, _ = story
    pf.consume(cpu, wh, "1", TODAY - timedelta(days=1))
    c = login_as("Sales")
    args = f"run=1&warehouse_id={wh.id}&date_from={(TODAY - timedelta(days=30)).isoformat()}&date_to={TODAY}"
    page = c.get(f"/purchasing/abc/?{args}").data.decode()
    assert "chart.umd.min.js" in page and 'id="pareto"' in page and ">CPU<" in page
    resp = c.get(f"/purchasing/abc/?{args}&export=xlsx")
    assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
    bad = c.get(f"/purchasing/abc/?run=1&threshold_a=90&threshold_b=50&warehouse_id={wh.id}").data.decode()
    assert "Thresholds must increase: A below B" in flashes(bad)


def test_settings_saved_by_purchasing_refused_for_sales(story, login_as):
    wh, *_ = story
    data = {"nightly": ["minmax", "abc"], "warehouse_id": wh.id, "default_lead_time_days": "5",
            "abc__threshold_a": "70", "abc__threshold_b": "90", "abc__period_days": "60"}
    assert login_as("Sales").post("/purchasing/settings/save", data=data).status_code == 403
    c = login_as("Purchasing")
    bad = c.post("/purchasing/settings/save", data=dict(data, abc__threshold_b="60"), follow_redirects=True)
    assert "Thresholds must increase: A below B" in flashes(bad.data.decode())
    assert db.session.scalar(select(func.count()).select_from(PurchasingSettings)) == 0
    c.post("/purchasing/settings/save", data=data)
    row = db.session.scalar(select(PurchasingSettings))
    assert row.nightly_methods == ["abc", "minmax"] and row.parameters["abc"]["threshold_a"] == "70"
    resp = c.post("/purchasing/run", follow_redirects=True)
    assert "new lines" in flashes(resp.data.decode())


def test_offer_with_end_before_start_refused_in_the_form(story, login_as):
    wh, cpu, alpha = story
    c = login_as("Purchasing")
    before = db.session.scalar(select(func.count()).select_from(SupplierOffer))
    resp = c.post("/supplierofferview/add", data={
        "supplier": alpha.id, "item": cpu.id, "price": "10", "currency": f.currency("RUB").id,
        "valid_from": "2026-10-10", "valid_to": "2026-10-01", "min_qty": "0", "lead_time_days": "3",
        "active": "y"}, follow_redirects=True)
    assert "The offer ends before it starts" in resp.data.decode()
    assert db.session.scalar(select(func.count()).select_from(SupplierOffer)) == before


def test_best_offer_page(story, login_as):
    _, cpu, _ = story
    page = login_as("Sales").get("/purchasing/best-offer/?code=CPU&qty=1").data.decode()
    assert page.index("Alpha") < page.index("Beta")


def test_orders_from_request_page_links(story, login_as):
    wh, *_ = story
    _generate(login_as("Purchasing"), wh)
    [order] = orders_from_request(db.session, db.session.scalar(select(PurchaseRequest.id)))
    page = login_as("Warehouse").get(f"/purchaseorderview/show/{order.id}").data.decode()
    assert 'data-action="receive"' in page and 'data-action="export_doc-xlsx"' in page
