"""The stock REST API: JWT login, draft creation with validation, post, cancel, balances."""

from __future__ import annotations

from tests import factories as f
from tests.conftest import ROLE_PASSWORD


def token(client, role: str) -> dict:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                         "provider": "db", "refresh": True})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


def test_draft_post_cancel(app, client):
    wh = f.warehouse()
    it = f.item("MB-1")
    h = token(client, "Warehouse")
    resp = client.post("/api/v1/stock_document/draft", headers=h, json={
        "doc_type": "receipt", "warehouse_id": wh.id, "doc_date": "2026-11-02",
        "lines": [{"item_id": it.id, "qty": "5", "unit_cost": "12.5"}]})
    assert resp.status_code == 201, resp.json
    doc_id = resp.json["id"]
    resp = client.post(f"/api/v1/stock_document/{doc_id}/post", headers=h)
    assert resp.status_code == 200 and resp.json["state"] == "posted"
    again = client.post(f"/api/v1/stock_document/{doc_id}/post", headers=h)
    assert again.status_code == 422
    bal = client.get("/api/v1/stock_balance/", headers=h)
    assert bal.status_code == 200 and bal.json["count"] == 1
    assert str(bal.json["result"][0]["qty"]) in ("5", "5.000000", "5.0")
    resp = client.post(f"/api/v1/stock_document/{doc_id}/cancel", headers=h, json={"date": "2026-11-03"})
    assert resp.status_code == 200 and resp.json["state"] == "cancelled"


def test_bad_draft_lists_every_problem(app, client):
    wh = f.warehouse()
    it = f.item("MB-1")
    h = token(client, "Warehouse")
    resp = client.post("/api/v1/stock_document/draft", headers=h, json={
        "doc_type": "receipt", "warehouse_id": wh.id,
        "lines": [{"item_id": it.id, "qty": "-1", "unit_cost": "1"}, {"item_id": it.id, "qty": "abc"}]})
    assert resp.status_code == 422
    assert len(resp.json["message"]) >= 2


def test_roles_on_the_api(app, client):
    f.warehouse()
    h = token(client, "Sales")
    assert client.get("/api/v1/stock_balance/", headers=h).status_code == 200
    assert client.post("/api/v1/stock_document/draft", headers=h, json={}).status_code == 403
    assert app.test_client().get("/api/v1/stock_balance/").status_code == 401
