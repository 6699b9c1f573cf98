"""Checks of a register row written through FAB's generic create / update, against its own columns.

The database refuses what the model declares (lengths on PostgreSQL, CHECK constraints, uniques,
NOT NULL), but only as an IntegrityError or DataError with the SQL in it, and SQLite does not check
lengths at all. So before FAB saves a row, the row is checked here against the same declarations:
each problem names the field (as the API's body names it) in the caller's language, on both
databases alike, and the database never sees a row it would refuse.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Integer, Numeric, String, UniqueConstraint, and_, inspect, select
from sqlalchemy.orm import Session

from app.api.params import MSG_BIG, MSG_CHOICE, MSG_INT, MSG_LONG, MSG_REQUIRED, MSG_TEXT, MSG_UNKNOWN, shown
from app.domain.errors import DomainError, Problem

MSG_TAKEN = "%(field)s “%(value)s” is already used by another record"
MSG_MIN = "%(field)s must be at least %(low)s"
MSG_ABOVE = "%(field)s must be greater than %(low)s"
MSG_BETWEEN = "%(field)s must be between %(low)s and %(high)s"
MSG_IN_USE = "This record is used by other records (documents, lines, ledger rows) and cannot be deleted: " \
             "make it inactive instead"
MSG_CONFLICT = "The record breaks a rule of the register (a duplicate or a missing reference): nothing was saved"

_IN = re.compile(r"^\s*(\w+)\s+IN\s*\(([^)]*)\)\s*$", re.IGNORECASE)
_CMP = re.compile(r"^\s*(\w+)\s*(>=|>)\s*(-?\d+)\s*$")
_BETWEEN = re.compile(r"^\s*(\w+)\s+BETWEEN\s+(-?\d+)\s+AND\s+(-?\d+)\s*$", re.IGNORECASE)
INT4 = (-(2**31), 2**31 - 1)


def check_row(session: Session, item: Any) -> None:
    """Raise one DomainError with every column of `item` the database would refuse."""
    problems: list[Problem] = []
    mapper = inspect(type(item))
    fields = _field_names(mapper)
    for column in mapper.local_table.columns:
        if column.primary_key or column.key not in mapper.columns:
            continue
        prop = mapper.get_property_by_column(column)
        _check_column(session, item, column, getattr(item, prop.key), fields.get(column.key, prop.key), problems)
    for check in mapper.local_table.constraints:
        if isinstance(check, CheckConstraint):
            problems += _check_constraint(item, mapper, str(check.sqltext), fields)
    if not problems:
        problems += _check_unique(session, item, mapper, fields)
    if problems:
        raise DomainError(problems)


def _field_names(mapper) -> dict[str, str]:
    """Column key -> the name the API's body uses: a foreign key is sent as its relationship."""
    names = {}
    for rel in mapper.relationships:
        if rel.direction.name == "MANYTOONE":
            for col in rel.local_columns:
                names[col.key] = rel.key
    return names


def _problem(msgid: str, field: str, **params: Any) -> Problem:
    return Problem(msgid, {"field": field, **params}, field=field)


def _check_column(session: Session, item: Any, column, value: Any, field: str, problems: list[Problem]) -> None:
    if value is None:
        if not column.nullable and column.default is None and column.server_default is None \
                and not _related_set(item, field) and not column.foreign_keys:
            problems.append(_problem(MSG_REQUIRED, field))
        elif column.foreign_keys and not column.nullable and not _related_set(item, field):
            problems.append(_problem(MSG_REQUIRED, field))
        return
    kind = column.type
    if isinstance(kind, String):
        if not isinstance(value, str) or "\x00" in value:
            problems.append(_problem(MSG_TEXT, field))
        elif kind.length and len(value) > kind.length:
            problems.append(_problem(MSG_LONG, field, max=kind.length))
    elif isinstance(kind, Integer) and not isinstance(value, bool) and isinstance(value, int):
        if not INT4[0] <= value <= INT4[1]:
            problems.append(_problem(MSG_INT, field, low=INT4[0], high=INT4[1], value=shown(value)))
        elif column.foreign_keys and not _related_set(item, field) and not _exists(session, column, value):
            problems.append(_problem(MSG_UNKNOWN, field, value=value))
    elif isinstance(kind, Numeric) or isinstance(getattr(kind, "impl", None), Numeric):
        _check_number(kind, value, field, problems)


