"""Numbers typed by people: the ONE parser of decimal input, in the user's locale.

Every decimal input (register forms, order entry, stock lines, the configurator, calculators, the
REST API's string numbers) reads through `parse_number`, so a number typed exactly as the app shows
it ("50 000,00" in Russian, "50.000,00" in Spanish, "50,000.00" in English) is accepted everywhere.

The rule, for a locale whose decimal symbol is D and grouping symbol is G (babel's CLDR data):

1. Spaces of every kind (space, no-break space U+00A0, narrow no-break space U+202F, thin space)
   only group digits: each group after the first has exactly three digits ("50 000" yes, "5 0000" no).
2. A leading "-" or "−" (U+2212) or "+" is the sign; nothing else besides digits and separators.
3. Both "," and "." present: the LAST one is the decimal separator, the other groups thousands
   (groups of three, never after the decimal separator): "50.000,00" and "50,000.00" both mean
   fifty thousand whatever the locale, since no other reading exists.
4. One kind of separator, several times ("1.234.567"): it groups thousands (groups of three).
5. One separator, once:
   - the locale's decimal symbol D, or after a lone 0 (".5", "0.125": no number groups a zero):
     the decimal separator ("1,5" in ru/es, "1.5" in en, "0.125" everywhere);
   - the locale's grouping symbol G followed by exactly three digits: thousands ("1.234" is 1234 in
     es, "1,234" is 1234 in en), as the reader of that locale writes it;
   - otherwise, followed by anything but three digits: the decimal separator (a Russian typing "1.5"
     on a numeric keypad means one and a half: no other reading exists);
   - otherwise, followed by exactly three digits: AMBIGUOUS ("1.234" in Russian, whose grouping is
     a space, could be 1234 or 1.234) and refused with a message saying how to write it.
6. No locale (jobs, CLI, the REST API, which machines call, and text the app stored for itself, read
   inside `stored()`): the decimal symbol is "." and there is no grouping symbol, so "1234.56" and
   "50 000,00" are read, and "1,234" is ambiguous.

Exponents, NaN and infinities are refused: nobody types them in a form and a silently huge value is
worse than a question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol, get_group_symbol

from app.domain.errors import Problem, Word

MSG_NOT_NUMBER = "Not a number: %(value)s"
MSG_AMBIGUOUS = "The number %(value)s is ambiguous: it could mean thousands or a fraction"
#: the same refusals naming the field (%(field)s: its label or the API's field name)
FIELD_MESSAGES = {
    MSG_NOT_NUMBER: "%(field)s must be a number, not “%(value)s”",
    MSG_AMBIGUOUS: "%(field)s: the number “%(value)s” is ambiguous: it could mean thousands or a fraction",
    "The number %(value)s is too large": "%(field)s: the number %(value)s is too large",
    "Too many decimal places in %(value)s (at most %(places)s)":
        "%(field)s: too many decimal places in %(value)s (at most %(places)s)",
}

#: the words of the fields services parse numbers of (msgids), for the refusals above raised on a line
FIELD_WORDS = {"qty": "Quantity", "unit_cost": "Unit cost", "price": "Price", "scrap_pct": "Scrap, %",
               "share": "Share", "labour": "Labour"}

SPACES = " \u00a0\u202f\u2009"
MINUS = "-\u2212"
_GROUPED = re.compile(r"\d{1,3}(?:G\d{3})*".replace("G", "\x00"))
_DIGITS = re.compile(r"\d+")

_resolver: Callable[[], str | None] = lambda: None  # noqa: E731 - replaced by the web layer
_STORED: ContextVar[bool] = ContextVar("numbers_stored", default=False)


def field_problem(msgid: str, name: str, label: str, raw: object, **params: object) -> Problem:
    """A parse refusal (msgid from `parse_decimal`) reworded to name the field: "Amount must be a number, ..."."""
    return Problem(FIELD_MESSAGES.get(msgid, msgid), {"field": Word(label), "value": str(raw)[:40], **params},
                   field=name)


class NumberError(ValueError):
    """The text is not a number as this locale writes it; `msgid` says why (params: value)."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def set_locale_resolver(resolver: Callable[[], str | None]) -> None:
    """The web layer tells the parser whose locale is typing (None: the locale-free machine rule)."""
    global _resolver
    _resolver = resolver


