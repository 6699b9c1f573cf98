"""The sales REST API: order draft, confirm, analysis, ship, invoice, pay; problems as 422; roles."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.models.sales import Payment, SalesOrder, Shipment
from tests import factories as f
from tests.api.test_stock_api import token
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal


def test_order_to_payment_through_the_api(app, client, session):
    pf.company()
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "24900")
    fs.stock(wh, robot, 5)
    c = fs.client("Robokids")
    h = token(client, "Manager")
    resp = client.post("/api/v1/sales_order/draft", headers=h, json={
        "partner_id": c.id, "tax_rate": "20", "lines": [
            {"item_id": robot.id, "qty": "4"},
            {"description": "Custom robot", "qty": "1", "unit_price": "41000", "calculator_version_id": 2,
             "calculator_inputs": {"height": "420"}}]})
    assert resp.status_code == 201, resp.json
    oid = resp.json["id"]
    assert resp.json["amount_total"] in ("168720.00", "168720.0000")
    assert client.post(f"/api/v1/sales_order/{oid}/confirm", headers=h).json["state"] == "confirmed"
    an = client.get(f"/api/v1/sales_order/{oid}/analysis", headers=h).json
    assert an["lines"][0]["reserved"] in ("4", "4.000000") and an["lines"][0]["why"]
    line_id = session.scalar(select(SalesOrder).where(SalesOrder.id == oid)).lines[0].id
    too_many = client.post("/api/v1/shipment/ship", headers=h, json={
        "order_id": oid, "lines": [{"order_line_id": line_id, "qty": "6"}]})
    assert too_many.status_code == 422
    assert too_many.json["message"] == ["Line 1: Only 4 of ROBOT are left to ship on the order, not 6"]
    assert session.scalar(select(func.count()).select_from(Shipment)) == 0
    shipped = client.post("/api/v1/shipment/ship", headers=h, json={"order_id": oid})
    assert shipped.status_code == 201 and shipped.json["lines"][0]["qty"] in ("4", "4.000000")
    inv = client.post("/api/v1/sales_invoice/invoice", headers=h, json={"order_id": oid})
    assert inv.status_code == 201
    iid = inv.json["id"]
    over = client.post(f"/api/v1/sales_invoice/{iid}/pay", headers=h, json={"amount": "999999"})
    assert over.status_code == 422 and "is more than the 168720 due" in over.json["message"][0]
    paid = client.post(f"/api/v1/sales_invoice/{iid}/pay", headers=h, json={"amount": "100000"})
    assert paid.status_code == 201 and paid.json["status"] == "partial"
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    for res in ("sales_order", "sales_order_line", "shipment", "sales_invoice", "sales_invoice_line",
                "sales_payment"):
        got = client.get(f"/api/v1/{res}/", headers=h)
        assert got.status_code == 200 and got.json["count"] >= 1, res


def test_bad_draft_lists_every_problem_and_roles(app, client):
    f.currency("RUB")
    h = token(client, "Sales")
    resp = client.post("/api/v1/sales_order/draft", headers=h, json={
        "partner_id": 999, "lines": [{"qty": "1"}, {"description": "x", "qty": "-1"}]})
    assert resp.status_code == 422
    assert resp.json["message"] == ["Choose the client", "Line 1: Choose an item or describe the line",
                                    "Line 2: Quantity must be positive"]
    # malformed values are refused before the service, each naming its field and line
    resp = client.post("/api/v1/sales_order/draft", headers=h, json={
        "partner_id": "abc", "lines": [{"qty": "1"}, {"description": "x", "qty": "abc"}]})
    assert resp.status_code == 422
    assert [(e["field"], e["line"]) for e in resp.json["errors"]] == [("partner_id", None), ("qty", 2)]
    assert client.post("/api/v1/shipment/ship", headers=h, json={}).status_code == 403  # Sales can't ship
    hp = token(client, "Production")
    assert client.get("/api/v1/sales_order/", headers=hp).status_code == 200
    assert client.post("/api/v1/sales_order/draft", headers=hp, json={}).status_code == 403
    assert client.get("/api/v1/sales_invoice/", headers=hp).status_code == 403
