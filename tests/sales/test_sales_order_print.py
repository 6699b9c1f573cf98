"""The customer order's printed form: net unit prices after the discount, totals, amount in words, the
Print button on the order page and the PDF behind it."""

from __future__ import annotations

from decimal import Decimal

from app.printing import render_html
from app.services.company import print_locale
from app.services.sales import confirm_order
from app.services.sales.printing import order_context
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal


def _order(session):
    pf.company()
    f.warehouse()
    kit = fs.priced_item("KIT", "7900")
    setup = fs.priced_item("SETUP", "1000.50", kind="service")
    return fs.order(fs.client("Robokids"), [(kit, 5, None, 5), (setup, 1)])


def test_the_form_shows_net_prices_totals_and_words(app, session):
    order = _order(session)
    loc, tr = print_locale("ru")
    ctx = order_context(session, order, loc, tr.gettext)
    # 5 x 7900 less 5% = 37525.00 (7505.00 a kit) + 1000.50 = 38525.50; VAT 20% 7705.10; total 46230.60
    assert [(ln["code"], ln["qty"], ln["price"], ln["amount"]) for ln in ctx["lines"]] == [
        ("KIT", D("5"), D("7505.00"), D("37525.00")), ("SETUP", D("1"), D("1000.50"), D("1000.50"))]
    assert (ctx["totals"]["net"], ctx["totals"]["tax"], ctx["totals"]["total"]) == (
        D("38525.50"), D("7705.10"), D("46230.60"))
    html = render_html("sales_order.html", ctx, loc, tr)
    assert "Сорок шесть тысяч двести тридцать рублей 60 копеек" in html and order.number in html


def test_the_order_page_prints_once_confirmed(app, session, login_as):
    order = _order(session)
    c = login_as("Sales")
    assert 'data-action="Print"' not in c.get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    confirm_order(session, order.id)
    assert 'data-action="Print"' in c.get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    resp = c.get(f"/salesorderview/print/{order.id}?lang=es")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert c.get("/salesorderview/print/999999").status_code == 404


def test_the_order_page_links_shipments_only_for_roles_that_may_open_them(app, session, login_as):
    """An engineer reads orders but not shipments: the shipment's number is text, no print icon that
    would end in 403 (the load test met those dead links); a sales manager gets both links."""
    from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order

    order = _order(session)
    from app.models import Warehouse

    fs.stock(session.query(Warehouse).filter_by(code="MAIN").one(), order.lines[0].item, 5, cost="4000")
    confirm_order(session, order.id)
    shipment = ship_order(session, ShipmentInput(order.id, [ShipmentLineInput(order.lines[0].id, "5")]))
    session.commit()
    engineer = login_as("Engineer").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert shipment.number in engineer
    assert f"/shipmentview/print/{shipment.id}" not in engineer
    assert f"/shipmentview/show/{shipment.id}" not in engineer
    sales = login_as("Sales").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert f"/shipmentview/print/{shipment.id}" in sales and f"/shipmentview/show/{shipment.id}" in sales
