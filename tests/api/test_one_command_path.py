"""One command path: a stock draft made on a page and through the API is refused by the same service
checks, in the same words; page commands run as one use case like their REST endpoints."""

from __future__ import annotations

import re
from html import unescape

from app.models.stock import StockDocument, StockDocumentLine
from tests import factories as f
from tests.api.test_stock_api import token


def _flashed(resp) -> list[str]:
    """The danger messages a page shows after a refused form."""
    return [unescape(m).strip() for m in re.findall(r'alert-danger[^>]*>(?:\s*<button[^>]*>.*?</button>)?\s*([^<]+)',
                                                    resp.get_data(as_text=True), flags=re.S)]


def test_page_and_api_refuse_a_write_off_without_reason_alike(app, session, client, login_as):
    wh = f.warehouse()
    it = f.item("MB-1")
    api = client.post("/api/v1/stock_document/draft", headers=token(client, "Warehouse"), json={
        "doc_type": "issue", "warehouse_id": wh.id, "doc_date": "2026-11-20", "reason": "",
        "lines": [{"item_id": it.id, "qty": "1"}]})
    assert api.status_code == 422
    assert api.json["message"] == ["Give the reason of the write-off"]
    page = login_as("Warehouse").post("/issueview/add", follow_redirects=True, data={
        "doc_date": "2026-11-20", "warehouse": wh.id, "reason": "", "partner_name": "", "note": ""})
    assert api.json["message"][0] in " ".join(_flashed(page)), _flashed(page)
    assert session.query(StockDocument).count() == 0


def test_page_and_api_refuse_a_line_of_a_service_alike(app, session, client, login_as):
    wh = f.warehouse()
    svc_item = f.item("INSTALL", kind="service")
    api = client.post("/api/v1/stock_document/draft", headers=token(client, "Warehouse"), json={
        "doc_type": "receipt", "warehouse_id": wh.id, "lines": [{"item_id": svc_item.id, "qty": "1",
                                                                 "unit_cost": "5"}]})
    assert api.status_code == 422
    assert api.json["message"] == ["Line 1: INSTALL is a service and has no stock"]
    c = login_as("Warehouse")
    c.post("/receiptview/add", data={"doc_date": "2026-11-20", "warehouse": wh.id, "partner_name": "",
                                     "note": "", "rate": ""})
    doc = session.query(StockDocument).one()
    page = c.post("/stockdocumentlineview/add", follow_redirects=True, data={
        "document": doc.id, "item": svc_item.id, "unit": svc_item.unit_id, "qty": "1", "unit_cost": "5", "note": ""})
    assert api.json["message"][0] in " ".join(_flashed(page)), _flashed(page)
    assert session.query(StockDocumentLine).count() == 0


def test_a_page_command_is_one_use_case(app, monkeypatch):
    """run_command runs its command through run_use_case (one transaction, retried on a deadlock)."""
    from app.services import base as services_base
    from app.views import base as views_base

    seen = []
    real = services_base.run_use_case

    def spy(session, use_case, *args, **kwargs):
        seen.append(use_case)
        return real(session, use_case, *args, **kwargs)

    monkeypatch.setattr(services_base, "run_use_case", spy)
    with app.test_request_context("/"):
        views_base.run_command(lambda: 42, lambda result: f"done {result}", "/")
    assert len(seen) == 1
