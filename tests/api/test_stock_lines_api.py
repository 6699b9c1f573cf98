"""PUT /stock_document/<id>/lines: the page's lines grid through the REST API (same service, same refusals)."""

from __future__ import annotations

from decimal import Decimal

from app.models.stock import StockDocument
from tests import factories as f
from tests import factories_partners as fp
from tests.api.test_stock_api import token


def test_lines_saved_refused_by_row_and_field_and_by_version(app, client, session):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    supplier = fp.partner("Чип")
    h = token(client, "Warehouse")
    doc = client.post("/api/v1/stock_document/draft", headers=h, json={
        "doc_type": "receipt", "warehouse_id": wh.id, "partner_id": supplier.id,
        "lines": [{"item_id": cpu.id, "qty": "1", "unit_cost": "5"}]}).json["id"]
    shown = client.get(f"/api/v1/stock_document/{doc}", headers=h).json["result"]
    assert shown["partner"]["id"] == supplier.id and shown["row_version"] == 1
    resp = client.put(f"/api/v1/stock_document/{doc}/lines", headers=h | {"If-Match": "1"}, json={"lines": [
        {"item_id": cpu.id, "qty": "4", "unit_cost": "5"}, {"item_id": cpu.id, "qty": "0", "unit_cost": "5"}]})
    assert resp.status_code == 422
    assert [(e["line"], e["field"], e["message"]) for e in resp.json["errors"]] == [
        (2, "qty", "Line 2 (CPU-1), Quantity: Quantity must be positive")]
    resp = client.put(f"/api/v1/stock_document/{doc}/lines", headers=h | {"If-Match": "1"},
                      json={"lines": [{"item_id": cpu.id, "qty": "4", "unit_cost": "5"}]})
    assert resp.status_code == 200, resp.json
    stale = client.put(f"/api/v1/stock_document/{doc}/lines", headers=h | {"If-Match": "1"},
                       json={"lines": [{"item_id": cpu.id, "qty": "9", "unit_cost": "5"}]})
    assert stale.status_code == 422 and "since you opened it" in stale.json["message"][0]
    session.expire_all()
    assert [ln.qty for ln in session.get(StockDocument, doc).lines] == [Decimal(4)]
