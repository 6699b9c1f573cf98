"""Parameters and outputs of a calculator version: their JSON shape, checks, and input validation.

Parameters (a JSON list): {"name", "kind": number | choice | table | bool, "label": {"en","ru","es"},
"unit" (a text or {"en","ru","es"}), "min", "max", "integer", "default", "choices": [{"value", "label":
{...}}], "table"}. Outputs (a JSON object): {"cost", "price", "weight": expressions, "description": a
template with {name} or {name:2} (two decimals), or one per language {"en","ru","es"}, "bom": [{"item":
code, "qty": expression}], "limits": {output:
{"min", "max", "required"}}}. Limits are the calculator's own promise about its results (a price is
never negative, a weight at most 500 kg): they are checked on every run and a result outside them is
refused naming the output, never recorded. Numbers in JSON are read as Decimal (never float); inputs
are validated per parameter with translated messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.calculators import limits
from app.calculators.errors import CalcError, CalcProblem, problem
from app.domain.money import parse_decimal

KINDS = ("number", "choice", "table", "bool")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
MAX_INPUT = Decimal("1e12")
NUMERIC_OUTPUTS = ("cost", "price", "weight")
TEMPLATE_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]*)(?::([0-9]))?\}|[{}]")
TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"0", "false", "no", "off", "n", ""}


@dataclass(frozen=True)
class Choice:
    value: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    labels: dict[str, str]
    unit: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    integer: bool = False
    default: Any = None
    choices: tuple[Choice, ...] = ()
    table: str = ""
    units: dict[str, str] = field(default_factory=dict)  # the unit per language, when it differs (мм, л)

    def label(self, locale: str = "en") -> str:
        return self.labels.get(locale) or self.labels.get("en") or self.name

    def unit_label(self, locale: str = "en") -> str:
        """The unit in the reader's language (мм for mm), else the default one."""
        return self.units.get(locale) or self.unit


@dataclass(frozen=True)
class BomLine:
    code: str
    qty: Any  # a checked expression (ast)
    index: int


@dataclass(frozen=True)
class Limit:
    """The bounds of one numeric output: at least `min`, at most `max`, and whether it must have a value."""

    min: Decimal | None = None
    max: Decimal | None = None
    required: bool = False


LIMIT_KEYS = ("min", "max", "required")


