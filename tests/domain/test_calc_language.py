"""The calculator language: hostile formulas refused with the right message, limits, Decimal arithmetic,
functions, the description template and the parameter schema (pure: no database)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from app.calculators import CalcError, compile_definition, evaluate, validate_inputs
from app.calculators.schema import parse_parameters

PARAMS = json.dumps([{"name": "height", "kind": "number", "min": 100, "max": 3000, "default": 2000, "unit": "mm"},
                     {"name": "width", "kind": "number", "default": 800},
                     {"name": "material", "kind": "table", "table": "materials", "default": "oak"},
                     {"name": "hardware", "kind": "bool", "default": True},
                     {"name": "opening", "kind": "choice", "default": "hinged",
                      "choices": [{"value": "hinged"}, {"value": "sliding"}]}])


class FakeEnv:
    """Two materials and two items, as the database environment would give them."""

    tables = {"materials": {"oak": {"price_m2": D("4500"), "name": "Oak"}, "pine": {"price_m2": D("2600"),
                                                                                     "name": "Pine"}}}
    costs = {"HW": D("1450.50"), "BOLT": D("2.5")}

    def lookup(self, table, key, column):
        from app.calculators.errors import Fail

        rows = self.tables.get(table)
        if rows is None or key not in rows:
            raise Fail("no row '%(key)s' in the table %(table)s", key=key, table=table)
        return rows[key][column or "price_m2"]

    def item_cost(self, code, source):
        from app.calculators.errors import Fail

        if code not in self.costs:
            raise Fail("unknown item code '%(code)s'", code=code)
        return self.costs[code]

    def item_price(self, code):
        return self.costs[code] * 2


def run(formulas: str, outputs: dict | None = None, inputs: dict | None = None, seconds: float = 0.25):
    compiled = compile_definition(PARAMS, formulas, json.dumps(outputs or {"cost": "0"}))
    return evaluate(compiled, validate_inputs(compiled.params, inputs or {}), FakeEnv(), seconds)


def messages(formulas: str, outputs: dict | None = None, inputs: dict | None = None, seconds: float = 0.25):
    with pytest.raises(CalcError) as err:
        run(formulas, outputs, inputs, seconds)
    return err.value.messages()


HOSTILE = [
    ("x = __import__('os')", "Line 1 (x): names starting with an underscore are not allowed: '__import__'"),
    ("x = ().__class__", "Line 1 (x): attribute access is not allowed"),
    ("x = 9**9**9", "Line 1 (x): exponent too large (at most 100)"),
    ("x = 'a'*10**9", "Line 1 (x): text too long (at most 1000 characters)"),
    ("x = 1\n" * 20_000, "The formulas are too long: 120000 characters (at most 20000)"),
    ("x = height.__class__.__mro__", "Line 1 (x): attribute access is not allowed"),
    ("import os", "Line 1: imports are not allowed"),
    ("from os import system", "Line 1: imports are not allowed"),
    ("x = open('/etc/passwd')", "Line 1 (x): unknown function 'open'"),
    ("x = eval('1')", "Line 1 (x): unknown function 'eval'"),
    ("x = (lambda: 1)()", "Line 1 (x): defining functions is not allowed"),
    ("x = [c for c in 'abc']", "Line 1 (x): loops and comprehensions are not allowed"),
    ("x = height[0]", "Line 1 (x): indexing is not allowed"),
    ("x = f'{height}'", "Line 1 (x): f-strings are not allowed"),
    ("x = (y := 3)", "Line 1 (x): assignment inside an expression is not allowed"),
    ("x = min", "Line 1 (x): 'min' is a function: call it with arguments"),
    ("x = round(1, ndigits=2)", "Line 1 (x): named arguments are not allowed"),
    ("x = min(*[1, 2])", "Line 1 (x): starred arguments are not allowed"),
    ("x = 1 << 1000", "Line 1 (x): operator not allowed: LShift"),
    ("x = ~1", "Line 1 (x): operator not allowed: Invert"),
    ("x = 1 in height", "Line 1 (x): operator not allowed: In"),
    ("x = 1j", "Line 1 (x): this kind of literal is not allowed"),
    ("x = b'a'", "Line 1 (x): this kind of literal is not allowed"),
    ("x = None", "Line 1 (x): this kind of literal is not allowed"),
    ("x = 10**20", "Line 1 (x): number too large (at most 1000000000000000)"),
    ("x = 1e400", "Line 1 (x): number too large (at most 1000000000000000)"),
    ("x = 99999999999999999999", "Line 1 (x): number too large (at most 1000000000000000)"),
    ("x = lookup(__builtins__, 1)", "Line 1 (x): names starting with an underscore are not allowed: '__builtins__'"),
    ("x = 1 / 0", "Line 1 (x): division by zero"),
    ("x = 0 ** -1", "Line 1 (x): division by zero"),
    ("x = (-8) ** 0.5", "Line 1 (x): a negative number cannot be raised to a fractional power"),
    ("x = 'a' + 1", "Line 1 (x): text and numbers cannot be added; put numbers into the description template"),
    ("x = 'a' < 1", "Line 1 (x): text and numbers cannot be compared"),
    ("x = 'ab' * 0.5", "Line 1 (x): text can only be repeated a whole number of times"),
    ("x = round(1, 11)", "Line 1 (x): round() takes 0 to 10 decimal places"),
    ("def f(): pass", "Line 1: each line must be 'name = expression'"),
    ("while True: pass", "Line 1: each line must be 'name = expression'"),
    ("x = y = 1", "Line 1: each line must be 'name = expression'"),
    ("height = 1", "Line 1: 'height' is a parameter and cannot be assigned"),
    ("x = 1\nx = 2", "Line 2: 'x' is assigned twice"),
    ("__class__ = 1", "Line 1: names starting with an underscore are not allowed: '__class__'"),
    ("x = 'a' * 2000", "Line 1 (x): text too long (at most 1000 characters)"),
    ("x = 'a" + "b" * 1200 + "'", "Line 1 (x): text too long (at most 1000 characters)"),
]


@pytest.mark.parametrize(("source", "expected"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_a_hostile_or_wrong_formula_is_refused_with_its_message(source, expected):
    assert messages(source) == [expected]


def test_every_problem_is_listed_with_its_line_and_name():
    source = "area = height * widht\nprice_m2 = lookup(materials, material, 'price_m2')\ncost = area.real\nx = 1 +"
    assert messages(source) == ["Line 4: syntax error: invalid syntax"]
    source = "area = height * widht / 1000000\nprice_m2 = lookup(materials, material)\ncost = area.real"
    assert messages(source) == ["Line 1 (area): unknown name 'widht'", "Line 3 (cost): attribute access is not allowed"]


def test_nesting_and_size_limits():
    deep = "x = " + "min(" * 45 + "1" + ", 1)" * 45
    assert messages(deep) == ["Line 1 (x): the expression is nested too deeply (at most 40 levels)"]
    many = "".join(f"x{i} = {'+'.join(['1'] * 40)}\n" for i in range(70))  # 79 elements a line: 63 lines fit
    found = messages(many)
    assert found[0] == "Line 64 (x63): the formulas are too complex (at most 5000 elements)" and len(found) == 7
    assert messages("x = " + "-" * 5000 + "1")[0] in (
        "the expression is nested too deeply", "Line 1 (x): the expression is nested too deeply (at most 40 levels)")


def test_every_operation_is_checked_for_magnitude():
    assert messages("x = 999999999999999 + 1") == ["Line 1 (x): number too large (at most 1000000000000000)"]
    assert messages("a = 10 ** 14\nb = a * 10") == ["Line 2 (b): number too large (at most 1000000000000000)"]
    assert messages("x = 1 / 3 ** -40") == ["Line 1 (x): number too large (at most 1000000000000000)"]


def test_the_deadline_stops_an_evaluation():
    assert messages("x = height + 1", seconds=-1) == ["Line 1 (x): the calculation took too long (more than 0.25 s)"]


def test_outputs_and_bom_are_checked_too():
    assert messages("a = 1", {"cost": "a.b", "price": "zz", "bom": [{"item": "BOLT", "qty": "__x"}, {"qty": "1"}]}) \
        == ["cost: attribute access is not allowed", "price: unknown name 'zz'",
            "bom #1 (BOLT): names starting with an underscore are not allowed: '__x'",
            "bom #2: a BOM line needs an item code and a quantity"]
    assert messages("a = 1", {"cost": "'text'"}) == ["cost: a number was expected, got text 'text'"]


EXACT = [
    ("x = 0.1 + 0.2", "0.3"),
    ("x = 10 / 4", "2.5"),
    ("x = 7 // 2", "3"),
    ("x = -7 // 2", "-4"),
    ("x = 7 % 3", "1"),
    ("x = -7 % 3", "2"),
    ("x = 2 ** 10", "1024"),
    ("x = 2 ** -2", "0.25"),
    ("x = round(2.345, 2)", "2.35"),
    ("x = round(2.5)", "3"),
    ("x = round(-2.5)", "-3"),
    ("x = ceil(1.01)", "2"),
    ("x = floor(-1.5)", "-2"),
    ("x = abs(-3.5)", "3.5"),
    ("x = min(3, 1.5, 2)", "1.5"),
    ("x = max(3, 1.5, 2)", "3"),
    ("x = 5 if height > 1000 and width < 900 else 6", "5"),
    ("x = if_(hardware, 1, 2)", "1"),
    ("x = 1 if not hardware or opening == 'sliding' else 0", "0"),
    ("x = 1 if 1 < 2 <= 2 < 3 else 0", "1"),
    ("x = height * width / 1000000 * lookup(materials, material, 'price_m2')", "7200"),
    ("x = lookup('materials', 'pine')", "2600"),
    ("x = item_cost('HW') + item_price('BOLT')", "1455.50"),
    ("x = hardware * 100", "100"),
    ("x = 1000000 * 1000000 / 3", "333333333333.3333333333333333333333"),
]


@pytest.mark.parametrize(("source", "expected"), EXACT, ids=[e[0] for e in EXACT])
def test_arithmetic_is_exact_decimal(source, expected):
    value = run(source).intermediates["x"]
    assert isinstance(value, D) and value == D(expected)


def test_texts_and_the_description_template():
    result = run("name = lookup(materials, material, 'name') + ' door'\narea = height * width / 1000000",
                 {"cost": "area", "description": "{name}, {height} x {width} mm, {area:2} m2, hw {hardware} {{x}}"})
    assert result.description == "Oak door, 2000 x 800 mm, 1.60 m2, hw yes {x}"
    assert messages("a = 1", {"cost": "1", "description": "{nope} {a.__class__}"}) == [
        "description: unknown name 'nope'", "description: a single { or } in the template: write {{ or }}",
        "description: a single { or } in the template: write {{ or }}"]


def test_bom_lines_with_zero_quantity_are_left_out():
    result = run("n = 3", {"cost": "n", "bom": [{"item": "BOLT", "qty": "n * 4"}, {"item": "HW", "qty": "0"}]})
    assert result.bom == [("BOLT", D("12"))] and result.outputs["cost"] == D(3)


def test_runtime_lookup_problems_name_the_line():
    assert messages("x = lookup(materials, 'steel')") == ["Line 1 (x): no row 'steel' in the table materials"]
    assert messages("x = item_cost('NOPE')") == ["Line 1 (x): unknown item code 'NOPE'"]


def test_parameter_schema_problems_are_listed_per_parameter():
    with pytest.raises(CalcError) as err:
        parse_parameters([{"name": "1x"}, {"name": "a", "kind": "slider"}, {"name": "b", "min": 5, "max": 1},
                          {"name": "c", "kind": "choice"}, {"name": "d", "kind": "table"},
                          {"name": "e", "min": 1, "max": 9, "default": 10}, {"name": "a"}])
    assert err.value.messages() == [
        "1x: a parameter name starts with a letter and has letters, digits and _",
        "a: unknown parameter kind 'slider'",
        "b: the minimum is greater than the maximum",
        "c: a choice needs a list of choices",
        "d: a table parameter needs the name of its table",
        "e (default): must be at most 9 ",
        "a: the parameter name is used twice",
    ]


def test_inputs_are_validated_with_a_message_per_parameter():
    compiled = compile_definition(PARAMS, "", '{"cost": "0"}')
    with pytest.raises(CalcError) as err:
        validate_inputs(compiled.params, {"height": "5000", "width": "1e400", "hardware": "perhaps",
                                          "opening": "up"}, {"materials": {"oak"}})
    assert err.value.messages() == ["height: must be at most 3000 mm", "width: Not a number: 1e400",
                                    "hardware: yes or no is expected", "opening: 'up' is not one of the choices"]
    values = validate_inputs(compiled.params, {"height": "1 500,5", "hardware": "0"}, {"materials": {"oak"}})
    assert values == {"height": D("1500.5"), "width": D(800), "material": "oak", "hardware": False,
                      "opening": "hinged"}


def test_compiled_definitions_are_cached():
    first = compile_definition(PARAMS, "x = 1", '{"cost": "x"}')
    assert compile_definition(PARAMS, "x = 1", '{"cost": "x"}') is first