def _check_number(kind, value: Any, field: str, problems: list[Problem]) -> None:
    precision = getattr(kind, "precision", None) or 18
    scale = getattr(kind, "scale", None) or 0
    if isinstance(value, (Decimal, int, float)):
        number = Decimal(str(value))
        if not number.is_finite() or abs(number) >= Decimal(10) ** (precision - scale):
            problems.append(_problem(MSG_BIG, field, value=shown(value)))


def _related_set(item: Any, field: str) -> bool:
    return getattr(item, field, None) is not None if hasattr(type(item), field) else False


def _exists(session: Session, column, value: int) -> bool:
    target = next(iter(column.foreign_keys)).column
    with session.no_autoflush:
        return session.execute(select(target).where(target == value).limit(1)).first() is not None


def _check_constraint(item: Any, mapper, sql: str, fields: dict[str, str]) -> list[Problem]:
    """The simple CHECKs the models declare: `col IN (...)`, `col > n`, `col >= n`, `col BETWEEN a AND b`."""
    problems = []
    for part in re.split(r"\s+AND\s+(?![^()]*\))", sql, flags=re.IGNORECASE) if "BETWEEN" not in sql else [sql]:
        problems += _check_part(item, mapper, part, fields)
    return problems


def _check_part(item: Any, mapper, part: str, fields: dict[str, str]) -> list[Problem]:
    for pattern in (_IN, _CMP, _BETWEEN):
        m = pattern.match(part)
        if m is None or m.group(1) not in mapper.columns:
            continue
        key = m.group(1)
        value = getattr(item, mapper.get_property_by_column(mapper.columns[key]).key)
        field = fields.get(key, key)
        if value is None:
            return []
        if pattern is _IN:
            choices = [c.strip().strip("'") for c in m.group(2).split(",")]
            return [] if value in choices else [_problem(MSG_CHOICE, field, choices=", ".join(choices))]
        if isinstance(value, (str, bool)) or not isinstance(value, (int, Decimal, float)):
            return []
        if pattern is _CMP:
            low = Decimal(m.group(3))
            bad = value < low if m.group(2) == ">=" else value <= low
            return [_problem(MSG_MIN if m.group(2) == ">=" else MSG_ABOVE, field, low=low)] if bad else []
        low, high = Decimal(m.group(2)), Decimal(m.group(3))
        return [] if low <= value <= high else [_problem(MSG_BETWEEN, field, low=low, high=high)]
    return []


def _check_unique(session: Session, item: Any, mapper, fields: dict[str, str]) -> list[Problem]:
    """A value another row already holds in a unique column (or set of columns)."""
    sets = [[c] for c in mapper.local_table.columns if c.unique]
    sets += [list(u.columns) for u in mapper.local_table.constraints if isinstance(u, UniqueConstraint)]
    pk = mapper.primary_key[0]
    own = getattr(item, mapper.get_property_by_column(pk).key)
    problems = []
    for columns in sets:
        values = [_value(item, mapper, c) for c in columns]
        if any(v is None for v in values):
            continue
        query = select(pk).where(and_(*(c == v for c, v in zip(columns, values, strict=True)))).limit(1)
        if own is not None:
            query = query.where(pk != own)
        with session.no_autoflush:
            if session.execute(query).first() is not None:
                last = columns[-1]
                problems.append(_problem(MSG_TAKEN, fields.get(last.key, last.key), value=shown(values[-1])))
    return problems


def _value(item: Any, mapper, column) -> Any:
    value = getattr(item, mapper.get_property_by_column(column).key)
    if value is None and column.foreign_keys:
        for rel in mapper.relationships:
            if column in rel.local_columns and getattr(item, rel.key) is not None:
                target = getattr(item, rel.key)
                return inspect(target).identity[0] if inspect(target).identity else None
    return value
