"""Stock documents through the pages: create a draft, add a line, post, refuse edits, cancel."""

from __future__ import annotations

from decimal import Decimal

from app.models.stock import StockBalance, StockDocument
from tests import factories as f
from tests import factories_partners as fp


def test_receipt_through_pages(app, session, login_as):
    wh = f.warehouse()
    it = f.item("CPU-1")
    intel = fp.partner("Intel")
    c = login_as("Warehouse")
    resp = c.post("/receiptview/add", data={"doc_date": "2026-11-20", "warehouse": wh.id, "partner": intel.id,
                                             "note": "", "rate": ""})
    import re
    assert resp.status_code == 302, re.findall(r"(?:text-danger|help-block|alert)[^<]*<?[^<]*", resp.data.decode())
    doc = session.query(StockDocument).one()
    assert doc.doc_type == "receipt" and doc.state == "draft"
    resp = c.post("/stockdocumentlineview/add", data={"document": doc.id, "item": it.id, "unit": it.unit_id,
                                                      "qty": "4", "unit_cost": "250.50", "note": ""})
    assert resp.status_code == 302
    page = c.get(f"/receiptview/show/{doc.id}")
    assert page.status_code == 200
    assert b"post_doc" in page.data
    resp = c.post(f"/receiptview/post/{doc.id}")
    assert resp.status_code == 302
    session.expire_all()
    doc = session.get(StockDocument, doc.id)
    assert doc.state == "posted" and doc.number
    bal = session.query(StockBalance).one()
    assert bal.qty == Decimal(4) and bal.value == Decimal("1002.00")
    # a posted document can't be edited or deleted through the pages
    c.post(f"/receiptview/edit/{doc.id}", data={"doc_date": "2026-11-21", "warehouse": wh.id,
                                                 "partner": "", "note": "", "rate": ""})
    c.post(f"/receiptview/delete/{doc.id}")
    session.expire_all()
    doc = session.get(StockDocument, doc.id)
    assert doc.counterparty == "Intel" and doc.state == "posted"
    for url in ("/stockbalanceview/list/", "/stockmoveview/list/", "/stocklotview/list/", "/receiptview/list/",
                "/itemview/list/", "/warehouseview/list/", "/stockbalanceview/export/xlsx",
                "/stockmoveview/export/csv"):
        assert c.get(url).status_code == 200, url


def test_sales_cannot_post(app, session, login_as):
    wh = f.warehouse()
    it = f.item("CPU-1")
    d = f.receipt(wh, [(it, 1, "1")], post=False)
    c = login_as("Sales")
    assert c.post(f"/receiptview/post/{d.id}").status_code == 403
    session.expire_all()
    assert session.get(StockDocument, d.id).state == "draft"


def test_posted_lines_offer_no_edit(app, session, login_as):
    wh = f.warehouse()
    it = f.item("CPU-2")
    draft = f.receipt(wh, [(it, 1, "5")], post=False)
    posted = f.receipt(wh, [(it, 1, "5")])
    c = login_as("Warehouse")
    assert 'id="stock-lines"' in c.get(f"/receiptview/show/{draft.id}").data.decode()
    page = c.get(f"/receiptview/show/{posted.id}").data.decode()
    assert 'id="stock-lines-table"' in page and 'id="stock-lines"' not in page and "remove-line" not in page
