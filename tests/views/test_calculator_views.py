"""Calculator pages per role: the Engineer edits (editor, test run, new version), Sales runs a calculator
and gets a stored result, the Warehouse sees none of it; the REST API runs and refuses the same way."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from app.models.calculators import CalculationRun, Calculator, CalculatorVersion
from tests.calculators.factories_calculators import builtin_calculators


@pytest.fixture
def calcs(app):
    return builtin_calculators()


def _definition(session, calc_id: int) -> dict:
    v = session.get(Calculator, calc_id).current_version
    return {"parameters": v.parameters, "formulas": v.formulas, "outputs": v.outputs}


@pytest.mark.parametrize(("role", "status"), [("Engineer", 200), ("Economist", 200), ("Sales", 200),
                                              ("Warehouse", 403), ("Production", 403)])
def test_who_sees_the_calculators_and_their_run_page(calcs, login_as, role, status):
    client = login_as(role)
    assert client.get("/calculatorview/list/").status_code == status
    assert client.get(f"/calculatorview/run/{calcs['DOOR']}").status_code == status
    assert client.get("/calculationrunview/list/").status_code == status


@pytest.mark.parametrize(("role", "status"), [("Engineer", 200), ("Sales", 403), ("Warehouse", 403)])
def test_only_writers_open_the_editor_and_its_test_run(calcs, login_as, role, status):
    client = login_as(role)
    assert client.get(f"/calculatorview/editor/{calcs['DOOR']}").status_code == status
    assert client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json={}).status_code == status


def test_sales_runs_a_calculator_and_gets_a_stored_result(session, calcs, login_as):
    client = login_as("Sales")
    page = client.get(f"/calculatorview/run/{calcs['ROBOT']}").get_data(as_text=True)
    assert 'name="case_height"' in page and "Processor B2" in page
    resp = client.post(f"/calculatorview/run/{calcs['ROBOT']}", data={
        "case_height": "420", "case_width": "300", "case_depth": "260", "processor": "B2", "boards": "3",
        "board_kind": "motor", "nodes": "3", "paint": "0,35"})
    run = session.query(CalculationRun).one()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calculationrunview/show/{run.id}")
    assert (run.cost, run.price, run.created_by) == (D("22734.00"), D("31828"), "sales")
    shown = client.get(f"/calculationrunview/show/{run.id}").get_data(as_text=True)
    assert "SB-MOT" in shown and "labour_hours" in shown and f"#{run.id}" in shown
    assert f"/calculatorview/run/{calcs['ROBOT']}?" in shown  # "run again" with the same inputs


def test_bad_inputs_on_the_run_page_are_listed_and_nothing_is_stored(session, calcs, login_as):
    client = login_as("Sales")
    resp = client.post(f"/calculatorview/run/{calcs['DOOR']}", data={"height": "5000", "width": "x",
                                                                      "material": "oak", "opening": "hinged"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "height: must be at most 2400 mm" in text and "width: Not a number: x" in text
    assert session.query(CalculationRun).count() == 0


def test_the_test_run_answers_with_outputs_or_every_problem(session, calcs, login_as):
    client = login_as("Engineer")
    body = _definition(session, calcs["DOOR"]) | {"inputs": {"height": "2000", "width": "800", "material": "pine",
                                                             "opening": "hinged", "hardware": "1"}}
    data = client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json=body).get_json()
    assert data["ok"] and data["raw"]["cost"] == "8940" and data["raw"]["price"] == "11630"
    assert ["area", "1.6"] in data["intermediates"] and data["bom"][0][0] == "DOOR-PINE"
    body["formulas"] += "bad = ().__class__\n"
    data = client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json=body).get_json()
    assert data == {"ok": False, "problems": ["Line 11 (bad): attribute access is not allowed"]}
    assert session.query(CalculationRun).count() == 0


def test_the_test_run_speaks_the_users_language(session, calcs, login_as):
    client = login_as("Engineer")
    client.get("/lang/ru")
    body = _definition(session, calcs["DOOR"])
    body["formulas"] += "bad = ().__class__\n"
    data = client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json=body).get_json()
    assert data["problems"][0].startswith("Строка 11 (bad): ")


def test_the_engineer_saves_a_new_version_or_sees_each_problem(session, calcs, login_as):
    client = login_as("Engineer")
    form = _definition(session, calcs["DOOR"])
    bad = form | {"formulas": form["formulas"] + "z = widht * 2\n", "note": "typo"}
    text = client.post(f"/calculatorview/editor/{calcs['DOOR']}", data=bad).get_data(as_text=True)
    assert "Line 11 (z): unknown name &#39;widht&#39;" in text
    assert session.query(CalculatorVersion).filter_by(calculator_id=calcs["DOOR"]).count() == 1
    good = form | {"formulas": form["formulas"].replace("* 900", "* 950"), "note": "labour 950"}
    resp = client.post(f"/calculatorview/editor/{calcs['DOOR']}", data=good)
    assert resp.status_code == 302
    calc = session.get(Calculator, calcs["DOOR"])
    session.refresh(calc)
    assert calc.current_version.number == 2 and calc.current_version.note == "labour 950"


def test_sales_cannot_save_a_version(calcs, login_as, session):
    client = login_as("Sales")
    assert client.post(f"/calculatorview/editor/{calcs['DOOR']}",
                       data=_definition(session, calcs["DOOR"])).status_code == 403


def test_lookup_table_rows_are_edited_as_text(session, calcs, login_as):
    from app.models.calculators import LookupTable

    table = session.query(LookupTable).filter_by(name="door_materials").one()
    client = login_as("Engineer")
    assert "pine;Pine, solid;2600;14" in client.get(f"/lookuptableview/rows/{table.id}").get_data(as_text=True)
    resp = client.post(f"/lookuptableview/rows/{table.id}", data={"text": "key;label;price_m2;weight_m2\n"
                                                                          "pine;Pine;2700;14\noak;Oak;4500;18"})
    assert resp.status_code == 302
    assert login_as("Sales").post(f"/lookuptableview/rows/{table.id}", data={"text": ""}).status_code == 403


def test_api_runs_a_calculator_for_readers_and_refuses_bad_inputs(session, calcs, login_as):
    client = login_as("Sales")
    resp = client.post(f"/api/v1/calculator/{calcs['DOOR']}/run", json={"inputs": {"material": "oak"},
                                                                        "record": True})
    body = resp.get_json()
    assert resp.status_code == 200 and body["cost"] == "11980" and body["run_id"]
    assert body["bom"][0]["code"] == "DOOR-OAK" and body["bom"][0]["qty"] == "1.76"
    resp = client.post(f"/api/v1/calculator/{calcs['DOOR']}/run", json={"inputs": {"height": "1"}})
    assert resp.status_code == 422 and resp.get_json()["message"] == ["height: must be at least 1900 mm"]
    assert client.post(f"/api/v1/calculator/{calcs['DOOR']}/version", json={}).status_code == 403
    assert login_as("Warehouse").post(f"/api/v1/calculator/{calcs['DOOR']}/run", json={}).status_code == 403


def test_api_saves_a_version_with_every_problem_listed(session, calcs, login_as):
    client = login_as("Engineer")
    body = _definition(session, calcs["ROBOT"]) | {"formulas": "x = ().__class__"}
    resp = client.post(f"/api/v1/calculator/{calcs['ROBOT']}/version", json=body)
    assert resp.status_code == 422 and resp.get_json()["message"][0] == "Line 1 (x): attribute access is not allowed"
    body = _definition(session, calcs["ROBOT"]) | {"note": "via API", "formulas": _definition(
        session, calcs["ROBOT"])["formulas"] + "spare = 1\n"}
    resp = client.post(f"/api/v1/calculator/{calcs['ROBOT']}/version", json=body)
    assert resp.status_code == 201 and resp.get_json()["number"] == 2
    assert json.loads(client.get(f"/api/v1/calculator_version/{resp.get_json()['id']}").data)["result"]["note"] \
        == "via API"


@pytest.mark.parametrize(("formulas", "expected"), [
    ("x = 1\n" * 17_000, "The formulas are too long: 102000 characters (at most 20000)"),
    ("x = __import__('os').system('true')", "Line 1 (x): attribute access is not allowed"),
    ("x = __import__('os')", "Line 1 (x): names starting with an underscore are not allowed: '__import__'"),
    ("x = 9**9**9", "Line 1 (x): exponent too large (at most 100)"),
])
def test_a_hostile_formula_is_answered_and_the_server_carries_on(session, calcs, login_as, formulas, expected):
    client = login_as("Engineer")
    body = _definition(session, calcs["DOOR"])
    body["formulas"] = formulas if len(formulas) > 1000 else formulas + "\n" + body["formulas"]
    data = client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json=body).get_json()
    assert data == {"ok": False, "problems": [expected]}
    assert client.post(f"/calculatorview/testrun/{calcs['DOOR']}", json=_definition(session, calcs["DOOR"])
                       ).get_json()["raw"]["cost"] == "8940"
