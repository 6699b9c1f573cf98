"""A calculator's "Add to proposal" (?calc_run=<id>) reaching the configurator, and the proposal page showing
the documents it made by number (linked), never by id."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from app.extensions import db
from app.models.sales import SalesOrder
from app.services import proposals as svc
from app.services.proposals import InstalmentInput, ProposalInput
from tests.proposals import factories_proposals as fp

D = Decimal


def _initial(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="cfg-initial">(.*?)</script>', html, re.S)
    assert m, "the configurator's initial configuration is missing"
    return json.loads(m.group(1))


def _run() -> int:
    from app.models.calculators import CalculationRun, Calculator, CalculatorVersion

    calc = Calculator(code="DOOR", name="Interior door")
    db.session.add(calc)
    db.session.flush()
    version = CalculatorVersion(calculator_id=calc.id, number=1)
    db.session.add(version)
    db.session.flush()
    run = CalculationRun(calculator_id=calc.id, version_id=version.id, inputs={"height": "2000"}, outputs={},
                         cost=D("1000"), price=D("1500"), description="Door 2000, oak")
    db.session.add(run)
    db.session.commit()
    return run.id


def test_add_to_proposal_opens_the_configurator_with_the_run_as_a_line(app, login_as):
    fp.robot(with_stock=False)
    run_id = _run()
    c = login_as("Sales")
    resp = c.get(f"/proposalview/add?calc_run={run_id}")
    assert resp.status_code == 302 and f"/proposals/configurator/?calc_run={run_id}" in resp.headers["Location"]
    initial = _initial(c.get(resp.headers["Location"]).get_data(as_text=True))
    assert {"run_id": run_id} in initial["extra_lines"]
    assert initial["tax_pct"] == "20"  # the sales VAT rate, not 0
    plain = _initial(c.get("/proposals/configurator/").get_data(as_text=True))
    assert plain["extra_lines"] == []


def test_the_warehouse_cannot_start_a_proposal(app, login_as):
    assert login_as("Warehouse").get("/proposalview/add?calc_run=1").status_code in (302, 403)


def test_a_converted_proposal_shows_its_order_by_number(app, login_as):
    robot = fp.robot()
    p = svc.save_proposal(db.session, ProposalInput(
        robot.partner.id, robot.model.id, qty="1", currency_id=robot.currency_id,
        selection={robot.options["std"].id: 1}, instalments=[InstalmentInput("100")]))
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    svc.convert_proposal(db.session, p.id, production=False)
    order = db.session.get(SalesOrder, db.session.get(type(p), p.id).sales_order_id)
    html = login_as("Manager").get(f"/proposalview/show/{p.id}").get_data(as_text=True)
    assert f'<a href="/salesorderview/show/{order.id}">{order.number}</a>' in html
