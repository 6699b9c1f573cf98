"""Customer orders: pricing from the price list, discounts and VAT per line, confirming with reservations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.extensions import db
from app.models.sales import SalesOrder
from app.services.sales import OrderInput, OrderLineInput, cancel_order, confirm_order, create_order, update_order
from app.services.stock.reservations import reserved_for
from tests import factories as f
from tests.sales import factories_sales as fs

D = Decimal


def test_lines_priced_from_the_price_list_with_discount_and_vat_rounded_per_line(app, session):
    robot = fs.priced_item("ROBOT", "24900")
    kit = fs.priced_item("KIT", "7900.33")
    c = fs.client()
    o = fs.order(c, [(robot, 10, None, "5"), (kit, 3), (f.item("X"), "1.5", "0.07")])
    assert [(ln.unit_price, ln.amount_net, ln.amount_tax, ln.amount_total) for ln in o.lines] == [
        (D("24900"), D("236550.00"), D("47310.00"), D("283860.00")),
        (D("7900.33"), D("23700.99"), D("4740.20"), D("28441.19")),
        (D("0.07"), D("0.11"), D("0.02"), D("0.13")),
    ]
    assert (o.amount_net, o.amount_tax, o.amount_total) == (D("260251.10"), D("52050.22"), D("312301.32"))
    assert o.state == "draft" and o.number.startswith("SO-")


def test_calculator_line_remembers_its_version_and_inputs(app, session):
    c = fs.client()
    f.currency("RUB")
    o = create_order(session, OrderInput(c.id, [OrderLineInput(
        None, D(4), unit_price=D("41000"), description="Custom robot 400x300x250",
        calculator_version_id=7, calculator_inputs={"height": "400", "cpu": "A1"}, unit_cost_estimate=D("15200"))]))
    session.expire_all()
    line = session.get(SalesOrder, o.id).lines[0]
    assert (line.calculator_version_id, line.calculator_inputs, line.unit_cost_estimate) == (
        7, {"height": "400", "cpu": "A1"}, D("15200"))


def test_every_problem_reported_at_once_and_nothing_saved(app, session):
    f.currency("RUB")
    before = fs.sales_counts()
    with pytest.raises(DomainError) as err:
        create_order(session, OrderInput(999, [OrderLineInput(None, D(1)), OrderLineInput(None, D(-1), description="x"),
                                               OrderLineInput(f.item("NOPRICE").id, D(1), discount_pct=D(120))],
                                         currency_code="XXX"))
    msgs = err.value.messages()
    assert "Choose the client" in msgs
    assert "Unknown currency XXX" in msgs
    assert "Line 1: Choose an item or describe the line" in msgs
    assert "Line 2: Quantity must be positive" in msgs
    assert "Line 3: The discount must be between 0 and 100%" in msgs
    assert fs.sales_counts() == before


def test_confirm_reserves_what_the_warehouse_has(app, session):
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "24900")
    fs.stock(wh, robot, 3)
    o = fs.order(fs.client(), [(robot, 5)])
    confirm_order(session, o.id)
    assert o.state == "confirmed"
    assert reserved_for(session, "sales_order", o.id) == {(robot.id, wh.id): D(3)}
    cancel_order(session, o.id)
    assert reserved_for(session, "sales_order", o.id) == {}
    assert f.balance(robot, wh)[0] == D(3)


def test_confirm_with_no_lines_refused_and_nothing_changes(app, session):
    f.warehouse()
    o = fs.order(fs.client(), [(fs.priced_item("R", "10"), 1)])
    o.lines.clear()
    session.commit()
    with pytest.raises(DomainError) as err:
        confirm_order(session, o.id)
    assert err.value.messages() == ["The order has no lines: add what the client buys before confirming"]
    assert session.get(SalesOrder, o.id).state == "draft"


def test_discount_above_the_limit_needs_a_manager(app, session):
    f.warehouse()
    o = fs.order(fs.client(), [(fs.priced_item("R", "100"), 1, None, "30")])
    with pytest.raises(DomainError) as err:
        confirm_order(session, o.id)
    assert err.value.messages() == [
        "Line 1: A discount of 30% is above the 15% limit: a manager must confirm the order"]
    confirm_order(session, o.id, override=True)
    assert o.state == "confirmed"


def test_only_drafts_change(app, session):
    f.warehouse()
    r = fs.priced_item("R", "100")
    o = fs.order(fs.client(), [(r, 1)])
    update_order(session, o.id, OrderInput(o.partner_id, [OrderLineInput(r.id, D(2))], tax_rate=D(0)))
    assert (len(o.lines), o.lines[0].qty, o.amount_total) == (1, D(2), D("200.00"))
    confirm_order(session, o.id)
    with pytest.raises(DomainError, match="is “Order confirmed”: “Editing” is possible only in these states: Draft"):
        update_order(session, o.id, OrderInput(o.partner_id, [OrderLineInput(r.id, D(3))]))
    db.session.rollback()
