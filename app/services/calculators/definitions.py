"""Writing calculator definitions: calculators, versions (append-only), lookup tables.

A version is saved only after the whole definition compiles, every table and literal item code it
names exists, and a trial run on the parameters' defaults succeeds, so a saved calculator runs.
Every problem is listed at once, each with its line or name. Saving the same definition as the
current version writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calculators import CalcError, Compiled, compile_definition
from app.calculators.errors import CalcProblem, problem
from app.domain.money import read_decimal
from app.models.calculators import Calculator, CalculatorVersion, LookupRow, LookupTable
from app.models.catalog import Item
from app.services.base import current_actor, unit_of_work
from app.services.calculators.runner import run_compiled
from app.services.locking import lock_row

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
TABLE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
MAX_TABLE_ROWS = 2_000
BLANK_OUTPUTS = '{\n  "cost": "0",\n  "price": "0",\n  "description": "",\n  "bom": []\n}'


@dataclass
class CalculatorInput:
    code: str
    name: str
    name_ru: str = ""
    name_es: str = ""
    description: str = ""
    active: bool = True
    description_ru: str = ""
    description_es: str = ""


@dataclass
class VersionInput:
    parameters: str = "[]"
    formulas: str = ""
    outputs: str = BLANK_OUTPUTS
    note: str = ""


def check_definition(session: Session, data: VersionInput) -> Compiled:
    """Compile, check names against the database, and try the defaults; CalcError lists every problem."""
    compiled = compile_definition(data.parameters, data.formulas, data.outputs)
    problems: list[CalcProblem] = []
    known_tables = set(session.scalars(select(LookupTable.name).where(LookupTable.name.in_(compiled.tables))))
    for name in sorted(compiled.tables - known_tables):
        problems.append(problem("unknown table '%(table)s'", table=name))
    known_items = set(session.scalars(select(Item.code).where(Item.code.in_(compiled.item_codes))))
    for code in sorted(compiled.item_codes - known_items):
        problems.append(problem("unknown item code '%(code)s'", code=code))
    if problems:
        raise CalcError(problems)
    if all(p.default is not None or p.kind == "bool" for p in compiled.params):
        run_compiled(session, compiled, {}, 0, 0)  # a trial on the defaults: a saved calculator runs
    return compiled


def _check_calculator(session: Session, data: CalculatorInput, calc_id: int | None = None) -> None:
    problems = []
    if not CODE_RE.match(data.code or ""):
        problems.append(problem("The code has letters, digits, '-', '_' or '.' (at most 40)", target="code"))
    elif session.scalar(select(Calculator.id).where(Calculator.code == data.code, Calculator.id != (calc_id or 0))):
        problems.append(problem("A calculator with the code %(code)s already exists", code=data.code))
    if not (data.name or "").strip():
        problems.append(problem("A name is required", target="name"))
    if problems:
        raise CalcError(problems)


def create_calculator(session: Session, data: CalculatorInput, version: VersionInput | None = None) -> Calculator:
    """A new calculator with its first version (a blank one unless given)."""
    version = version or VersionInput(note="")
    _check_calculator(session, data)
    check_definition(session, version)
    with unit_of_work(session):
        calc = Calculator(code=data.code, name=data.name.strip(), name_ru=data.name_ru, name_es=data.name_es,
                          description=data.description, description_ru=data.description_ru,
                          description_es=data.description_es, active=data.active)
        session.add(calc)
        session.flush()
        _add_version(session, calc, version, 1)
    return calc


def _add_version(session: Session, calc: Calculator, data: VersionInput, number: int) -> CalculatorVersion:
    version = CalculatorVersion(calculator_id=calc.id, number=number, parameters=data.parameters or "[]",
                                formulas=data.formulas or "", outputs=data.outputs or "{}",
                                note=(data.note or "")[:500], created_by=current_actor().username)
    session.add(version)
    session.flush()
    calc.current_version_id = version.id
    return version


def save_version(session: Session, calculator_id: int, data: VersionInput) -> CalculatorVersion:
    """Save an edited definition as the calculator's next version (the current one when nothing changed)."""
    with unit_of_work(session):
        # Locked first: two editors saving at once would both read the same current version and
        # both take the next number (a unique violation, or one edit silently shadowing the other).
        calc = lock_row(session, Calculator, calculator_id)
        if calc is None:
            raise CalcError([problem("No such calculator: %(id)s", id=calculator_id)])
        check_definition(session, data)
        current = session.get(CalculatorVersion, calc.current_version_id) if calc.current_version_id else None
        if current is not None and (current.parameters, current.formulas, current.outputs) == (
                data.parameters, data.formulas, data.outputs):
            return current
        number = (session.scalar(select(func.max(CalculatorVersion.number))
                                 .where(CalculatorVersion.calculator_id == calc.id)) or 0) + 1
        version = _add_version(session, calc, data, number)
    return version