def parse_limits(raw: Any) -> dict[str, Limit]:
    """The outputs' "limits" object: only cost / price / weight, only min / max / required; every problem."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CalcError([problem("limits must be an object of outputs and their bounds", target="limits")])
    problems: list[CalcProblem] = []
    out: dict[str, Limit] = {}
    for name, spec in raw.items():
        target = f"limits ({name})"
        if name not in NUMERIC_OUTPUTS:
            problems.append(problem("only cost, price and weight can have limits", target=target))
            continue
        if not isinstance(spec, dict) or set(spec) - set(LIMIT_KEYS):
            problems.append(problem("a limit has min, max and required only", target=target))
            continue
        bounds = {}
        for key in ("min", "max"):
            bounds[key] = _decimal(spec.get(key))
            if spec.get(key) not in (None, "") and bounds[key] is None:
                problems.append(problem("%(key)s must be a number", target=target, key=key))
        required = spec.get("required", False)
        if not isinstance(required, bool):
            problems.append(problem("required is true or false", target=target))
        elif bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
            problems.append(problem("the minimum is greater than the maximum", target=target))
        else:
            out[name] = Limit(bounds["min"], bounds["max"], required)
    if problems:
        raise CalcError(problems)
    return out


def limit_problems(outputs: dict[str, Decimal | None], limits: dict[str, Limit]) -> list[CalcProblem]:
    """Every output outside its limits, named: "price: the result -12.5 is below the minimum 0"."""
    problems = []
    for name, limit in limits.items():
        value = outputs.get(name)
        if value is None:
            if limit.required:
                problems.append(problem("a result is required", target=name))
            continue
        if limit.min is not None and value < limit.min:
            problems.append(problem("the result %(value)s is below the minimum %(min)s", target=name, value=value,
                                    min=limit.min))
        if limit.max is not None and value > limit.max:
            problems.append(problem("the result %(value)s is above the maximum %(max)s", target=name, value=value,
                                    max=limit.max))
    return problems


def load_json(text: str | None, what: str, empty: Any) -> Any:
    """JSON with numbers as Decimal; a CalcError naming `what` when it does not parse."""
    if not (text or "").strip():
        return empty
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError) as exc:
        raise CalcError([problem("%(what)s: not valid JSON (%(detail)s)", what=what, detail=str(exc)[:80])]) from None


def _labels(raw: Any, fallback: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {"en": raw}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}
    return {"en": fallback}


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_parameters(data: Any) -> tuple[Param, ...]:
    """Check the parameter list; one problem per wrong parameter, all at once."""
    if not isinstance(data, list):
        raise CalcError([problem("Parameters must be a list")])
    problems: list[CalcProblem] = []
    params: list[Param] = []
    seen: set[str] = set()
    for i, raw in enumerate(data, 1):
        where = f"#{i}"
        if not isinstance(raw, dict):
            problems.append(problem("a parameter must be an object", target=where))
            continue
        name = str(raw.get("name", ""))
        where = name or where
        kind = raw.get("kind", "number")
        found = len(problems)
        if not NAME_RE.match(name):
            problems.append(problem("a parameter name starts with a letter and has letters, digits and _",
                                    target=where))
        elif name in seen:
            problems.append(problem("the parameter name is used twice", target=where))
        seen.add(name)
        if kind not in KINDS:
            problems.append(problem("unknown parameter kind '%(kind)s'", target=where, kind=str(kind)))
        low, high = _decimal(raw.get("min")), _decimal(raw.get("max"))
        if low is not None and high is not None and low > high:
            problems.append(problem("the minimum is greater than the maximum", target=where))
        choices = tuple(Choice(str(c.get("value", "")), _labels(c.get("label"), str(c.get("value", ""))))
                        for c in raw.get("choices", []) if isinstance(c, dict))
        if kind == "choice" and not choices:
            problems.append(problem("a choice needs a list of choices", target=where))
        if kind == "table" and not raw.get("table"):
            problems.append(problem("a table parameter needs the name of its table", target=where))
        if len(problems) > found:
            continue
        units = _labels(raw.get("unit"), "")
        param = Param(name=name, kind=kind, labels=_labels(raw.get("label"), name),
                      unit=units.get("en") or next(iter(units.values()), ""), units=units,
                      min=low, max=high, integer=bool(raw.get("integer")), choices=choices,
                      table=str(raw.get("table", "")), default=None)
        default = raw.get("default")
        if default is not None:
            value, errs = validate_value(param, default)
            if errs:
                problems.extend(problem(e.msgid, target=f"{where} (default)", **e.params) for e in errs)
                continue
            param = Param(**{**param.__dict__, "default": value})
        params.append(param)
    if problems:
        raise CalcError(problems)
    return tuple(params)


def validate_value(param: Param, raw: Any, table_keys: set[str] | None = None) -> tuple[Any, list[CalcProblem]]:
    """One input value for `param`: (the Decimal / text / bool, []) or (None, [its problem])."""
    target = param.name
    if param.kind == "bool":
        if isinstance(raw, bool):
            return raw, []
        word = str(raw).strip().lower() if raw is not None else ""
        if word in TRUE_WORDS:
            return True, []
        if word in FALSE_WORDS:
            return False, []
        return None, [problem("yes or no is expected", target=target)]
    if param.kind == "number":
        # numbers are taken as they are; only text is read in the typing person's locale
        value, err = parse_decimal(raw, 6, MAX_INPUT)
        if err:
            return None, [problem(err, target=target, value=str(raw)[:40], places=6)]
        if param.integer and value != value.to_integral_value():
            return None, [problem("a whole number is expected", target=target)]
        if param.min is not None and value < param.min:
            return None, [problem("must be at least %(min)s %(unit)s", target=target, min=param.min, unit=param.unit)]
        if param.max is not None and value > param.max:
            return None, [problem("must be at most %(max)s %(unit)s", target=target, max=param.max, unit=param.unit)]
        return value, []
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, [problem("a value is required", target=target)]
    if param.kind == "choice" and text not in {c.value for c in param.choices}:
        return None, [problem("'%(value)s' is not one of the choices", target=target, value=text[:40])]
    if param.kind == "table" and table_keys is not None and text not in table_keys:
        return None, [problem("'%(value)s' is not in the table %(table)s", target=target, value=text[:40],
                              table=param.table)]
    return text[: limits.MAX_STRING], []


def validate_inputs(params: tuple[Param, ...], raw: dict[str, Any],
                    table_keys: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """Every parameter's value from `raw` (its default when missing); one CalcError with every problem."""
    values: dict[str, Any] = {}
    problems: list[CalcProblem] = []
    raw = raw if isinstance(raw, dict) else {}
    for param in params:
        given = raw.get(param.name)
        if (given is None or given == "") and param.default is not None:
            values[param.name] = param.default
            continue
        if given is None and param.kind == "bool":
            values[param.name] = False
            continue
        keys = (table_keys or {}).get(param.table) if param.kind == "table" else None
        value, errs = validate_value(param, given, keys)
        problems.extend(errs)
        values[param.name] = value
    if problems:
        raise CalcError(problems)
    return values


@dataclass(frozen=True)
class Template:
    """A description template: literal text and {name} / {name:N} fields, nothing else of str.format."""

    parts: tuple[tuple[str, str | None, int | None], ...]  # (literal, field name, places)

    def render(self, values: dict[str, Any], yes: str = "yes", no: str = "no") -> str:
        out = []
        for literal, name, places in self.parts:
            out.append(literal)
            if name is not None:
                out.append(_show(values.get(name), places, yes, no))
        return "".join(out)[: limits.MAX_STRING]


def _show(value: Any, places: int | None, yes: str, no: str) -> str:
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, Decimal):
        if places is not None:
            from decimal import ROUND_HALF_UP

            return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return "" if value is None else str(value)


def parse_template(text: str, known: set[str]) -> Template:
    text = text or ""
    if len(text) > limits.MAX_STRING:
        raise CalcError([problem("text too long (at most %(max)s characters)", target="description",
                                 max=limits.MAX_STRING)])
    parts: list[tuple[str, str | None, int | None]] = []
    problems: list[CalcProblem] = []
    literal, pos = [], 0
    for m in TEMPLATE_RE.finditer(text):
        literal.append(text[pos:m.start()])
        pos = m.end()
        token = m.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif m.group(1):
            if m.group(1) not in known:
                problems.append(problem("unknown name '%(name)s'", target="description", name=m.group(1)))
            parts.append(("".join(literal), m.group(1), int(m.group(2)) if m.group(2) else None))
            literal = []
        else:
            problems.append(problem("a single { or } in the template: write {{ or }}", target="description"))
    literal.append(text[pos:])
    parts.append(("".join(literal), None, None))
    if problems:
        raise CalcError(problems)
    return Template(tuple(parts))
