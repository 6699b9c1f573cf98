"""The purchasing REST API: offers (validated), best offer, generate, confirm, receive; per role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.purchasing import PurchaseOrder, PurchaseRequest, PurchasingRun, SupplierOffer
from tests import factories as f
from tests.conftest import ROLE_PASSWORD
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


def token(client, role: str) -> dict:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                      "provider": "db"})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


@pytest.fixture
def story(base):
    wh = f.warehouse()
    cpu = f.item("CPU")
    alpha = pf.supplier("Alpha")
    pf.offer(alpha, cpu, "10", "EUR", lead=4)
    pf.offer(pf.supplier("Beta"), cpu, "1100", lead=1)
    pf.reorder_point(cpu, wh, "5", "20")
    return wh, cpu, alpha


def test_best_offer_and_alternatives(story, client):
    _, cpu, _ = story
    resp = client.get(f"/api/v1/supplier_offer/best?item={cpu.id}&qty=3&date={TODAY}", headers=token(client, "Sales"))
    assert resp.status_code == 200
    best = resp.json["result"]
    assert (best["supplier_name"], best["price"], best["currency"], best["price_base"]) == ("Alpha", "10.0000", "EUR",
                                                                                          "1000.0000")
    assert [a["supplier_name"] for a in best["alternatives"]] == ["Beta"]
    bad = client.get("/api/v1/supplier_offer/best?item=x", headers=token(client, "Sales"))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "item"  # the one refusal contract


def test_generate_confirm_receive(story, client):
    wh, cpu, _ = story
    h = token(client, "Purchasing")
    resp = client.post("/api/v1/purchase_request/generate", headers=h,
                       json={"methods": {"minmax": {"warehouse_id": wh.id}}})
    assert resp.status_code == 200 and resp.json["lines_created"] == 1 and resp.json["value_base"] == "20000.0000"
    again = client.post("/api/v1/purchase_request/generate", headers=h,
                        json={"methods": {"minmax": {"warehouse_id": wh.id}}})
    assert again.json["lines_created"] == 0
    req_id = db.session.scalar(select(PurchaseRequest.id))
    lines = client.get("/api/v1/purchase_request_line/", headers=h).json["result"]
    assert lines[0]["reason"]["formula"] == "0 < 5; 20 − 0 − 0 = 20"
    resp = client.post(f"/api/v1/purchase_request/{req_id}/confirm", headers=h)
    assert resp.status_code == 200
    order_id = resp.json["orders"][0]["id"]
    line_id = db.session.get(PurchaseOrder, order_id).lines[0].id
    assert client.post(f"/api/v1/purchase_order/{order_id}/receive", headers=token(client, "Sales"),
                       json={}).status_code == 403
    resp = client.post(f"/api/v1/purchase_order/{order_id}/receive", headers=token(client, "Warehouse"),
                       json={"lines": [{"order_line_id": line_id, "qty": "25"}]})
    assert resp.status_code == 422 and resp.json["message"] == ["Line 1: Received 25 is more than the 20 still "
                                                                 "expected"]
    resp = client.post(f"/api/v1/purchase_order/{order_id}/receive", headers=token(client, "Warehouse"),
                       json={"lines": [{"order_line_id": line_id, "qty": "20", "price": "10"}]})
    assert resp.status_code == 200 and resp.json["state"] == "received" and resp.json["price_difference"] is False
    assert f.balance(cpu, wh) == (D(20), D(20000))


def test_generate_refuses_bad_parameters(story, client):
    h = token(client, "Purchasing")
    resp = client.post("/api/v1/purchase_request/generate", headers=h, json={"methods": {
        "sales": {"date_from": "2026-10-31", "date_to": "2026-10-01"},
        "abc": {"threshold_a": "95", "threshold_b": "80", "cover_A": "-2"}}})
    assert resp.status_code == 422
    assert resp.json["message"] == ["The period ends (2026-10-01) before it starts (2026-10-31)",
                                    "Thresholds must increase: A below B", "Cover days cannot be negative (class A)"]
    assert db.session.scalar(select(func.count()).select_from(PurchasingRun)) == 0


@pytest.mark.parametrize("role, read, write", [("Purchasing", 200, 200), ("Sales", 200, 403),
                                               ("Warehouse", 200, 403), ("Service", 403, 403)])
def test_roles(story, client, role, read, write):
    wh, *_ = story
    h = token(client, role)
    assert client.get("/api/v1/purchase_request/", headers=h).status_code == read
    assert client.post("/api/v1/purchase_request/generate", headers=h,
                       json={"methods": {"minmax": {"warehouse_id": wh.id}}}).status_code == write


def test_offer_create_validated(story, client):
    _, cpu, alpha = story
    h = token(client, "Purchasing")
    rub = f.currency("RUB")
    before = db.session.scalar(select(func.count()).select_from(SupplierOffer))
    resp = client.post("/api/v1/supplier_offer/", headers=h, json={
        "supplier": alpha.id, "item": cpu.id, "price": "5", "currency": rub.id, "valid_from": "2026-10-10",
        "valid_to": "2026-10-01", "min_qty": "-1", "lead_time_days": 3})
    assert resp.status_code == 422
    assert resp.json["message"] == ["The offer ends before it starts", "The minimum order quantity cannot be negative"]
    assert db.session.scalar(select(func.count()).select_from(SupplierOffer)) == before
    resp = client.post("/api/v1/supplier_offer/", headers=h, json={
        "supplier": alpha.id, "item": cpu.id, "price": "5", "currency": rub.id, "valid_from": str(TODAY),
        "min_qty": "0", "lead_time_days": 3})
    assert resp.status_code == 201


def test_order_list_shows_on_order(story, client):
    wh, cpu, alpha = story
    pf.purchase_order(alpha, wh, [(cpu, "3", "10")])
    resp = client.get("/api/v1/purchase_order/", headers=token(client, "Sales"))
    assert resp.json["result"][0]["state"] == "sent" and TODAY - timedelta(days=1) < TODAY
