"""Printed sales forms: invoice, act and waybill in ru / es / en with amounts in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.printing import render_html
from app.services.sales import confirm_order, create_act, create_invoice
from app.services.sales.printing import invoice_context, shipment_context
from app.services.sales.shipments import ShipmentInput, TransportInput, ship_order
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal


@pytest.fixture
def shipped(app, session):
    pf.company()
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "24900")
    setup = fs.priced_item("SETUP", "1000.50", kind="service")
    fs.stock(wh, robot, 3)
    o = fs.order(fs.client("Robokids"), [(robot, 2), (setup, 1)])
    confirm_order(session, o.id)
    ship = ship_order(session, ShipmentInput(o.id, transport=TransportInput(
        carrier_id=fs.carrier("TransLog").id, vehicle="A123BC", driver="Petrov", window_from="09:00",
        window_to="12:00")))
    return o, ship


@pytest.mark.parametrize("locale, words", [
    ("ru", "Шестьдесят тысяч девятьсот шестьдесят рублей 60 копеек"),
    ("es", "Sesenta mil novecientos sesenta rublos con sesenta kopeykas"),
    ("en", "Sixty thousand, nine hundred and sixty roubles, sixty kopeks"),
])
def test_invoice_form_in_each_language(shipped, session, locale, words):
    o, _ = shipped
    inv = create_invoice(session, o.id)
    # 2 x 24900 + 1000.50 = 50800.50, VAT 10160.10, total 60960.60
    assert inv.amount_total == D("60960.60")
    from app.services.company import print_locale

    loc, tr = print_locale(locale)
    html = render_html("sales_invoice.html", invoice_context(session, inv, loc, tr.gettext), loc, tr)
    assert words in html


def test_act_and_waybill(shipped, session):
    o, ship = shipped
    act = create_act(session, o.id)
    ctx = invoice_context(session, act, "ru")
    assert ctx["is_act"] and [ln["code"] for ln in ctx["lines"]] == ["SETUP"]
    assert ctx["totals"]["total"] == D("1200.60")
    wctx = shipment_context(session, ship, "ru")
    assert (wctx["totals"]["net"], wctx["totals"]["tax"], wctx["totals"]["total"]) == (
        D("49800.00"), D("9960.00"), D("59760.00"))
    assert wctx["transport"]["window"] == "09:00–12:00" and wctx["transport"]["carrier"] == "TransLog"
    html = render_html("sales_waybill.html", wctx, "ru")
    assert "A123BC" in html and "Petrov" in html

