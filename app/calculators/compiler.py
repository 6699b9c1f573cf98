"""A calculator version compiled once: parameters, checked formulas, outputs; then evaluated in Decimal.

Compiling parses and checks everything (no evaluation); the result is cached by the texts of the
definition, so a version is compiled once per process and an evaluation only walks the trees.
`evaluate` runs the lines in order, then the outputs and BOM quantities, under one deadline.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.calculators import limits
from app.calculators.errors import CalcError, CalcProblem, Fail, problem
from app.calculators.evaluator import Environment, Evaluator, Value, deadline_after
from app.calculators.language import Program, check_program, parse_expression
from app.calculators.schema import (
    NUMERIC_OUTPUTS,
    BomLine,
    Limit,
    Param,
    Template,
    limit_problems,
    load_json,
    parse_limits,
    parse_parameters,
    parse_template,
)


@dataclass(frozen=True)
class Compiled:
    params: tuple[Param, ...]
    program: Program
    outputs: dict[str, ast.expr]  # cost / price / weight
    description: Template
    bom: tuple[BomLine, ...]
    item_codes: frozenset[str]  # named literally: prefetched before a run
    tables: frozenset[str]
    limits: dict[str, Limit] = field(default_factory=dict)  # output -> its bounds, checked on every run
    descriptions: dict[str, Template] = field(default_factory=dict)  # language -> its template, when given

    @property
    def table_params(self) -> dict[str, str]:
        return {p.name: p.table for p in self.params if p.kind == "table"}


@dataclass
class Evaluation:
    values: dict[str, Value]  # parameters and every named result
    intermediates: dict[str, Value]
    outputs: dict[str, Decimal | None]
    description: str
    bom: list[tuple[str, Decimal]] = field(default_factory=list)


def compile_definition(parameters: str, formulas: str, outputs: str) -> Compiled:
    """Check a whole definition (JSON parameters, formula text, JSON outputs); CalcError lists every problem."""
    return _compile(parameters or "", formulas or "", outputs or "")


@lru_cache(maxsize=256)
def _compile(parameters: str, formulas: str, outputs: str) -> Compiled:
    if len(parameters) + len(outputs) > 4 * limits.MAX_SOURCE_CHARS:
        raise CalcError([problem("The formulas are too long: %(size)s characters (at most %(max)s)",
                                 size=len(parameters) + len(outputs), max=4 * limits.MAX_SOURCE_CHARS)])
    problems: list[CalcProblem] = []
    params: tuple[Param, ...] = ()
    try:
        params = parse_parameters(load_json(parameters, "Parameters", []))
    except CalcError as exc:
        problems.extend(exc.problems)  # type: ignore[arg-type]
    names = {p.name for p in params}
    program, found_problems, assigned = check_program(formulas, names)
    problems.extend(found_problems)
    if assigned is None:  # the text as a whole was refused: the outputs' names can't be checked
        raise CalcError(problems)
    known = names | assigned
    codes, tables = set(program.item_codes), set(program.tables)
    exprs: dict[str, ast.expr] = {}
    template, bom = Template((("", None, None),)), []
    try:
        spec = load_json(outputs, "Outputs", {})
        if not isinstance(spec, dict):
            raise CalcError([problem("Outputs must be an object")])
    except CalcError as exc:
        problems.extend(exc.problems)  # type: ignore[arg-type]
        spec = {}
    for key in NUMERIC_OUTPUTS:
        if spec.get(key) in (None, "") and key != "cost":
            continue
        text = spec.get(key)
        try:
            expr, found = parse_expression(str(text) if text is not None else "", known, key)
            exprs[key] = expr
            codes |= found.item_codes
            tables |= found.tables
        except CalcError as exc:
            problems.extend(exc.problems)  # type: ignore[arg-type]
    raw_description = spec.get("description", "")
    texts = raw_description if isinstance(raw_description, dict) else {"en": raw_description}
    descriptions: dict[str, Template] = {}
    for lang, text in texts.items():
        try:
            descriptions[str(lang)] = parse_template(str(text if text is not None else ""), known)
        except CalcError as exc:
            problems.extend(exc.problems)  # type: ignore[arg-type]
    template = descriptions.get("en") or next(iter(descriptions.values()), template)
    for i, raw in enumerate(spec.get("bom") or [], 1):
        target = f"bom #{i}"
        if not isinstance(raw, dict) or not str(raw.get("item", "")).strip():
            problems.append(problem("a BOM line needs an item code and a quantity", target=target))
            continue
        code = str(raw["item"]).strip()
        try:
            expr, found = parse_expression(str(raw.get("qty", "")), known, f"{target} ({code})")
            bom.append(BomLine(code, expr, i))
            codes.add(code)
            codes |= found.item_codes
        except CalcError as exc:
            problems.extend(exc.problems)  # type: ignore[arg-type]
    tables |= {p.table for p in params if p.kind == "table"}
    bounds: dict[str, Limit] = {}
    try:
        bounds = parse_limits(spec.get("limits"))
    except CalcError as exc:
        problems.extend(exc.problems)  # type: ignore[arg-type]
    problems.extend(problem("the output is required but has no formula", target=name)
                    for name, limit in bounds.items() if limit.required and name not in exprs)
    if problems:
        raise CalcError(problems)
    return Compiled(params, program, exprs, template, tuple(bom), frozenset(codes), frozenset(tables), bounds,
                    descriptions)


def evaluate(compiled: Compiled, inputs: dict[str, Any], env: Environment,
             seconds: float = limits.DEADLINE_SECONDS, yes: str = "yes", no: str = "no",
             locale: str = "en") -> Evaluation:
    """Run the formulas on validated inputs; a CalcError names the line (or output) that failed. The
    description is written from the template of `locale` when the definition has one per language."""
    values: dict[str, Value] = dict(inputs)
    evaluator = Evaluator(values, env, deadline_after(seconds))
    intermediates: dict[str, Value] = {}
    for line in compiled.program.lines:
        try:
            result = evaluator.value(line.expr)
        except Fail as exc:
            raise CalcError([problem(exc.msgid, line=line.lineno, target=line.name, **exc.params)]) from None
        values[line.name] = intermediates[line.name] = result
    outputs: dict[str, Decimal | None] = {key: None for key in NUMERIC_OUTPUTS}
    for key, expr in compiled.outputs.items():
        outputs[key] = _number(evaluator, expr, key)
    outside = limit_problems(outputs, compiled.limits)
    if outside:
        raise CalcError(outside)
    bom = []
    for line in compiled.bom:
        qty = _number(evaluator, line.qty, f"bom #{line.index} ({line.code})")
        if qty:
            bom.append((line.code, qty))
    if locale != "en" and locale in compiled.descriptions:  # the reader's own template, words in it too
        description = compiled.descriptions[locale].render(_shown(compiled, values, env, locale), yes, no)
    else:
        description = compiled.description.render(values, yes, no)
    return Evaluation(values, intermediates, outputs, description, bom)


def _shown(compiled: Compiled, values: dict[str, Value], env: Environment, locale: str) -> dict[str, Value]:
    """The values a translated description shows: a choice by its label in `locale`, a table row by its
    label_<locale> (else label) column, so the Russian text says "Шпон дуба", not the key "oak" (the
    English template keeps the keys, which are English words)."""
    shown = dict(values)
    for p in compiled.params:
        value = values.get(p.name)
        if p.kind == "choice":
            choice = next((c for c in p.choices if c.value == value), None)
            if choice is not None:
                shown[p.name] = choice.labels.get(locale) or choice.labels.get("en") or choice.value
        elif p.kind == "table" and isinstance(value, str):
            for column in (f"label_{locale}", "label"):
                try:
                    shown[p.name] = env.lookup(p.table, value, column) or value
                    break
                except Fail:
                    continue
    return shown


def _number(evaluator: Evaluator, expr: ast.expr, target: str) -> Decimal:
    try:
        value = evaluator.value(expr)
    except Fail as exc:
        raise CalcError([problem(exc.msgid, target=target, **exc.params)]) from None
    if isinstance(value, str):
        raise CalcError([problem("a number was expected, got text '%(value)s'", target=target, value=value[:40])])
    return Decimal(int(value)) if isinstance(value, bool) else value
