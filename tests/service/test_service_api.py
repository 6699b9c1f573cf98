"""The service desk's REST API: register, move, refuse in words (422), repair only with the post right."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.models.service import ServiceRequest
from tests import factories as f
from tests.api.test_stock_api import token
from tests.sales import factories_sales as fs
from tests.service.factories_service import shipped_robot


def test_register_move_and_refuse(app, client):
    partner = fs.client()
    h = token(client, "Service")
    resp = client.post("/api/v1/service_request/", headers=h, json={"partner_id": partner.id, "subject": "Noise",
                                                                      "priority": "critical"})
    assert resp.status_code == 201, resp.json
    rid = resp.json["id"]
    assert resp.json["number"].startswith("SR") and resp.json["state"] == "new" and resp.json["sla"] in (
        "on_time", "at_risk", "breached")
    resp = client.post(f"/api/v1/service_request/{rid}/transition", headers=h, json={"action": "close"})
    assert resp.status_code == 422
    assert "“Closing” is possible only in these states: Resolved" in resp.json["message"][0]
    resp = client.post(f"/api/v1/service_request/{rid}/transition", headers=h, json={"action": "repair"})
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/service_request/{rid}/transition", headers=h, json={"action": "start"})
    assert resp.status_code == 200 and resp.json["state"] == "in_progress"
    resp = client.post("/api/v1/service_request/", headers=h, json={"subject": ""})
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json["errors"]} >= {"partner_id", "subject"}
    listed = client.get("/api/v1/service_request/", headers=h).json
    assert listed["count"] == 1 and listed["result"][0]["number"] == db.session.get(ServiceRequest, rid).number


def test_a_repair_needs_the_post_right(app, client):
    client_p, robot, _ship = shipped_robot(on=date(2026, 11, 20))
    wh = f.warehouse("PARTS")
    cpu = f.item("CPU")
    f.receipt(wh, [(cpu, 1, "777.77")], on=date(2026, 10, 1))
    service = token(client, "Service")
    rid = client.post("/api/v1/service_request/", headers=service, json={
        "partner_id": client_p.id, "subject": "Dead CPU", "item_id": robot.id}).json["id"]
    client.post(f"/api/v1/service_request/{rid}/transition", headers=service, json={"action": "start"})
    body = {"warehouse_id": wh.id, "parts": [{"item_id": cpu.id, "qty": "1"}]}
    assert client.post(f"/api/v1/service_request/{rid}/repair", headers=token(client, "Sales"),
                       json=body).status_code == 403
    resp = client.post(f"/api/v1/service_request/{rid}/repair", headers=service, json=body)
    assert resp.status_code == 200, resp.json
    assert resp.json["repair_cost"] == "777.7700" and resp.json["chargeable"] == "0.0000" and resp.json["warranty"]
