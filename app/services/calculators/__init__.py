"""Calculators service: definitions and versions, lookup tables, runs (what other contexts call).

`run_calculator(session, calculator_id, inputs, version_id=..., cost_source=...) -> CalcResult`
prices inputs without writing; `record_run` / `run_and_record` store a CalculationRun that an order
or proposal line picks by id.
"""

from app.services.calculators.definitions import (
    CalculatorInput,
    TableInput,
    VersionInput,
    check_definition,
    create_calculator,
    parse_table_text,
    save_table,
    save_version,
    table_text,
)
from app.services.calculators.environment import COST_SOURCES, DbEnvironment
from app.services.calculators.runner import (
    CalcResult,
    compiled_version,
    get_run,
    jsonable,
    record_run,
    resolve_version,
    run_and_record,
    run_calculator,
    run_compiled,
)

__all__ = [
    "COST_SOURCES", "CalcResult", "CalculatorInput", "DbEnvironment", "TableInput", "VersionInput",
    "check_definition", "compiled_version", "create_calculator", "get_run", "jsonable", "parse_table_text",
    "record_run", "resolve_version", "run_and_record", "run_calculator", "run_compiled", "save_table",
    "save_version", "table_text",
]
