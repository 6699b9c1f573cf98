"""Running a calculator: validate the inputs, evaluate its version, store the result as a CalculationRun.

`run_calculator` is what other contexts call (the TCP configurator, customer orders): it returns a
CalcResult and writes nothing; `record_run` stores one so that an order or proposal line can pick
it by id (version, inputs, outputs, who and when).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calculators import CalcError, Compiled, compile_definition, evaluate, validate_inputs
from app.calculators.errors import Fail, problem
from app.calculators.evaluator import Value
from app.domain.money import MAX_MONEY, MAX_QTY, round_money, round_qty
from app.models.base import current_locale
from app.models.calculators import CalculationRun, Calculator, CalculatorVersion
from app.services.base import current_actor, unit_of_work
from app.services.calculators.environment import DEFAULT_COST_SOURCE, DbEnvironment


@dataclass
class CalcResult:
    """What a calculator gave for some inputs; `bom` lines are (item id, code, quantity)."""

    version_id: int
    calculator_id: int
    inputs: dict[str, Value]
    outputs: dict[str, Decimal | str | None]
    cost: Decimal | None
    price: Decimal | None
    weight: Decimal | None
    description: str
    bom: list[tuple[int, str, Decimal]] = field(default_factory=list)
    intermediates: dict[str, Value] = field(default_factory=dict)
    run_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON: numbers as strings, so nothing passes through float."""
        return {
            "version_id": self.version_id, "calculator_id": self.calculator_id, "run_id": self.run_id,
            "inputs": jsonable(self.inputs), "outputs": jsonable(self.outputs),
            "cost": jsonable(self.cost), "price": jsonable(self.price), "weight": jsonable(self.weight),
            "description": self.description, "intermediates": jsonable(self.intermediates),
            "bom": [{"item_id": i, "code": c, "qty": jsonable(q)} for i, c, q in self.bom],
        }


def jsonable(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def compiled_version(version: CalculatorVersion) -> Compiled:
    """A stored version compiled (cached by its texts: versions never change)."""
    return compile_definition(version.parameters, version.formulas, version.outputs)


def resolve_version(session: Session, calculator_id: int | None, version_id: int | None) -> CalculatorVersion:
    if version_id is not None:
        version = session.get(CalculatorVersion, version_id)
        if version is None:
            raise CalcError([problem("No such calculator version: %(id)s", id=version_id)])
        return version
    calc = session.get(Calculator, calculator_id) if calculator_id is not None else None
    if calc is None or calc.current_version_id is None:
        raise CalcError([problem("No such calculator: %(id)s", id=calculator_id)])
    return session.get(CalculatorVersion, calc.current_version_id)


def run_compiled(session: Session, compiled: Compiled, raw_inputs: dict[str, Any], version_id: int,
                 calculator_id: int, cost_source: str = DEFAULT_COST_SOURCE, yes: str = "yes",
                 no: str = "no", locale: str | None = None) -> CalcResult:
    """Run a compiled version; the description in `locale` (the reader's language by default)."""
    env = DbEnvironment(session, compiled, cost_source)
    keys = {name: set(data.rows) for name, data in env.tables.items()}
    inputs = validate_inputs(compiled.params, raw_inputs or {}, keys)
    env.prefetch_costs(compiled.item_codes)
    result = evaluate(compiled, inputs, env, yes=yes, no=no, locale=locale or current_locale())
    out = result.outputs
    cost = _bounded(out["cost"], "cost", MAX_MONEY, round_money)
    price = _bounded(out["price"], "price", MAX_MONEY, round_money)
    weight = _bounded(out["weight"], "weight", MAX_QTY, round_qty)
    bom = []
    for code, qty in result.bom:
        try:
            item_id = env.item(code)[0]
        except Fail as exc:
            raise CalcError([problem(exc.msgid, target="bom", **exc.params)]) from None
        bom.append((item_id, code, _bounded(qty, f"bom ({code})", MAX_QTY, round_qty)))
    outputs = {"cost": cost, "price": price, "weight": weight, "description": result.description}
    return CalcResult(version_id, calculator_id, inputs, outputs, cost, price, weight, result.description, bom,
                      result.intermediates)


def _bounded(value: Decimal | None, target: str, maximum: Decimal, rounder) -> Decimal | None:
    if value is None:
        return None
    if abs(value) > maximum:
        raise CalcError([problem("number too large (at most %(max)s)", target=target, max=maximum)])
    return rounder(value)


def run_calculator(session: Session, calculator_id: int | None = None, inputs: dict[str, Any] | None = None, *,
                   version_id: int | None = None, cost_source: str = DEFAULT_COST_SOURCE) -> CalcResult:
    """Price `inputs` with a calculator's current version (or the given version); writes nothing.

    Inputs are validated per parameter (one CalcError listing every problem, translated at the
    edge); item_cost() reads costs by `cost_source` (standard, last_purchase, fifo, average).
    """
    version = resolve_version(session, calculator_id, version_id)
    return run_compiled(session, compiled_version(version), inputs or {}, version.id, version.calculator_id,
                        cost_source, *_yes_no())


def _yes_no() -> tuple[str, str]:
    try:
        from flask_babel import gettext

        return gettext("yes"), gettext("no")
    except Exception:  # noqa: BLE001 - outside a request the template says yes / no
        return "yes", "no"


def record_run(session: Session, result: CalcResult) -> CalculationRun:
    """Store a result (append-only) so that an order or a proposal line can pick it by id."""
    with unit_of_work(session):
        run = CalculationRun(
            calculator_id=result.calculator_id, version_id=result.version_id, inputs=jsonable(result.inputs),
            outputs={"outputs": jsonable(result.outputs), "intermediates": jsonable(result.intermediates),
                     "bom": [{"item_id": i, "code": c, "qty": jsonable(q)} for i, c, q in result.bom]},
            cost=result.cost, price=result.price, weight=result.weight, description=result.description[:1000],
            created_by=current_actor().username)
        session.add(run)
        session.flush()
        result.run_id = run.id
    return run


def run_and_record(session: Session, calculator_id: int | None, inputs: dict[str, Any], *,
                   version_id: int | None = None, cost_source: str = DEFAULT_COST_SOURCE) -> CalcResult:
    result = run_calculator(session, calculator_id, inputs, version_id=version_id, cost_source=cost_source)
    record_run(session, result)
    return result


def get_run(session: Session, run_id: int) -> CalculationRun | None:
    """A stored run by id (for order / proposal lines that were given one)."""
    return session.scalar(select(CalculationRun).where(CalculationRun.id == run_id))
