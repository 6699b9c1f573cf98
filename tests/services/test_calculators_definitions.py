"""Saving definitions: every problem listed with its line and nothing written; versions append-only
(the database refuses to change or delete one); lookup tables from text."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.calculators import CalcError
from app.models.calculators import Calculator, CalculatorVersion, LookupTable
from app.services.calculators import (
    CalculatorInput,
    TableInput,
    VersionInput,
    create_calculator,
    run_calculator,
    save_table,
    save_version,
)
from tests.calculators.factories_calculators import builtin_calculators

PARAMS = json.dumps([{"name": "width", "kind": "number", "default": 800, "min": 100, "max": 2000, "unit": "mm"}])


@pytest.fixture
def calcs(app):
    return builtin_calculators()


def _versions(session) -> int:
    return session.query(CalculatorVersion).count()


def test_a_bad_definition_lists_every_problem_and_writes_nothing(session, calcs):
    before = _versions(session)
    bad = VersionInput(PARAMS, "area = width * widht\nx = __import__('os')\ny = ().__class__\nz = 9**9**9",
                       json.dumps({"cost": "area + nope", "bom": [{"item": "NO-SUCH", "qty": "1"}]}))
    with pytest.raises(CalcError) as err:
        save_version(session, calcs["DOOR"], bad)
    assert err.value.messages() == [
        "Line 1 (area): unknown name 'widht'",
        "Line 2 (x): names starting with an underscore are not allowed: '__import__'",
        "Line 3 (y): attribute access is not allowed",
        "cost: unknown name 'nope'",
    ]
    assert _versions(session) == before


def test_names_are_checked_against_the_database_and_the_defaults_are_tried(session, calcs):
    with pytest.raises(CalcError) as err:
        save_version(session, calcs["DOOR"], VersionInput(PARAMS, "p = lookup(prices, 'x')\nc = item_cost('NOPE')",
                                                          json.dumps({"cost": "1"})))
    assert err.value.messages() == ["unknown table 'prices'", "unknown item code 'NOPE'"]
    with pytest.raises(CalcError) as err:
        save_version(session, calcs["DOOR"], VersionInput(PARAMS, "z = 9**9**9", json.dumps({"cost": "1"})))
    assert err.value.messages() == ["Line 1 (z): exponent too large (at most 100)"]
    assert session.get(Calculator, calcs["DOOR"]).current_version.number == 1


def test_an_edit_is_a_new_version_and_the_same_text_is_not(session, calcs):
    v1 = session.get(Calculator, calcs["DOOR"]).current_version
    data = VersionInput(v1.parameters, v1.formulas, v1.outputs, "again")
    assert save_version(session, calcs["DOOR"], data).id == v1.id
    v2 = save_version(session, calcs["DOOR"], VersionInput(v1.parameters, v1.formulas + "extra = 1\n", v1.outputs,
                                                           "extra"))
    assert (v2.number, v2.note) == (2, "extra") and session.get(Calculator, calcs["DOOR"]).current_version_id == v2.id
    assert session.get(CalculatorVersion, v1.id).formulas == v1.formulas


@pytest.mark.parametrize("statement", [
    "UPDATE calculator_version SET formulas = 'x = 1'",
    "DELETE FROM calculator_version",
])
def test_versions_are_immutable_in_the_database(session, calcs, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert run_calculator(session, calcs["DOOR"], {}).cost == D("8940.00")


def test_a_new_calculator_starts_with_a_blank_version(session, app):
    calc = create_calculator(session, CalculatorInput("FENCE", "Fence", "Забор", "Valla"))
    assert calc.current_version.number == 1 and run_calculator(session, calc.id, {}).cost == 0
    with pytest.raises(CalcError) as err:
        create_calculator(session, CalculatorInput("FENCE", " "))
    assert err.value.messages() == ["A calculator with the code FENCE already exists", "name: A name is required"]


def test_a_lookup_table_from_text(session, app):
    rows = "key;label;price_m2;kind\nclear;Clear;1 200,50;float\nfrost;Frosted;1500;acid"
    table = save_table(session, TableInput("glass", "Glass", text=rows))
    assert table.columns == [{"name": "price_m2", "kind": "number"}, {"name": "kind", "kind": "text"}]
    assert [(r.key, r.label, r.values) for r in table.rows] == [
        ("clear", "Clear", {"price_m2": "1200.50", "kind": "float"}), ("frost", "Frosted", {"price_m2": "1500",
                                                                                          "kind": "acid"})]
    save_table(session, TableInput("glass", "Glass", text="key;price_m2\nclear;9"))
    assert [(r.key, r.values) for r in session.query(LookupTable).one().rows] == [("clear", {"price_m2": "9"})]


def test_a_bad_table_text_is_refused_whole(session, app):
    with pytest.raises(CalcError) as err:
        save_table(session, TableInput("glass", text="id;price\na;1\na;2\nb"))
    assert err.value.messages() == ["Line 1: The first column of the header must be 'key'"]
    with pytest.raises(CalcError) as err:
        save_table(session, TableInput("glass", text="key;price\na;1\na;2\nb"))
    assert err.value.messages() == ["Line 3: The key is empty or repeated", "Line 4: 1 cells, the header has 2"]
    assert session.query(LookupTable).count() == 0
