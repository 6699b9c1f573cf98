"""Locale-aware formatting for printed forms: money, numbers, quantities, dates, amounts in words.

Plain functions (usable from Python) plus Jinja filters with the same argument order, in
which ``locale`` may be left out: it then comes from the template context (``locale``, set by
:func:`app.printing.render.render_html`)::

    {{ total|money("RUB") }}            -> 1 234 567,89 ₽   (ru)   1.234.567,89 €  (es, "EUR")
    {{ price|number }}                   -> 1 234,50         {{ price|number(places=0) }} -> 1 235
    {{ quantity|qty }}                   -> 2,5
    {{ share|percent }}                  -> 11,16 (at most two decimals: 11.1635 -> 11,16; 50.0000 -> 50)
    {{ printed_at|date }}                -> 27.11.2026 (ru)  27/11/2026 (es)
    {{ printed_at|date(format="long") }} -> 27 ноября 2026 г.
    {{ total|amount_in_words("RUB") }}   -> Сто двадцать три рубля 45 копеек
    {{ total|money("EUR", "es") }}       -> explicit locale

Money is Decimal only: floats are refused (``TypeError``) so that binary rounding never reaches
a printed document. ``int`` and ``str`` are converted with ``Decimal(value)``.

Babel separates thousands with U+00A0 (no-break space) in ru and puts U+00A0 before the
currency sign in both ru and es; the output is left exactly as Babel gives it, which also keeps
an amount from breaking across lines in a PDF table cell.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_name, get_currency_precision
from jinja2 import pass_context
from num2words import num2words

__all__ = [
    "to_decimal",
    "money",
    "number",
    "qty",
    "percent",
    "date",
    "amount_in_words",
    "currency_name",
    "register_filters",
]

Number = Decimal | int | str


def to_decimal(value: Number) -> Decimal:
    """Convert ``value`` to Decimal; floats are refused, never silently rounded."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money and quantities must be Decimal, int or str, not {type(value).__name__}")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def _quantize(value: Decimal, places: int) -> Decimal:
    # Commercial rounding (half up: 0.005 -> 0.01); Babel's own default is half-even.
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money(value: Number | None, currency: str, locale: str) -> str:
    """``1234567.89, "RUB", "ru"`` -> ``'1\\xa0234\\xa0567,89\\xa0₽'``; None -> ``''``."""
    if value is None:
        return ""
    amount = _quantize(to_decimal(value), get_currency_precision(currency))
    return format_currency(amount, currency, locale=locale)


def _formatted(value: Number | None, locale: str, places: int, digit: str) -> str:
    """`value` rounded to `places` with locale grouping; `digit` "0" keeps every decimal, "#" drops
    trailing zeros; None -> ''."""
    if value is None:
        return ""
    amount = _quantize(to_decimal(value), places)
    pattern = "#,##0" + ("." + digit * places if places > 0 else "")
    return format_decimal(amount, format=pattern, locale=locale)


def number(value: Number | None, locale: str, places: int = 2) -> str:
    """A number with exactly ``places`` decimals and locale grouping; None -> ``''``."""
    return _formatted(value, locale, places, "0")


def qty(value: Number | None, locale: str, places: int = 3) -> str:
    """A quantity: up to ``places`` decimals, trailing zeros dropped (10, 2,5, 1,125)."""
    return _formatted(value, locale, places, "#")


def percent(value: Number | None, locale: str) -> str:
    """A share or a rate as people read it: at most 2 decimals, trailing zeros dropped (11,16; 50; 33,33)."""
    return _formatted(value, locale, 2, "#")


def _numeric_date_pattern(locale: str) -> str:
    """The locale's short date pattern with a four-digit year and two-digit day and month.

    CLDR short formats are ``dd.MM.y`` (ru, already right) and ``d/M/yy`` (es: 27/11/26);
    documents want ``27.11.2026`` and ``27/11/2026``.
    """
    pattern = Locale.parse(locale).date_formats["short"].pattern
    pattern = re.sub(r"y+", "yyyy", pattern)
    pattern = re.sub(r"d+", "dd", pattern)
    return re.sub(r"M+", "MM", pattern)


