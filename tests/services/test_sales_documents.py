"""Shipments, invoices, acts and payments: partial documents, exact amounts, refusals that write nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.services.sales import (
    PaymentInput,
    cancel_invoice,
    cancel_payment,
    client_balance,
    confirm_order,
    create_act,
    create_invoice,
    register_payment,
)
from app.services.sales.orders import safe_filename
from app.services.sales.shipments import (
    ShipmentInput,
    ShipmentLineInput,
    TransportInput,
    cancel_shipment,
    create_shipment,
    post_shipment,
    ship_order,
)
from app.services.stock.reservations import reserved_for
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.sales import factories_sales as fs

D = Decimal


@pytest.fixture
def confirmed(app, session):
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100.10")
    setup = fs.priced_item("SETUP", "33.33", kind="service")
    fs.stock(wh, robot, 4, cost="60")
    fs.stock(wh, robot, 6, cost="70", on=date(2026, 11, 2))
    o = fs.order(fs.client(), [(robot, 7), (setup, 3)])
    confirm_order(session, o.id)
    return wh, robot, o


def test_shipping_more_than_ordered_or_reserved_is_refused_and_nothing_moves(confirmed, session):
    wh, robot, o = confirmed
    robot_line = o.lines[0]
    before = fs.sales_counts()
    with pytest.raises(DomainError) as err:
        ship_order(session, ShipmentInput(o.id, [ShipmentLineInput(robot_line.id, "8"),
                                                 ShipmentLineInput(o.lines[1].id, "1")],
                                          transport=TransportInput(window_from="18:00", window_to="09:00",
                                                                   transport_cost="-1")))
    assert err.value.messages() == [
        "The delivery window must end after it starts",
        "The transport cost must be zero or positive",
        "Line 1: Only 7 of ROBOT are left to ship on the order, not 8",
        "Line 2: SETUP is a service: it goes on an act, not a shipment",
    ]
    assert fs.sales_counts() == before
    # another order gets the 3 robots left: shipping 4 of its 5 is more than it holds
    other = fs.order(o.partner, [(robot, 5)])
    confirm_order(session, other.id)
    with pytest.raises(DomainError) as err:
        ship_order(session, ShipmentInput(other.id, [ShipmentLineInput(other.lines[0].id, "4")]))
    assert err.value.messages() == [
        "Only 3 of ROBOT are reserved for the order, not 4: run the logistics analysis or wait for the goods"]
    assert fs.sales_counts() == before | {"sales_order": 2, "sales_order_line": 3, "stock_reservation": 2}


def test_partial_shipments_take_fifo_lots_and_move_the_order_on(confirmed, session):
    wh, robot, o = confirmed
    first = ship_order(session, ShipmentInput(o.id, [ShipmentLineInput(o.lines[0].id, "5")]))
    assert (first.lines[0].cost, o.state) == (D("310.00"), "in_fulfilment")  # 4 x 60 + 1 x 70
    assert reserved_for(session, "sales_order", o.id) == {(robot.id, wh.id): D(2)}
    with pytest.raises(DomainError, match="Only 2 of ROBOT are left to ship on the order, not 3"):
        ship_order(session, ShipmentInput(o.id, [ShipmentLineInput(o.lines[0].id, "3")]))
    draft = create_shipment(session, ShipmentInput(o.id))
    assert [(sl.qty, draft.state) for sl in draft.lines] == [(D(2), "draft")]
    post_shipment(session, draft.id)
    assert o.state == "shipped" and f.balance(robot, wh)[0] == D(3)
    cancel_shipment(session, draft.id)
    assert o.state == "in_fulfilment" and reserved_for(session, "sales_order", o.id) == {(robot.id, wh.id): D(2)}
    assert verify_stock(session) == []


def test_invoice_in_parts_adds_up_to_the_order_to_the_kopek(confirmed, session):
    _, _, o = confirmed
    # robot 7 x 100.10 = 700.70, VAT 140.14; setup 3 x 33.33 = 99.99, VAT 20.00
    assert (o.amount_net, o.amount_tax, o.amount_total) == (D("800.69"), D("160.14"), D("960.83"))
    a = create_invoice(session, o.id, [(o.lines[0].id, D(1)), (o.lines[1].id, D(1))])
    b = create_invoice(session, o.id, [(o.lines[0].id, D(3))])
    c = create_invoice(session, o.id)
    assert [(ln.qty, ln.amount, ln.amount_tax) for ln in c.lines] == [
        (D(3), D("300.30"), D("60.06")), (D(2), D("66.66"), D("13.33"))]
    assert a.amount_total + b.amount_total + c.amount_total == o.amount_total
    with pytest.raises(DomainError, match="Nothing is left to invoice on this order"):
        create_invoice(session, o.id)
    cancel_invoice(session, b.id)
    again = create_invoice(session, o.id, [(o.lines[0].id, D(3))])
    assert again.amount_total == b.amount_total
    act = create_act(session, o.id)
    assert [ln.item.code for ln in act.lines] == ["SETUP"] and act.due_date is None
    with pytest.raises(DomainError, match="Only service lines go on an act"):
        create_act(session, o.id, [(o.lines[0].id, D(1))])


def test_payments_partial_paid_overdue_balance_and_refusals(confirmed, session):
    _, _, o = confirmed
    inv = create_invoice(session, o.id, invoice_date=date.today() - timedelta(days=30))
    assert inv.due_date == date.today() - timedelta(days=20) and inv.payment_status == "overdue"
    before = fs.sales_counts()
    for amount, msg in (("0", "The payment amount must be positive"), ("abc", "Amount must be a number, not “abc”"),
                        ("1.005", "Too many decimal places in 1.005 (at most 2)"),
                        ("960.84", f"The payment of 960.84 is more than the 960.83 due on invoice {inv.number}")):
        with pytest.raises(DomainError) as err:
            register_payment(session, PaymentInput(inv.id, amount))
        assert err.value.messages() == [msg]
    assert fs.sales_counts() == before
    p1 = register_payment(session, PaymentInput(inv.id, "500"))
    assert (inv.amount_paid, inv.payment_status) == (D("500"), "overdue")
    [row] = client_balance(session, o.partner_id)
    assert (row.invoiced, row.paid, row.due, row.overdue) == (D("960.83"), D("500"), D("460.83"), D("460.83"))
    with pytest.raises(DomainError, match="The invoice has payments: cancel them first"):
        cancel_invoice(session, inv.id)
    register_payment(session, PaymentInput(inv.id, "460.83"))
    assert inv.payment_status == "paid"
    cancel_payment(session, p1.id)
    assert inv.amount_paid == D("460.83") and inv.payment_status == "overdue"
    act = create_act(session, o.id)
    with pytest.raises(DomainError, match="Payments are registered against invoices, not acts"):
        register_payment(session, PaymentInput(act.id, "1"))


def test_safe_file_names():
    assert safe_filename('../../etc/"passwd";\r\n.pdf') == "passwd.pdf"
    assert safe_filename("Спецификация заказа.pdf") == "Спецификация заказа.pdf"
    assert safe_filename("..") == "file"
