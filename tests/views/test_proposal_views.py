"""Proposal pages per role: the configurator and its JSON endpoints, the floor-margin refusal translated,
the show page's buttons, both printed forms, the what-if page, the REST calculation."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models.proposals import Proposal
from app.services import proposals as svc
from app.services.proposals import InstalmentInput, ProposalInput
from tests.proposals import factories_proposals as fp


def _in(lang: str, msgid: str, **params) -> str:
    """The message as the catalogs translate it (the pending translations once compiled)."""
    from flask_babel import force_locale, gettext

    with force_locale(lang):
        return gettext(msgid) % params


def _body(robot, **kw) -> dict:
    body = {"model_id": robot.model.id, "partner_id": robot.partner.id, "qty": "4", "currency_id": robot.currency_id,
            "cost_source": "fifo", "selection": {str(robot.options["std"].id): 1, str(robot.options["board"].id): 2},
            "instalments": [{"pct": "50", "event": "order"}, {"pct": "50", "event": "delivery", "days": 10}]}
    body.update(kw)
    return body


def _saved(robot, send: bool = False) -> Proposal:
    p = svc.save_proposal(db.session, ProposalInput(
        robot.partner.id, robot.model.id, qty="4", currency_id=robot.currency_id,
        selection={robot.options["std"].id: 1}, instalments=[InstalmentInput("100")]))
    if send:
        svc.send_proposal(db.session, p.id)
    return p


@pytest.mark.parametrize("role,status", [("Sales", 200), ("Manager", 200), ("Engineer", 200), ("Economist", 200),
                                         ("Warehouse", 403), ("Production", 403)])
def test_the_configurator_page_per_role(app, login_as, role, status):
    robot = fp.robot(with_stock=False)
    resp = login_as(role).get(f"/proposals/configurator/?model={robot.model.id}")
    assert resp.status_code in ((status,) if status == 200 else (302, 403))
    if status == 200:
        html = resp.get_data(as_text=True)
        assert f'data-option="{robot.options["vision"].id}"' in html and "configurator.js" in html


def test_calc_returns_lines_totals_and_explained_blocked_options(app, login_as):
    robot = fp.robot()
    fp.rule("all", margin="20")
    client = login_as("Sales")
    resp = client.post("/proposals/configurator/calc", json=_body(robot, what_if_source="standard"))
    assert resp.status_code == 200
    data = resp.get_json()
    assert [ln["description"] for ln in data["lines"]] == ["N-BASE", "Processor Std (CPU-STD)", "Board (BOARD)"]
    assert data["totals"]["cost"] == "1,408.00" and data["totals"]["total"] == "1,760.00"
    assert data["totals"]["margin"] == "20" and data["violations"] == []  # 2 decimals at most, zeros trimmed
    lidar = data["options"][str(robot.options["lidar"].id)]
    assert lidar["blocked"] and lidar["reasons"] == ["Option 'Lidar' requires 'Processor Pro'"]
    assert data["options"][str(robot.options["board"].id)]["limit"] == 2
    assert data["options"][str(robot.options["npu"].id)]["inactive"]
    assert [s["amount"] for s in data["schedule"]] == ["880.00", "880.00"]
    # standard: nodes 4 x (70 + 4) + 252 labour, processors 4 x 95, boards 8 x 48
    assert data["what_if"]["cost"] == "1,312.00"
    assert db.session.query(Proposal).count() == 0


def test_calc_in_russian_explains_in_russian(app, login_as):
    robot = fp.robot(with_stock=False)
    client = login_as("Sales")
    client.get("/lang/ru")
    sel = {str(robot.options["std"].id): 1, str(robot.options["lidar"].id): 1}
    data = client.post("/proposals/configurator/calc", json=_body(robot, selection=sel)).get_json()
    assert data["violations"] == [_in("ru", "Option '%(option)s' requires '%(target)s'", option="Lidar (ru)",
                                      target="Processor Pro (ru)")]


def test_save_below_the_floor_sales_refused_in_its_language_manager_saves(app, login_as):
    robot = fp.robot()
    fp.rule("all", margin="10", floor="20")
    sales = login_as("Sales")
    resp = sales.post("/proposals/configurator/save", json=_body(robot))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0] == ("The margin 10% is below the floor of 20%: only a manager can "
                                           "approve it")
    sales.get("/lang/es")
    resp = sales.post("/proposals/configurator/save", json=_body(robot))
    assert resp.get_json()["errors"][0] == _in(
        "es", "The margin %(margin)s%% is below the floor of %(floor)s%%: only a manager can approve it", margin="10",
        floor="20")
    assert db.session.query(Proposal).count() == 0
    resp = login_as("Manager").post("/proposals/configurator/save", json=_body(robot))
    assert resp.status_code == 200 and resp.get_json()["url"].startswith("/proposalview/show/")
    assert db.session.query(Proposal).one().floor_override_by == "manager"


def test_engineer_may_compose_but_not_send(app, login_as):
    robot = fp.robot(with_stock=False)
    engineer = login_as("Engineer")
    resp = engineer.post("/proposals/configurator/save", json=_body(robot))
    assert resp.status_code == 200
    pk = resp.get_json()["id"]
    assert engineer.post(f"/proposalview/send/{pk}").status_code in (302, 403)
    assert db.session.get(Proposal, pk).state == "draft"
    assert login_as("Warehouse").post("/proposals/configurator/save", json=_body(robot)).status_code in (401, 403)


def test_the_show_page_offers_the_next_step_and_the_buttons_work(app, login_as):
    robot = fp.robot(with_stock=False)
    p = _saved(robot)
    sales = login_as("Sales")
    html = sales.get(f"/proposalview/show/{p.id}").get_data(as_text=True)
    assert 'data-action="send"' in html and 'data-action="configure"' in html
    assert sales.post(f"/proposalview/send/{p.id}").status_code == 302
    html = sales.get(f"/proposalview/show/{p.id}").get_data(as_text=True)
    assert 'data-action="approve"' in html and 'data-action="revise"' in html and 'data-action="send"' not in html
    sales.post(f"/proposalview/revise/{p.id}")
    v2 = db.session.query(Proposal).filter_by(version=2).one()
    assert v2.state == "draft" and not db.session.get(Proposal, p.id).is_current
    assert sales.post(f"/proposalview/approve/{p.id}", follow_redirects=True).status_code == 200
    assert db.session.get(Proposal, p.id).state == "sent"


def test_printed_forms_and_what_if_page(app, login_as):
    robot = fp.robot()
    p = _saved(robot, send=True)
    client = login_as("Economist")
    for form in ("customer", "internal"):
        resp = client.get(f"/proposalview/print/{form}/{p.id}?lang=es")
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    html = client.get(f"/proposalview/what-if/{p.id}").get_data(as_text=True)
    assert "Margin drift" in html and "FIFO" in html
    assert login_as("Warehouse").get(f"/proposalview/print/customer/{p.id}").status_code in (302, 403)


def test_rest_api_calc(app, login_as):
    robot = fp.robot(with_stock=False)
    resp = login_as("Sales").post("/api/v1/proposal/calc", json=_body(robot))
    assert resp.status_code == 200 and len(resp.get_json()["lines"]) == 3


def test_rejecting_from_the_page_keeps_the_clients_reason(app, login_as):
    robot = fp.robot()
    p = _saved(robot, send=True)
    sales = login_as("Sales")
    html = sales.get(f"/proposalview/show/{p.id}").get_data(as_text=True)
    assert 'name="reason"' in html  # the reject button carries a field for the client's reason

    resp = sales.post(f"/proposalview/reject/{p.id}", data={"reason": "  Budget moved to next year  "})

    assert resp.status_code == 302
    db.session.expire_all()
    done = db.session.get(Proposal, p.id)
    assert (done.state, done.reject_reason) == ("rejected", "Budget moved to next year")
    assert "Budget moved to next year" in sales.get(f"/proposalview/show/{p.id}").get_data(as_text=True)