def date(value: _dt.date | _dt.datetime | None, locale: str, format: str = "numeric") -> str:
    """``date(2026, 11, 27)`` -> ``27.11.2026`` (ru) / ``27/11/2026`` (es).

    ``format`` is ``"numeric"`` (default, as above) or a Babel format name/pattern
    (``"short"``, ``"medium"``, ``"long"``, ``"d MMMM y"``...). None -> ``''``.
    """
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if format == "numeric":
        format = _numeric_date_pattern(locale)
    return format_date(value, format=format, locale=locale)


def _language(locale: str) -> str:
    return re.split(r"[_-]", locale, maxsplit=1)[0].lower()


def amount_in_words(value: Number, currency: str, locale: str) -> str:
    """An amount written out, first letter capitalised, as on invoices and acts.

    ru: ``Decimal("123.45"), "RUB"`` -> ``"Сто двадцать три рубля 45 копеек"`` (kopeks in
    figures, the Russian accounting convention); es: ``"EUR"`` ->
    ``"Ciento veintitrés euros con cuarenta y cinco céntimos"``; en: ``"USD"`` ->
    ``"One hundred and twenty-three dollars, forty-five cents"``.

    The value is rounded half-up to cents first. It is always handed to num2words as a
    Decimal: num2words reads a plain ``int`` as a number of *cents* (123 -> "один рубль
    23 копейки"), so ints are converted here. Raises ``ValueError`` for a currency that
    num2words cannot write in this language.
    """
    amount = _quantize(to_decimal(value), 2)
    lang = _language(locale)
    options: dict[str, object] = {}
    if lang == "ru":
        options = {"cents": False, "separator": ""}
    try:
        text = num2words(amount, lang=lang, to="currency", currency=currency.upper(), **options)
    except NotImplementedError as exc:
        raise ValueError(f"amount in words: {currency!r} is not supported for {locale!r}") from exc
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:]


def currency_name(code: str | None, locale: str) -> str:
    """``"RUB", "ru"`` -> ``"российский рубль"``; unknown codes come back unchanged."""
    if not code:
        return ""
    return get_currency_name(str(code).upper(), locale=locale)


# --- Jinja filters ------------------------------------------------------------------------


def _ctx_locale(ctx, locale: str | None) -> str:
    return locale or ctx.get("locale") or "en"


@pass_context
def _money_filter(ctx, value, currency: str, locale: str | None = None) -> str:
    return money(value, currency, _ctx_locale(ctx, locale))


@pass_context
def _number_filter(ctx, value, locale: str | None = None, places: int = 2) -> str:
    return number(value, _ctx_locale(ctx, locale), places)


@pass_context
def _qty_filter(ctx, value, locale: str | None = None, places: int = 3) -> str:
    return qty(value, _ctx_locale(ctx, locale), places)


@pass_context
def _percent_filter(ctx, value, locale: str | None = None) -> str:
    return percent(value, _ctx_locale(ctx, locale))


@pass_context
def _date_filter(ctx, value, locale: str | None = None, format: str = "numeric") -> str:
    return date(value, _ctx_locale(ctx, locale), format)


@pass_context
def _amount_in_words_filter(ctx, value, currency: str, locale: str | None = None) -> str:
    if value is None:
        return ""
    return amount_in_words(value, currency, _ctx_locale(ctx, locale))


@pass_context
def _currency_name_filter(ctx, code, locale: str | None = None) -> str:
    return currency_name(code, _ctx_locale(ctx, locale))


def register_filters(env) -> None:
    """Install the filters ``money``, ``number``, ``qty``, ``date``, ``amount_in_words`` and
    ``currency_name`` on a Jinja environment."""
    env.filters.update(
        currency_name=_currency_name_filter,
        money=_money_filter,
        number=_number_filter,
        qty=_qty_filter,
        percent=_percent_filter,
        date=_date_filter,
        amount_in_words=_amount_in_words_filter,
    )
