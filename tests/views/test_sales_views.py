"""Sales pages per role: order entry, the order page and its actions, analysis, shipping, invoicing, paying."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.sales import Payment, SalesInvoice, SalesOrder, Shipment
from app.services.sales import confirm_order
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal


def _csrf(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return m.group(1) if m else ""


@pytest.fixture
def shop(app, session):
    pf.company()
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "24900")
    fs.stock(wh, robot, 10)
    return wh, robot, fs.client("Robokids")


def test_sales_enters_an_order_on_the_entry_page(shop, login_as, session):
    _, robot, client = shop
    c = login_as("Sales")
    page = c.get("/salesorderview/entry")
    assert page.status_code == 200 and 'id="order-entry"' in page.get_data(as_text=True)
    token = _csrf(c, "/salesorderview/entry")
    resp = c.post("/salesorderview/entry", data={
        "csrf_token": token, "partner_name": "Robokids", "partner_id": "", "tax_rate": "20", "currency": "",
        "line_item": ["ROBOT Robot", ""], "line_item_id": ["", ""], "line_description": ["", ""],
        "line_qty": ["3", ""], "line_price": ["", ""], "line_discount": ["10", ""]})
    assert resp.status_code == 302
    order = session.scalars(select(SalesOrder)).one()
    assert (order.partner_id, order.amount_net, order.amount_total) == (client.id, D("67230.00"), D("80676.00"))
    show = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert order.number in show and "Confirm" in show


def test_entry_with_bad_lines_shows_every_problem_and_saves_nothing(shop, login_as, session):
    c = login_as("Sales")
    token = _csrf(c, "/salesorderview/entry")
    resp = c.post("/salesorderview/entry", data={
        "csrf_token": token, "partner_name": "Nobody", "tax_rate": "20", "line_item": ["NOPE", "ROBOT"],
        "line_item_id": ["", ""], "line_description": ["", ""], "line_qty": ["1", "-2"], "line_price": ["", ""],
        "line_discount": ["", ""]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Choose the client" in html and "Line 1: Choose an active item" in html
    assert "Line 2: Quantity must be positive" in html
    assert session.scalars(select(SalesOrder)).all() == []


def test_order_page_actions_per_role(shop, login_as, session):
    _, robot, client = shop
    order = fs.order(client, [(robot, 2)])
    sales = login_as("Sales").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert 'data-action="Confirm"' in sales and "manager&#39;s override" not in sales
    assert "manager's override" in login_as("Manager").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    prod = login_as("Production").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert 'data-action="Confirm"' not in prod and order.number in prod
    assert login_as("Production").post(f"/salesorderview/confirm/{order.id}").status_code in (302, 403)
    assert session.get(SalesOrder, order.id).state == "draft"


def test_confirm_analyse_ship_invoice_pay_through_the_pages(shop, login_as, session):
    wh, robot, client = shop
    order = fs.order(client, [(robot, 4)])
    m = login_as("Manager")
    token = _csrf(m, f"/salesorderview/show/{order.id}")
    assert m.post(f"/salesorderview/confirm/{order.id}", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert session.get(SalesOrder, order.id).state == "confirmed"
    page = m.get(f"/salesorderview/analysis/{order.id}").get_data(as_text=True)
    assert "4 reserved for this order in the warehouse" in page
    w = login_as("Warehouse")
    form = w.get(f"/shipmentview/new/{order.id}").get_data(as_text=True)
    line_id = order.lines[0].id
    assert f'name="qty_{line_id}" value="4"' in form
    resp = w.post(f"/shipmentview/new/{order.id}", data={
        "csrf_token": _csrf(w, f"/shipmentview/new/{order.id}"), f"qty_{line_id}": "5", "window_from": "9"})
    text = resp.get_data(as_text=True)
    assert "Only 4 of ROBOT are left to ship on the order, not 5" in text
    assert "Give the delivery window as HH:MM, not 9" in text
    assert session.scalars(select(Shipment)).all() == []
    resp = w.post(f"/shipmentview/new/{order.id}", data={
        "csrf_token": _csrf(w, f"/shipmentview/new/{order.id}"), f"qty_{line_id}": "3"})
    assert resp.status_code == 302
    ship = session.scalars(select(Shipment)).one()
    assert ship.state == "posted" and w.get(f"/shipmentview/print/{ship.id}").mimetype == "application/pdf"
    s = login_as("Sales")
    assert s.post(f"/salesinvoiceview/from_order/{order.id}",
                  data={"csrf_token": _csrf(s, f"/salesorderview/show/{order.id}")}).status_code == 302
    inv = session.scalars(select(SalesInvoice)).one()
    assert inv.amount_total == D("119520.00")
    s.post(f"/salesinvoiceview/pay/{inv.id}", data={"csrf_token": _csrf(s, f"/salesinvoiceview/show/{inv.id}"),
                                                    "amount": "200000", "method": "bank"})
    assert session.scalars(select(Payment)).all() == []
    s.post(f"/salesinvoiceview/pay/{inv.id}", data={"csrf_token": _csrf(s, f"/salesinvoiceview/show/{inv.id}"),
                                                    "amount": "19520", "method": "bank"})
    session.expire_all()
    assert session.get(SalesInvoice, inv.id).amount_paid == D("19520.00")
    assert s.get(f"/salesinvoiceview/print/{inv.id}?lang=es").mimetype == "application/pdf"


def test_registers_lists_and_exports(shop, login_as, session):
    _, robot, client = shop
    order = fs.order(client, [(robot, 1)])
    confirm_order(session, order.id)
    m = login_as("Manager")
    for url in ("/salesorderview/list/", "/shipmentview/list/", "/salesinvoiceview/list/", "/paymentview/list/",
                "/sales/deliveries/", "/salesorderview/export/xlsx",
                f"/salesorderview/popular.json?partner_id={client.id}",
                "/salesorderview/lookup.json?what=item&q=ro"):
        assert m.get(url).status_code == 200, url
    assert m.get("/salesorderview/lookup.json?what=partner&q=robo").get_json() == [{"id": client.id,
                                                                                     "label": "Robokids"}]
    found = m.get(f"/salesorderview/list/?_flt_0_number={order.number[:4].lower()}").get_data(as_text=True)
    none = m.get("/salesorderview/list/?_flt_0_number=ZZ").get_data(as_text=True)
    assert order.number in found and order.number not in none
    popular = m.get(f"/salesorderview/popular.json?partner_id={client.id}").get_json()
    assert popular["client"][0]["code"] == "ROBOT" and popular["overall"][0]["orders"] == 1


def test_attachments_upload_download_with_a_safe_name(shop, login_as, session):
    import io

    _, robot, client = shop
    order = fs.order(client, [(robot, 1)])
    s = login_as("Sales")
    token = _csrf(s, f"/salesorderview/show/{order.id}")
    s.post(f"/salesorderview/attach/{order.id}", data={"csrf_token": token, "file": (
        io.BytesIO(b"spec"), "../../etc/Спецификация<1>.pdf")}, content_type="multipart/form-data")
    session.expire_all()
    [att] = session.get(SalesOrder, order.id).attachments
    assert att.filename == "Спецификация1.pdf" and att.content == b"spec"
    resp = s.get(f"/salesorderview/attachment/{att.id}")
    assert resp.data == b"spec"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="')
    assert "\n" not in resp.headers["Content-Disposition"]
