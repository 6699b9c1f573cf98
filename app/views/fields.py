"""Form fields that read and write numbers as the user's locale does.

`LocaleDecimalField` is the DecimalField of every register form (FAB builds it for each Numeric
column once `install()` has replaced FAB's DecimalField in its converter) and of our own forms: it
shows "50 000,00" on a Russian page and accepts what it shows, through the one parser of
`app.domain.numbers`. `install()` also tells that parser whose locale is typing on a page; the REST
API keeps the locale-free rule of machines (documented in app/domain/numbers.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_decimal
from flask import has_request_context, request
from flask_appbuilder import forms as fab_forms
from flask_babel import gettext
from wtforms import DecimalField

from app.domain import numbers

#: what an input box shows: grouped, up to six decimals, trailing zeros trimmed
INPUT_PATTERN = "#,##0.######"


def page_locale() -> str | None:
    """The locale of the person typing on a page; None for API calls (machines use the plain rule)."""
    if not has_request_context() or request.path.startswith("/api/"):
        return None
    from app.views.base import locale_name

    return locale_name()


def input_text(value: Decimal | None, locale: str | None = None, grouped: bool = True) -> str:
    """A Decimal as an input box shows it in the locale: "50 000,5" (ru), "50.000,5" (es); without
    thousands separators ("50000,5") where they would clutter a text of many numbers."""
    if value is None:
        return ""
    loc = locale or page_locale() or "en"
    if value != value.quantize(Decimal("0.000001")):
        return format_decimal(value, locale=loc, decimal_quantization=False, group_separator=grouped)
    return format_decimal(value, format=INPUT_PATTERN if grouped else "0.######", locale=loc)


_DECIMAL_IN_TEXT = re.compile(r"(?<![\w.,])\d+\.\d+(?![\w.])")


def localized_numbers(text: str, locale: str | None = None) -> str:
    """A formula or explanation written with "." decimals ("40 − 12.5 = 27.5", as app.domain writes
    it) with every decimal number in the reader's format ("40 − 12,5 = 27,5"); whole numbers stay."""
    loc = locale or page_locale() or "en"
    return _DECIMAL_IN_TEXT.sub(
        lambda m: format_decimal(Decimal(m.group(0)), locale=loc, decimal_quantization=False), text or "")


def number_error(label: object, raw: str, msgid: str) -> str:
    """The translated refusal of a typed number, naming the field: 'Amount: not a number: 5x'."""
    return f"{label}: {gettext(msgid) % {'value': raw}}"


class LocaleDecimalField(DecimalField):
    """A decimal input in the user's locale: accepts what it shows, refuses ambiguous text by name."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return input_text(self.data) if isinstance(self.data, Decimal) else ("" if self.data is None else
                                                                             str(self.data))

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        raw = str(valuelist[0])
        try:
            self.data = numbers.parse_number(raw, page_locale())
        except numbers.NumberError as exc:
            self.data = None
            # FAB shows a field's errors through gettext, which applies "%": "Margin, %" must survive it
            raise ValueError(number_error(self.label.text, raw.strip(), exc.msgid).replace("%", "%%")) from exc


def install() -> None:
    """Make FAB build LocaleDecimalField for Numeric columns and let the parser know the page's locale.

    FAB's converter has a class-level table and no per-view hook, so the table entry is replaced
    once at start-up, before any view builds its forms (idempotent).
    """
    table = fab_forms.FieldConverter.conversion_table
    fab_forms.FieldConverter.conversion_table = tuple(
        (marker, LocaleDecimalField if marker == "is_numeric" else field, widget) for marker, field, widget in table)
    numbers.set_locale_resolver(page_locale)
