"""Reading a REST request: the body, ids, dates, numbers, texts, flags, lines, paging.

Every command endpoint parses its request inside its use case with these helpers, so bad input is a
DomainError naming the field (and the line, for document lines), answered 422 in the caller's
language like any refusal of the service: never a 500, never a Python message. Ids are checked
against the table when the model is given, so an unknown id is refused here, by name, instead of
failing inside the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask import request

from app.domain.errors import DomainError, Problem
from app.domain.money import MAX_MONEY, MAX_QTY, MONEY_PLACES, QTY_PLACES, parse_decimal
from app.domain.numbers import FIELD_MESSAGES, MSG_NOT_NUMBER
from app.extensions import db

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number names no row on either database
MAX_INT = 2**31 - 1

MSG_BODY = "The request body must be a JSON object"
MSG_REQUIRED = "%(field)s is required"
MSG_ID = "%(field)s must be an id (a whole number), not “%(value)s”"
MSG_UNKNOWN = "%(field)s: there is no record with id %(value)s"
MSG_INT = "%(field)s must be a whole number between %(low)s and %(high)s, not “%(value)s”"
MSG_DATE = "%(field)s must be a date (YYYY-MM-DD), not “%(value)s”"
MSG_TEXT = "%(field)s must be text"
MSG_LONG = "%(field)s is longer than %(max)s characters"
MSG_BOOL = "%(field)s must be true or false"
MSG_OBJECT = "%(field)s must be an object"
MSG_LIST = "%(field)s must be a list"
MSG_LINE = "Each line must be an object"
MSG_CHOICE = "%(field)s must be one of: %(choices)s"
MSG_NAN = FIELD_MESSAGES[MSG_NOT_NUMBER]
MSG_BIG = "%(field)s: the number %(value)s is too large"
MSG_PLACES = "%(field)s: too many decimal places in %(value)s (at most %(places)s)"
_NUMBER_PROBLEMS = FIELD_MESSAGES
MAX_SHOWN = 40  # characters of a refused value repeated in a message


def refuse(msgid: str, field: str | None = None, line: int | None = None, **params: Any) -> DomainError:
    """A DomainError with one problem at `field` (and `line`)."""
    return DomainError([Problem(msgid, {"field": field, **params}, field=field, line=line)])


def shown(value: Any) -> str:
    """A refused value as a message may quote it: short, without control characters."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def json_body(required: bool = False) -> dict:
    """The request's JSON object ({} when nothing was sent and nothing is required)."""
    body = request.get_json(silent=True)
    if body is None and not required and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise refuse(MSG_BODY)
    return body


def ident(raw: Any, field: str, model: type | None = None, *, required: bool = False,
          line: int | None = None) -> int | None:
    """An id: a whole number (or its digits as text) naming a row of `model` when a model is given."""
    if raw is None or raw == "":
        if required:
            raise refuse(MSG_REQUIRED, field, line)
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise refuse(MSG_ID, field, line, value=shown(raw))
    text = str(raw).strip()
    if not text.isdigit() or not text.isascii():
        raise refuse(MSG_ID, field, line, value=shown(raw))
    value = int(text)
    if value < 1 or value > MAX_ID or (model is not None and db.session.get(model, value) is None):
        raise refuse(MSG_UNKNOWN, field, line, value=shown(raw))
    return value


def integer(raw: Any, field: str, *, low: int = 0, high: int = MAX_INT, default: int | None = None,
            line: int | None = None) -> int | None:
    """A whole number within [low, high]; `default` when absent."""
    if raw is None or raw == "":
        return default
    ok = isinstance(raw, int) and not isinstance(raw, bool)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and raw.strip().isascii():
        raw, ok = int(raw.strip()), True
    if not ok or not low <= raw <= high:
        raise refuse(MSG_INT, field, line, low=low, high=high, value=shown(raw))
    return raw


