"""Calculator outputs declare their limits (min / max / required): checked on every run, the refusal
names the output, nothing is recorded; the limits are written in the outputs JSON, so the editor
page and the API edit them like the rest of the definition."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from app.calculators import CalcError, compile_definition, evaluate, validate_inputs
from app.models.calculators import CalculationRun, Calculator
from tests.calculators.factories_calculators import builtin_calculators

PARAMS = json.dumps([{"name": "discount", "kind": "number", "default": 0}])
FORMULAS = "price_raw = 1000 - discount\n"


def _outputs(limits: dict | None = None, **extra) -> str:
    out = {"cost": "600", "price": "price_raw", **extra}
    if limits is not None:
        out["limits"] = limits
    return json.dumps(out)


def _run(outputs: str, discount: str):
    compiled = compile_definition(PARAMS, FORMULAS, outputs)
    return evaluate(compiled, validate_inputs(compiled.params, {"discount": discount}), env=None)


def test_a_price_below_its_minimum_is_refused_naming_the_output():
    limits = {"price": {"min": 0, "required": True}, "cost": {"max": "700"}}
    assert _run(_outputs(limits), "100").outputs["price"] == D(900)
    with pytest.raises(CalcError) as err:
        _run(_outputs(limits), "1250")
    assert err.value.messages() == ["price: the result -250 is below the minimum 0"]
    with pytest.raises(CalcError) as err:
        _run(_outputs({"price": {"max": 500}}), "100")
    assert err.value.messages() == ["price: the result 900 is above the maximum 500"]
    assert _run(_outputs(), "1250").outputs["price"] == D(-250)  # without limits, as before


@pytest.mark.parametrize(("limits", "expected"), [
    ({"margin": {"min": 0}}, "limits (margin): only cost, price and weight can have limits"),
    ({"price": {"min": 5, "max": 1}}, "limits (price): the minimum is greater than the maximum"),
    ({"price": {"least": 0}}, "limits (price): a limit has min, max and required only"),
    ({"price": {"min": "zero"}}, "limits (price): min must be a number"),
    ({"weight": {"required": True}}, "weight: the output is required but has no formula"),
    ([1], "limits: limits must be an object of outputs and their bounds"),
])
def test_wrong_limits_are_refused_when_the_definition_is_checked(limits, expected):
    with pytest.raises(CalcError) as err:
        compile_definition(PARAMS, FORMULAS, _outputs(limits))
    assert err.value.messages() == [expected]


@pytest.fixture
def calcs(app):
    return builtin_calculators()


def _with_limits(session, calc_id: int, limits: dict) -> dict:
    v = session.get(Calculator, calc_id).current_version
    outputs = json.loads(v.outputs) | {"limits": limits}
    return {"parameters": v.parameters, "formulas": v.formulas, "outputs": json.dumps(outputs), "note": "limits"}


def test_the_editor_saves_limits_and_every_run_checks_them(session, calcs, login_as):
    """The door's price is at most 15000 from now on: an oak door (about 16000) is refused and not recorded."""
    engineer = login_as("Engineer")
    resp = engineer.post(f"/calculatorview/editor/{calcs['DOOR']}",
                         data=_with_limits(session, calcs["DOOR"], {"price": {"max": 15000, "required": True}}))
    assert resp.status_code == 302
    sales = login_as("Sales")
    before = session.query(CalculationRun).count()
    resp = sales.post(f"/api/v1/calculator/{calcs['DOOR']}/run", json={"inputs": {"material": "oak"},
                                                                       "record": True})
    assert resp.status_code == 422
    [message] = resp.get_json()["message"]
    assert message.startswith("price: the result ") and message.endswith("is above the maximum 15000")
    assert session.query(CalculationRun).count() == before
    assert sales.post(f"/api/v1/calculator/{calcs['DOOR']}/run", json={"inputs": {}}).status_code == 200


def test_the_api_saves_limits_and_refuses_wrong_ones(session, calcs, login_as):
    client = login_as("Engineer")
    body = _with_limits(session, calcs["DOOR"], {"price": {"min": 10, "max": 1}})
    resp = client.post(f"/api/v1/calculator/{calcs['DOOR']}/version", json=body)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == ["limits (price): the minimum is greater than the maximum"]
    body = _with_limits(session, calcs["DOOR"], {"price": {"min": 0}})
    assert client.post(f"/api/v1/calculator/{calcs['DOOR']}/version", json=body).status_code == 201
