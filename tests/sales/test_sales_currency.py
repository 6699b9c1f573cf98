"""Orders in another currency than the price lists': the client's own prices first, else the base price
list converted at the day's rate with the rate kept on the line; invoices stay in the order's currency
and another one is refused saying so."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import PriceList, PriceListItem
from app.services.sales import confirm_order, create_invoice
from tests import factories as f
from tests.api.test_stock_api import token
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal
TODAY = date.today()


@pytest.fixture
def shop(app):
    """RUB is the base; the base price list (RUB) has the standard robot at 24 900; EUR is 100 since yesterday."""
    pf.company("RUB")
    pf.rate("EUR", "95", on=TODAY - timedelta(days=10))
    pf.rate("EUR", "100", on=TODAY - timedelta(days=1))
    robot = fs.priced_item("ROBOT-STD", "24900")
    f.warehouse()
    return robot, fs.client("Escuela Robótica")


def _own_list(client, currency: str, robot, price: str) -> PriceList:
    plist = PriceList(name=f"{client.name} {currency}", currency=f.currency(currency), partner_id=client.id)
    db.session.add_all([plist, PriceListItem(price_list=plist, item=robot, price=D(price))])
    db.session.commit()
    return plist


def test_an_eur_order_is_priced_from_the_base_list_at_the_days_rate(shop):
    robot, client = shop
    order = fs.order(client, [(robot, 2)], currency_code="EUR", order_date=TODAY, tax_rate=D(21))
    [line] = order.lines
    assert (line.unit_price, line.base_price, line.price_rate) == (D(249), D(24900), D(100))
    assert (order.amount_net, order.amount_tax, order.amount_total) == (D(498), D("104.58"), D("602.58"))
    older = fs.order(client, [(robot, 1)], currency_code="EUR", order_date=TODAY - timedelta(days=5))
    assert (older.lines[0].unit_price, older.lines[0].price_rate) == (D("262.1053"), D(95))  # that day's rate


def test_the_clients_own_prices_come_first(shop):
    robot, client = shop
    _own_list(client, "EUR", robot, "230")
    [line] = fs.order(client, [(robot, 1)], currency_code="EUR", order_date=TODAY).lines
    assert (line.unit_price, line.base_price, line.price_rate) == (D(230), None, None)
    other = fs.client("Robokids")
    [line] = fs.order(other, [(robot, 1)], currency_code="EUR", order_date=TODAY).lines
    assert line.unit_price == D(249)  # a client's list is nobody else's
    [rub] = fs.order(other, [(robot, 1)], order_date=TODAY).lines
    assert (rub.unit_price, rub.price_rate) == (D(24900), None)


def test_the_order_page_shows_the_rate_on_the_line(shop, login_as):
    robot, client = shop
    order = fs.order(client, [(robot, 1)], currency_code="EUR", order_date=TODAY)
    page = login_as("Sales").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert ('converted from <span class="num">24,900.00</span> at the rate <span class="num">100</span>'
            in page)


def test_an_invoice_in_another_currency_is_refused_saying_so(shop, client):
    robot, customer = shop
    order = fs.order(customer, [(robot, 1)], currency_code="EUR", order_date=TODAY)
    confirm_order(db.session, order.id)
    with pytest.raises(DomainError) as err:
        create_invoice(db.session, order.id, currency_code="usd")
    assert err.value.messages() == ["An invoice is issued in its order's currency, EUR; an invoice in USD is not "
                                    "supported: make the order in USD"]
    h = token(client, "Sales")
    resp = client.post("/api/v1/sales_invoice/invoice", headers=h, json={"order_id": order.id, "currency": "USD"})
    assert resp.status_code == 422 and "an invoice in USD is not supported" in str(resp.json)
    resp = client.post("/api/v1/sales_invoice/invoice", headers=h, json={"order_id": order.id, "currency": "EUR"})
    assert resp.status_code == 201 and D(resp.json["amount_total"]) == D("298.80")
