"""A calculator's "Add to order" (?calc_run=<id>) on the order entry page, a draft's calculator line kept
through an edit, and the logistics analysis read in the user's language and number format."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.sales import SalesOrder, SalesOrderLine
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
def calc_run(app, session):
    """A stored calculator result: version 2 priced a custom robot at 31 828 (cost 22 734)."""
    from app.models.calculators import CalculationRun, Calculator, CalculatorVersion

    pf.company()
    f.warehouse()
    fs.client("Robokids")
    calc = Calculator(code="ROBOTX", name="Custom robot")
    session.add(calc)
    session.flush()
    version = CalculatorVersion(calculator_id=calc.id, number=2)
    session.add(version)
    session.flush()
    run = CalculationRun(calculator_id=calc.id, version_id=version.id, inputs={"length": "420"}, outputs={},
                         cost=D("22734"), price=D("31828"), description="Robot 420 x 300 x 260 mm")
    session.add(run)
    session.commit()
    return run


def _post_entry(c, url: str, **lines) -> object:
    data = {"csrf_token": _csrf(c, url), "partner_name": "Robokids", "partner_id": "", "tax_rate": "20",
            "currency": "", "line_item": [""], "line_item_id": [""], "line_discount": [""]}
    data.update(lines)
    return c.post(url, data=data)


def test_add_to_order_carries_the_run_onto_the_entry_page(calc_run, login_as):
    c = login_as("Sales")
    resp = c.get(f"/salesorderview/add?calc_run={calc_run.id}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/salesorderview/entry?calc_run={calc_run.id}")
    html = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'value="Robot 420 x 300 x 260 mm"' in html
    # the price in the reader's format (grouped), which the form's parser reads back
    assert re.search('value="31[\u00a0 ,.]?828"', html) and f'value="run:{calc_run.id}"' in html


def test_an_unknown_run_is_said_and_no_line_is_added(calc_run, login_as):
    c = login_as("Sales")
    html = c.get("/salesorderview/entry?calc_run=999999", follow_redirects=True).get_data(as_text=True)
    assert "999999" in html and 'value="run:' not in html


def test_the_saved_line_keeps_the_version_inputs_and_cost_and_an_edit_keeps_them(calc_run, login_as, session):
    c = login_as("Sales")
    resp = _post_entry(c, "/salesorderview/entry", line_description=["Robot 420 x 300 x 260 mm"], line_qty=["2"],
                       line_price=["31828"], line_calc=[f"run:{calc_run.id}"])
    assert resp.status_code == 302
    line = session.scalars(select(SalesOrderLine)).one()
    assert (line.calculator_version_id, line.calculator_inputs, line.unit_cost_estimate, line.unit_price,
            line.qty) == (calc_run.version_id, {"length": "420"}, D("22734"), D("31828"), D("2"))
    order = session.scalars(select(SalesOrder)).one()
    url = f"/salesorderview/entry/{order.id}"
    assert f'value="line:{line.id}"' in c.get(url).get_data(as_text=True)
    resp = _post_entry(c, url, line_description=["Robot 420 x 300 x 260 mm"], line_qty=["3"],
                       line_price=["31828"], line_calc=[f"line:{line.id}"])
    assert resp.status_code == 302
    db.session.expire_all()
    kept = session.scalars(select(SalesOrderLine)).one()
    assert (kept.qty, kept.calculator_version_id, kept.calculator_inputs, kept.unit_cost_estimate) == (
        D("3"), calc_run.version_id, {"length": "420"}, D("22734"))


def test_a_line_of_another_order_is_not_borrowed(calc_run, login_as, session):
    """"line:<id>" only keeps the calculator data of the order being edited."""
    c = login_as("Sales")
    _post_entry(c, "/salesorderview/entry", line_description=["Robot"], line_qty=["1"], line_price=["100"],
                line_calc=[f"run:{calc_run.id}"])
    theirs = session.scalars(select(SalesOrderLine)).one()
    resp = _post_entry(c, "/salesorderview/entry", line_description=["Plain"], line_qty=["1"], line_price=["5"],
                       line_calc=[f"line:{theirs.id}"])
    assert resp.status_code == 302
    mine = session.scalars(select(SalesOrderLine).where(SalesOrderLine.id != theirs.id)).one()
    assert (mine.calculator_version_id, mine.calculator_inputs, mine.unit_cost_estimate) == (None, None, None)


def test_the_analysis_speaks_russian_names_and_numbers(app, session, login_as):
    pf.company()
    f.warehouse()
    kit = fs.priced_item("KIT", "7900")
    kit.name_ru = "Конструктор"
    session.commit()
    order = fs.order(fs.client("Robokids"), [(kit, "2.5")])
    confirm_order(session, order.id)
    c = login_as("Manager")
    c.get("/lang/ru")
    html = c.get(f"/salesorderview/analysis/{order.id}").get_data(as_text=True)
    assert "Конструктор" in html
    why = re.findall(r"<small>(.*?)</small>", html, re.S)
    assert why and any("2,5" in w for w in why)
    assert not any("2.5" in w or re.search(r"\d{4}-\d{2}-\d{2}", w) for w in why)


def test_a_service_order_offers_no_shipment_and_no_second_act(app, session, login_as):
    from app.services.sales.invoices import create_act

    pf.company()
    f.warehouse()
    setup = fs.priced_item("SETUP", "5000", kind="service")
    order = fs.order(fs.client("Robokids"), [(setup, "2")])
    confirm_order(session, order.id)
    c = login_as("Manager")
    html = c.get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert 'data-action="Act"' in html and 'data-action="Invoice"' in html and 'data-action="Ship"' not in html
    create_act(session, order.id)
    html = c.get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert 'data-action="Act"' not in html and 'data-action="Invoice"' in html
