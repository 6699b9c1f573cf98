"""The stock API's create with "post": true: one call, one transaction, the post permission checked first."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.stock import StockBalance, StockDocument
from tests import factories as f
from tests.api.test_stock_api import token


def _receipt(wh, it, **extra) -> dict:
    return {"doc_type": "receipt", "warehouse_id": wh.id, "doc_date": "2026-11-02",
            "lines": [{"item_id": it.id, "qty": "4", "unit_cost": "2.5"}], **extra}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_and_post_in_one_call(app, client):
    wh, it = f.warehouse(), f.item("MB-1")
    h = token(client, "Warehouse")
    resp = client.post("/api/v1/stock_document/draft", headers=h, json=_receipt(wh, it, post=True))
    assert resp.status_code == 201, resp.json
    assert resp.json["state"] == "posted" and resp.json["number"]
    bal = db.session.scalar(select(StockBalance).where(StockBalance.item_id == it.id))
    assert bal.qty == 4 and bal.value == 10
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "StockDocument",
                                                               AuditLog.entity_id == str(resp.json["id"]))).all()
    assert sorted(actions) == ["create", "post"]


def test_a_role_that_may_not_post_is_refused_and_nothing_is_written(app, client):
    wh, it = f.warehouse(), f.item("MB-1")
    h = token(client, "Purchasing")  # may create stock documents, not post them
    docs, audit = _count(StockDocument), _count(AuditLog)
    resp = client.post("/api/v1/stock_document/draft", headers=h, json=_receipt(wh, it, post=True))
    assert resp.status_code == 403
    assert resp.json["errors"][0]["field"] == "post" and "post" in resp.json["message"][0]
    assert (_count(StockDocument), _count(AuditLog)) == (docs, audit)
    assert client.post("/api/v1/stock_document/draft", headers=h, json=_receipt(wh, it)).json["state"] == "draft"


def test_a_refused_posting_leaves_no_draft(app, client):
    wh, it = f.warehouse(), f.item("MB-1")
    h = token(client, "Warehouse")
    docs = _count(StockDocument)
    issue = {"doc_type": "issue", "warehouse_id": wh.id, "reason": "test", "post": True,
             "lines": [{"item_id": it.id, "qty": "3"}]}
    resp = client.post("/api/v1/stock_document/draft", headers=h, json=issue)
    assert resp.status_code == 422 and resp.json["errors"][0]["line"] == 1
    bad = client.post("/api/v1/stock_document/draft", headers=h, json=_receipt(wh, it, post="yes"))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "post"
    assert _count(StockDocument) == docs