def day(raw: Any, field: str, *, required: bool = False, line: int | None = None) -> date | None:
    """A date written YYYY-MM-DD."""
    if raw is None or raw == "":
        if required:
            raise refuse(MSG_REQUIRED, field, line)
        return None
    if isinstance(raw, str) and len(raw) == 10:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise refuse(MSG_DATE, field, line, value=shown(raw))


def number(raw: Any, field: str, *, money: bool = False, required: bool = False,
           line: int | None = None) -> Decimal | None:
    """A quantity (6 places) or an amount (4 places): integers, decimals and their text are numbers."""
    if raw is None or raw == "":
        if required:
            raise refuse(MSG_REQUIRED, field, line)
        return None
    places, maximum = (MONEY_PLACES, MAX_MONEY) if money else (QTY_PLACES, MAX_QTY)
    value, err = parse_decimal(raw, places, maximum)
    if err:
        raise refuse(_NUMBER_PROBLEMS.get(err, MSG_NAN), field, line, value=shown(raw), places=places)
    return value


def text(raw: Any, field: str, *, max_len: int | None = None, required: bool = False,
         line: int | None = None, default: str = "") -> str:
    """A text (numbers are taken as their digits), at most `max_len` characters."""
    if raw is None:
        raw = default
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise refuse(MSG_TEXT, field, line)
    if "\x00" in raw:
        raise refuse(MSG_TEXT, field, line)
    if required and not raw.strip():
        raise refuse(MSG_REQUIRED, field, line)
    if max_len is not None and len(raw) > max_len:
        raise refuse(MSG_LONG, field, line, max=max_len)
    return raw


def flag(raw: Any, field: str, default: bool = False) -> bool:
    """true / false (also 1 / 0 and their text)."""
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1, "0", "1", "true", "false"):
        return raw in (1, "1", "true")
    raise refuse(MSG_BOOL, field)


def choice(raw: Any, field: str, choices: tuple[str, ...] | list[str], default: str | None = None) -> str:
    """One word of a fixed vocabulary (a kind, a method, a cost source)."""
    if raw is None or raw == "":
        if default is not None:
            return default
        raise refuse(MSG_REQUIRED, field)
    if raw not in choices:
        raise refuse(MSG_CHOICE, field, choices=", ".join(choices))
    return raw


def mapping(raw: Any, field: str, default: dict | None = None) -> dict:
    """A JSON object inside the body (calculator inputs, method parameters)."""
    if raw is None:
        return dict(default or {})
    if not isinstance(raw, Mapping):
        raise refuse(MSG_OBJECT, field)
    return dict(raw)


def lines(body: dict, field: str = "lines", *, required: bool = False) -> list[tuple[int, dict]] | None:
    """A document's lines: a list of objects, numbered from 1 as messages name them.

    None when the key is absent and not required (the service then takes its default: all lines).
    """
    raw = body.get(field)
    if raw is None:
        if required:
            raise refuse(MSG_REQUIRED, field)
        return None
    if not isinstance(raw, list):
        raise refuse(MSG_LIST, field)
    problems = [Problem(MSG_LINE, {}, field=field, line=n) for n, ln in enumerate(raw, 1) if not isinstance(ln, dict)]
    if problems:
        raise DomainError(problems)
    return list(enumerate(raw, 1))


def collect(*parsers) -> list[Any]:
    """Run several parsers (callables) and raise every problem at once, or return their values."""
    values, problems = [], []
    for parse in parsers:
        try:
            values.append(parse())
        except DomainError as exc:
            problems += exc.problems
            values.append(None)
    if problems:
        raise DomainError(problems)
    return values


def query_id(name: str, model: type | None = None, *, required: bool = False) -> int | None:
    """An id from the query string (?partner_id=)."""
    return ident(request.args.get(name), name, model, required=required)


def query_day(name: str) -> date | None:
    return day(request.args.get(name), name)


def query_number(name: str, default: str) -> Decimal:
    value = number(request.args.get(name) or default, name)
    return value if value is not None else Decimal(default)


def size(attribute: Any) -> int | None:
    """The length of a model's String column (None for Text): what a text sent for it may hold."""
    return getattr(attribute.property.columns[0].type, "length", None)
