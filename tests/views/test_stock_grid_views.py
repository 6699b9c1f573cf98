"""Stock documents on the pages: the saved header opens its draft, the lines grid saves in one go, refusals
name the row, posted documents show the grid read-only, a return starts from its shipment."""

from __future__ import annotations

import re
from decimal import Decimal

from app.models.stock import StockDocument
from tests import factories as f
from tests import factories_partners as fp

D = Decimal


def _grid(rows: list[tuple]) -> dict:
    """The grid's parallel lists from (line_id, item_id, qty, unit, cost) rows."""
    keys = ("line_id", "line_item_id", "line_qty", "line_unit", "line_cost")
    data: dict[str, list] = {k: [] for k in keys} | {"line_item": [], "line_note": []}
    for row in rows:
        for k, v in zip(keys, row, strict=True):
            data[k].append(str(v))
        data["line_item"].append("")
        data["line_note"].append("")
    return data


def test_header_opens_the_draft_and_the_grid_saves_all_lines(app, session, login_as):
    wh, cpu, bolt = f.warehouse(), f.item("CPU-1"), f.item("BOLT")
    supplier = fp.partner("Чип")
    c = login_as("Warehouse")
    resp = c.post("/receiptview/add", data={"doc_date": "2026-11-20", "warehouse": wh.id, "partner": supplier.id,
                                             "note": "", "rate": ""})
    doc = session.query(StockDocument).one()
    assert resp.status_code == 302 and resp.location.endswith(f"/receiptview/show/{doc.id}")
    assert doc.partner_id == supplier.id
    page = c.get(resp.location).data.decode()
    assert 'id="stock-lines"' in page and "Чип" in page and 'name="row_version" value="1"' in page
    resp = c.post(f"/receiptview/lines/{doc.id}", data={"row_version": "1"} | _grid(
        [("", cpu.id, "4", "pcs", "250,50"), ("", bolt.id, "10", "pcs", "1")]))
    assert resp.status_code == 302
    session.expire_all()
    doc = session.get(StockDocument, doc.id)
    assert [(ln.line_no, ln.item.code, ln.qty, ln.unit_cost) for ln in doc.lines] == [
        (1, "CPU-1", D(4), D("250.5")), (2, "BOLT", D(10), D(1))]
    # an edit of the first row and the second removed: one save
    resp = c.post(f"/receiptview/lines/{doc.id}", data={"row_version": str(doc.row_version)} | _grid(
        [(doc.lines[0].id, cpu.id, "5", "pcs", "250,50")]))
    assert resp.status_code == 302
    assert c.post(f"/receiptview/post/{doc.id}").status_code == 302
    session.expire_all()
    doc = session.get(StockDocument, doc.id)
    assert doc.state == "posted" and [ln.qty for ln in doc.lines] == [D(5)]
    page = c.get(f"/receiptview/show/{doc.id}").data.decode()
    assert 'id="stock-lines-table"' in page and 'id="stock-lines"' not in page and "remove-line" not in page
    assert c.post(f"/receiptview/lines/{doc.id}", data=_grid([("", cpu.id, "1", "pcs", "1")])).status_code == 400


def test_grid_refusal_shows_the_typed_rows_and_names_the_row(app, session, login_as):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    draft = f.receipt(wh, [(cpu, 1, "5")], post=False)
    c = login_as("Warehouse")
    c.get("/lang/ru")
    resp = c.post(f"/receiptview/lines/{draft.id}", data=_grid([("", cpu.id, "3", "pcs", "5"),
                                                                ("", cpu.id, "0", "pcs", "5")]))
    page = resp.data.decode()
    assert resp.status_code == 400
    assert re.search(r"Строка 2 \(CPU-1\), Количество: ", page), page[:500]
    # what was typed is still there: two rows (and the empty row the page's script clones)
    assert 'class="line-no">2</td>' in page and 'class="line-no">3</td>' not in page and 'value="0"' in page
    session.expire_all()
    assert [ln.qty for ln in session.get(StockDocument, draft.id).lines] == [D(1)]


def test_item_picker_finds_by_code_or_name_in_any_case(app, session, login_as):
    it = f.item("ROB-1", name="Robot")
    it.name_ru = "Робот учебный"
    session.commit()
    c = login_as("Warehouse")
    for q in ("rob-1", "робот", "Робот", "ROBOT"):
        rows = c.get(f"/receiptview/items.json?q={q}").json
        assert [r["id"] for r in rows] == [it.id], q
        assert rows[0]["units"][0]["code"] == "pcs"


def test_printed_receipt_names_the_linked_supplier(app, session, login_as):
    from app.services.stock import DocumentInput, LineInput, create_document
    from tests.views.test_stock_printing import pdf_text

    wh, cpu = f.warehouse(), f.item("CPU-1")
    supplier = fp.partner("ООО «Чип»")
    doc = create_document(session, DocumentInput("receipt", wh.id, partner_id=supplier.id,
                                                 lines=[LineInput(cpu.id, "1", unit_cost="5")]))
    resp = login_as("Warehouse").get(f"/receiptview/print/{doc.id}?lang=ru")
    assert resp.status_code == 200 and "ООО «Чип»" in pdf_text(resp.data)


def test_return_page_starts_from_the_shipment(app, session, login_as):
    from app.services.sales import confirm_order
    from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
    from tests.sales import factories_sales as fs

    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100")
    fs.stock(wh, robot, 5, cost="60")
    order = fs.order(fs.client(), [(robot, 3)])
    confirm_order(session, order.id)
    ship = ship_order(session, ShipmentInput(order.id, [ShipmentLineInput(order.lines[0].id, "3")]))
    c = login_as("Warehouse")
    resp = c.post("/customerreturnview/add", data={"doc_date": "2026-11-20", "warehouse": wh.id,
                                                    "shipment": ship.id, "partner": "", "note": ""})
    doc = session.query(StockDocument).filter_by(doc_type="customer_return").one()
    assert resp.location.endswith(f"/customerreturnview/show/{doc.id}")
    assert doc.partner_id == ship.partner_id and doc.shipment_id == ship.id
    assert [(ln.item_id, ln.qty, ln.unit_cost) for ln in doc.lines] == [(robot.id, D(3), D(60))]
    page = c.get(resp.location).data.decode()
    assert f"{ship.number} ({order.number})" in page
    resp = c.post(f"/customerreturnview/lines/{doc.id}", data=_grid([(doc.lines[0].id, robot.id, "4", "pcs", "60")]))
    assert resp.status_code == 400 and "at most 3" in resp.data.decode()
