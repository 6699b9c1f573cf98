"""The built-in door and robot calculators against hand-computed tables (exact Decimal), stored runs,
inputs validated per parameter, and item costs by source."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from app.calculators import CalcError
from app.models.calculators import CalculationRun
from app.services.calculators import record_run, run_and_record, run_calculator
from tests.calculators.factories_calculators import builtin_calculators

# height, width, material, opening, hardware -> cost, price, weight, BOM
# e.g. 2000 x 800 pine hinged + hardware: area 1.6 m2; material 1.6 * 2600 = 4160; hardware 1450;
# labour (2.5 + 1.6 * 0.75) h * 900 = 3330; cost 8940; price ceil(8940 * 1.30 / 10) * 10 = 11630;
# weight 1.6 * 14 + 1.2 = 23.6; blank 1.6 * 1.1 = 1.76 m2
DOOR_TABLE = [
    (("2000", "800", "pine", "hinged", True), "8940.00", "11630", "23.6",
     {"DOOR-PINE": "1.76", "DOOR-HW-SET": "1"}),
    # 2.1 * 0.9 = 1.89 m2: 1.89 * 4500 = 8505; slide kit 3200; hw 1450; (2.5 + 1.4175) * 900 = 3525.75
    # cost 16680.75; price ceil(16680.75 * 1.35 / 10) * 10 = ceil(2251.90125) * 10 = 22520
    # weight 1.89 * 18 + 1.2 = 35.22; blank 2.079
    (("2100", "900", "oak", "sliding", True), "16680.75", "22520", "35.22",
     {"DOOR-OAK": "2.079", "DOOR-HW-SET": "1", "DOOR-SLIDE-KIT": "1"}),
    # 1.9 * 0.6 = 1.14 m2: 1.14 * 1900 = 2166; pocket 5600; no hw; (2.5 + 0.855) * 900 = 3019.5
    # cost 10785.5; price ceil(10785.5 * 1.3 / 10) * 10 = ceil(1402.115) * 10 = 14030; weight 18.24
    (("1900", "600", "mdf", "pocket", False), "10785.50", "14030", "18.24",
     {"DOOR-MDF": "1.254", "DOOR-POCKET-KIT": "1"}),
    # 2.4 * 1.0 = 2.4 m2: 6240 + 0 + 0 + (2.5 + 1.8) * 900 = 3870 -> 10110; price ceil(1314.3) * 10 = 13150
    (("2400", "1000", "pine", "hinged", False), "10110.00", "13150", "33.6", {"DOOR-PINE": "2.64"}),
]

# h, w, d, processor, boards, kind, nodes, paint -> cost, price, weight, intermediates checked
# default robot: 15 l -> 2 cases 1800; cpu 1850 + 2400; boards 2 * 650; nodes 2 * 1100; paint 0.2 * 640 = 128;
# bolts 16 + 16 + 8 = 40 * 2.5 = 100 -> materials 9778; labour (4 + 0.5 + 0.8 + 1.5 + 0.4) = 7.2 h * 950 = 6840
# cost 16618; price 23265.2 -> 23265; weight 0.8 + 1.8 + 1.3 + 0.1 + 0.26 = 4.26
ROBOT_TABLE = [
    (("300", "250", "200", "A1", "2", "io", "2", "0.2"), "16618.00", "23265", "4.26",
     {"volume": "15", "case_units": "2", "bolts": "40", "materials": "9778.0", "labour_hours": "7.2"}),
    # 420 x 300 x 260 = 32.76 l -> 3 cases 2700; cpu 2900 + 2400; 3 * 780 = 2340; 3 * 1100 = 3300;
    # 0.35 * 640 = 224; bolts 16 + 24 + 12 = 52 -> 130; materials 13994
    # labour 4 + 0.75 + 1.5 + 2.25 + 0.7 = 9.2 h -> 8740; cost 22734; price 31827.6 -> 31828
    # weight 0.8 + 3.9312 + 1.95 + 0.15 + 0.455 = 7.2862 -> 7.286
    (("420", "300", "260", "B2", "3", "motor", "3", "0.35"), "22734.00", "31828", "7.286",
     {"volume": "32.76", "case_units": "3", "bolts": "52", "materials": "13994.00", "labour_hours": "9.20"}),
    # smallest: 150^3 = 3.375 l -> 1 case 900; cpu 4700 + 2400; no boards; 1 node 1100; no paint;
    # bolts 24 -> 60; materials 9160; labour 4 + 1 + 0 + 0.75 + 0 = 5.75 h -> 5462.5; cost 14622.5
    # price 20471.5 -> 20472 (half up); weight 0.8 + 0.405 + 0.65 = 1.855
    (("150", "150", "150", "C3", "0", "sensor", "1", "0"), "14622.50", "20472", "1.855",
     {"volume": "3.375", "case_units": "1", "bolts": "24", "materials": "9160", "labour_hours": "5.75"}),
]


@pytest.fixture
def calcs(app):
    return builtin_calculators()


@pytest.mark.parametrize(("inputs", "cost", "price", "weight", "bom"), DOOR_TABLE)
def test_door_calculator_matches_the_hand_computed_table(session, calcs, inputs, cost, price, weight, bom):
    height, width, material, opening, hardware = inputs
    result = run_calculator(session, calcs["DOOR"], {"height": height, "width": width, "material": material,
                                                     "opening": opening, "hardware": hardware})
    assert (result.cost, result.price, result.weight) == (D(cost), D(price), D(weight))
    assert {code: qty for _, code, qty in result.bom} == {k: D(v) for k, v in bom.items()}
    assert result.description.startswith(f"Interior door {height} x {width} mm, {material}, {opening}")


@pytest.mark.parametrize(("inputs", "cost", "price", "weight", "values"), ROBOT_TABLE)
def test_robot_calculator_matches_the_hand_computed_table(session, calcs, inputs, cost, price, weight, values):
    names = ("case_height", "case_width", "case_depth", "processor", "boards", "board_kind", "nodes", "paint")
    result = run_calculator(session, calcs["ROBOT"], dict(zip(names, inputs, strict=True)))
    assert (result.cost, result.price, result.weight) == (D(cost), D(price), D(weight))
    for name, expected in values.items():
        assert result.intermediates[name] == D(expected), name
    bom = {code: qty for _, code, qty in result.bom}
    assert bom["BOLT-M3"] == D(values["bolts"]) and bom["CASE-S"] == D(values["case_units"])
    assert bom["MB-R2"] == 1 and sum(1 for c in bom if c.startswith("CPU-")) == 1


def test_defaults_fill_missing_inputs(session, calcs):
    assert run_calculator(session, calcs["ROBOT"], {}).cost == D("16618.00")


def test_a_run_is_stored_with_version_inputs_and_outputs(session, calcs):
    result = run_and_record(session, calcs["DOOR"], {"material": "oak"})
    run = session.get(CalculationRun, result.run_id)
    assert run.version_id == result.version_id and run.calculator_id == calcs["DOOR"]
    assert run.inputs["material"] == "oak" and run.inputs["hardware"] is True and run.inputs["height"] == "2000"
    assert run.cost == result.cost and D(run.outputs["outputs"]["price"]) == result.price
    assert {b["code"] for b in run.outputs["bom"]} == {"DOOR-OAK", "DOOR-HW-SET"}


def test_inputs_are_validated_per_parameter_and_nothing_is_written(session, calcs):
    with pytest.raises(CalcError) as err:
        run_and_record(session, calcs["ROBOT"], {"case_height": "900", "case_width": "abc", "processor": "Z9",
                                                 "boards": "2.5", "board_kind": "", "paint": "-1"})
    assert err.value.messages() == [
        "case_height: must be at most 800 mm",
        "case_width: Not a number: abc",
        "processor: 'Z9' is not in the table robot_processors",
        "boards: a whole number is expected",
        "paint: must be at least 0 l",
    ]
    assert session.query(CalculationRun).count() == 0


def test_choice_and_bool_inputs_are_checked(session, calcs):
    with pytest.raises(CalcError) as err:
        run_calculator(session, calcs["DOOR"], {"opening": "revolving", "hardware": "maybe"})
    assert err.value.messages() == ["opening: 'revolving' is not one of the choices", "hardware: yes or no is expected"]


def test_item_cost_by_source_uses_the_stock_ledger(session, calcs):
    """Average cost from the balances instead of the standard cost: 2 cases at 1000 average."""
    from app.models.catalog import Item
    from tests import factories

    wh = factories.warehouse("AVG", valuation="average")
    case = session.query(Item).filter_by(code="CASE-S").one()
    factories.receipt(wh, [factories.line(case, "4", "1000")])
    standard = run_calculator(session, calcs["ROBOT"], {})
    average = run_calculator(session, calcs["ROBOT"], {}, cost_source="average")
    assert average.intermediates["case_cost"] == D("2000") and standard.intermediates["case_cost"] == D("1800")
    assert average.cost - standard.cost == D("200")


def test_record_run_keeps_the_version_that_priced_it(session, calcs):
    from app.models.calculators import CalculatorVersion
    from app.services.calculators import VersionInput, save_version

    first = run_calculator(session, calcs["DOOR"], {})
    old = session.get(CalculatorVersion, first.version_id)
    save_version(session, calcs["DOOR"], VersionInput(old.parameters, old.formulas.replace("* 900", "* 1000"),
                                                      old.outputs, "labour rate 1000"))
    again = run_calculator(session, calcs["DOOR"], {})
    assert again.version_id != first.version_id and again.cost == first.cost + D("370")
    replay = run_calculator(session, None, {}, version_id=first.version_id)
    assert replay.cost == first.cost
    record_run(session, replay)
    assert session.get(CalculationRun, replay.run_id).version_id == first.version_id