@dataclass
class TableInput:
    name: str
    title: str = ""
    title_ru: str = ""
    title_es: str = ""
    text: str = ""  # "key;label;col1;col2" header, then one row per line


def _cell_number(text: str) -> Decimal | None:
    return read_decimal(text)


def parse_table_text(text: str) -> tuple[list[dict], list[tuple[str, str, dict]]]:
    """Columns and rows from the editor's text; a column is a number column when every cell is a number."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        raise CalcError([problem("The table needs a header line: key;label;column...")])
    header = [h.strip() for h in lines[0].split(";")]
    problems: list[CalcProblem] = []
    if header[0] != "key":
        raise CalcError([problem("The first column of the header must be 'key'", line=1)])
    columns = [h for h in header[1:] if h != "label"]
    for col in columns:
        if not TABLE_RE.match(col):
            problems.append(problem("Bad column name '%(name)s'", line=1, name=col[:40]))
    if len(lines) - 1 > MAX_TABLE_ROWS:
        problems.append(problem("Too many rows: %(n)s (at most %(max)s)", n=len(lines) - 1, max=MAX_TABLE_ROWS))
    rows, keys = [], set()
    for no, raw in enumerate(lines[1:], 2):
        cells = [c.strip() for c in raw.split(";")]
        if len(cells) != len(header):
            problems.append(problem("%(n)s cells, the header has %(m)s", line=no, n=len(cells), m=len(header)))
            continue
        record = dict(zip(header, cells, strict=True))
        key = record.pop("key")
        if not key or key in keys:
            problems.append(problem("The key is empty or repeated", line=no))
            continue
        keys.add(key)
        rows.append((key, record.pop("label", ""), record))
    if problems:
        raise CalcError(problems)
    kinds = []
    for col in columns:
        numeric = all(_cell_number(r[2][col]) is not None for r in rows)
        kinds.append({"name": col, "kind": "number" if numeric else "text"})
        if numeric:
            for r in rows:
                r[2][col] = format(_cell_number(r[2][col]), "f")
    return kinds, rows


def table_text(table: LookupTable, number: Callable[[Decimal], str] = str) -> str:
    """The editor's text of a table; `number` writes a number column's cells (the page: in the reader's
    format, which the parser reads back: a stored "0.125" retyped on a Spanish page would be 125)."""
    cols = [c["name"] for c in table.columns or []]
    numeric = {c["name"] for c in table.columns or [] if c.get("kind") == "number"}

    def cell(row: Any, col: str) -> str:
        value = (row.values or {}).get(col, "")
        return number(Decimal(str(value))) if col in numeric and value not in (None, "") else str(value)

    lines = [";".join(["key", "label", *cols])]
    lines += [";".join([r.key, r.label, *(cell(r, c) for c in cols)]) for r in table.rows]
    return "\n".join(lines)


def save_table(session: Session, data: TableInput) -> LookupTable:
    """Create or replace a lookup table by name (its rows are replaced as a whole)."""
    if not TABLE_RE.match(data.name or ""):
        raise CalcError([problem("A table name starts with a letter and has letters, digits and _",
                                 target="name")])
    columns, rows = parse_table_text(data.text)
    with unit_of_work(session):
        table = session.scalar(select(LookupTable).where(LookupTable.name == data.name))
        if table is None:
            table = LookupTable(name=data.name)
            session.add(table)
        table.title, table.title_ru, table.title_es = data.title, data.title_ru, data.title_es
        table.columns = columns
        table.rows.clear()
        session.flush()
        for pos, (key, label, values) in enumerate(rows):
            table.rows.append(LookupRow(position=pos, key=key, label=label, values=values))
        session.flush()
    return table