def input_locale() -> str | None:
    """The locale of the person typing, when a request has one (never inside `stored()`)."""
    return None if _STORED.get() else _resolver()


@contextmanager
def stored() -> Iterator[None]:
    """Read text the app itself wrote ("2.125", settings kept in machine form) by the locale-free rule,
    even during a page's request: on a Spanish page "2.125" would otherwise be 2125."""
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


def machine_text(value: Decimal) -> str:
    """A Decimal as the app stores text for itself: plain digits and a point, read back by `stored()`."""
    return format(value.normalize(), "f")


@lru_cache(maxsize=64)
def separators(locale: str | None) -> tuple[str, str | None]:
    """(decimal symbol, grouping symbol) of a locale; spaces count as grouping in every locale.
    Cached: an import reads 100,000 numbers in one locale, and babel's look-up is most of a parse."""
    if not locale:
        return ".", None
    try:
        loc = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return ".", None
    group = get_group_symbol(loc)
    return get_decimal_symbol(loc), (None if group in SPACES else group)


def _grouped(integer: str, group: str) -> str:
    """The integer part without its grouping symbol; NumberError unless every later group has 3 digits."""
    if _GROUPED.fullmatch(integer.replace(group, "\x00")) is None:
        raise NumberError(MSG_NOT_NUMBER)
    return integer.replace(group, "")


def _split(body: str, dec: str, group: str | None) -> tuple[str, str]:
    """Integer and fraction digits of an unsigned body with only "," and "." left in it."""
    marks = [c for c in body if c in ",."]
    if not marks:
        return body, ""
    if len(set(marks)) == 2:  # rule 3: the last one is the decimal separator
        point = marks[-1]
        integer, _, fraction = body.rpartition(point)
        return _grouped(integer, "," if point == "." else "."), fraction
    mark = marks[0]
    if len(marks) > 1:  # rule 4
        return _grouped(body, mark), ""
    integer, _, fraction = body.partition(mark)
    if mark == dec or len(fraction) != 3 or integer in ("", "0"):  # "0.125" never groups thousands
        return integer, fraction
    if mark == group:
        return _grouped(body, mark), ""
    raise NumberError(MSG_AMBIGUOUS)


def parse_number(text: str, locale: str | None = None) -> Decimal:
    """The Decimal that `text` means in `locale` (the rule in the module docstring), else NumberError."""
    raw = text.strip()
    sign = ""
    if raw[:1] and raw[0] in MINUS + "+":
        sign, raw = ("-" if raw[0] in MINUS else ""), raw[1:].lstrip()
    if any(c in SPACES for c in raw):
        integer, fraction = _spaced(raw)
    else:
        dec, group = separators(locale)
        integer, fraction = _split(raw, dec, group)
    if not (integer or fraction) or any(part and not _DIGITS.fullmatch(part) for part in (integer, fraction)):
        raise NumberError(MSG_NOT_NUMBER)
    try:
        return Decimal(f"{sign}{integer or '0'}.{fraction}" if fraction else sign + integer)
    except InvalidOperation as exc:  # pragma: no cover - the digits were checked above
        raise NumberError(MSG_NOT_NUMBER) from exc


def _spaced(text: str) -> tuple[str, str]:
    """Rule 1: spaces group the integer part, so the one "," or "." left is the decimal separator."""
    for space in SPACES[1:]:
        text = text.replace(space, " ")
    marks = [c for c in text if c in ",."]
    if len(marks) > 1:
        raise NumberError(MSG_NOT_NUMBER)
    integer, _, fraction = text.partition(marks[0]) if marks else (text, "", "")
    return _grouped(integer, " "), fraction

