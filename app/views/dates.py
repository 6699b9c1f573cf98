"""Date fields of FAB's forms in the reader's language: shown, picked and typed as 07.12.2026 in ru.

FAB builds every date column's form field as a WTForms DateField (ISO only) with a
bootstrap-datepicker that ab.js starts in English, weeks from Sunday, ISO format; a date typed
as the user writes it fails the picker's parse and silently becomes today. `install()` swaps the
converter's date and date-time fields for ones that:

- show the date in the locale's format (ru 07.12.2026, es 07/12/2026, en 2026-12-07);
- accept that format, and ISO whatever the language, and refuse anything else with a message
  that shows the expected format (the form names the field);
- tell the picker (app/static/js/fabrika_datepicker.js, locale data served from /static) its
  language, format and first day of the week through data attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import DateField, DateTimeField
from wtforms.widgets import html_params

# locale -> (strftime format, picker format, first day of the week: 0 Sunday, 1 Monday)
DATE_FORMATS: dict[str, tuple[str, str, int]] = {
    "ru": ("%d.%m.%Y", "dd.mm.yyyy", 1),
    "es": ("%d/%m/%Y", "dd/mm/yyyy", 1),
    "en": ("%Y-%m-%d", "yyyy-mm-dd", 1),
}
ISO = "%Y-%m-%d"
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def locale_code() -> str:
    locale = get_locale()
    code = locale.language if locale is not None else "en"
    return code if code in DATE_FORMATS else "en"


def date_format() -> str:
    return DATE_FORMATS[locale_code()][0]


def parse_date(text: str) -> date | None:
    """A date typed in the locale's format or in ISO; None when it is neither."""
    for fmt in dict.fromkeys((date_format(), ISO)):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> datetime | None:
    """A date with an optional time (HH:MM or HH:MM:SS), in the locale's format or ISO (space or T)."""
    text = text.replace("T", " ")
    for day_fmt in dict.fromkeys((date_format(), ISO)):
        for fmt in (*(f"{day_fmt} {t}" for t in _TIME_FORMATS), day_fmt):
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
    return None


def _example(with_time: bool = False) -> str:
    fmt = date_format() + (" %H:%M" if with_time else "")
    return datetime(2026, 12, 7, 9, 30).strftime(fmt)


def _read(valuelist: list[str], parse: Callable[[str], Any], refusal: Callable[[str], str]) -> Any:
    """A field's typed text parsed; None when left empty; ValueError(refusal) when it does not parse."""
    text = " ".join(valuelist).strip() if valuelist else ""
    if not text:
        return None
    value = parse(text)
    if value is None:
        raise ValueError(refusal(text))
    return value


class LocaleDatePickerWidget:
    """FAB's date picker markup, with the picker's language, format and week start as data attributes."""

    css_class = "appbuilder_date"

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        code = locale_code()
        _, picker_format, week_start = DATE_FORMATS[code]
        outer = html_params(**{"class": f"input-group date {self.css_class}", "data-provide": "datepicker",
                               "data-date-language": code, "data-date-format": picker_format,
                               "data-date-week-start": week_start, "data-date-force-parse": "false",
                               "data-date-autoclose": "true", "data-date-today-highlight": "true"})
        inner = html_params(type="text", value=field._value(), autocomplete="off",
                            placeholder=_example(self.css_class == "appbuilder_datetime"), **kwargs)
        return Markup(f'<div {outer}><span class="input-group-addon"><i class="fa fa-calendar cursor-hand"></i>'
                      f'</span><input class="form-control" {inner} /></div>')


class LocaleDateTimePickerWidget(LocaleDatePickerWidget):
    css_class = "appbuilder_datetime"


class LocaleDateField(DateField):
    """A date in the reader's format (ISO also accepted); a clear message for anything else."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime(date_format()) if self.data else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = _read(valuelist, parse_date, lambda text: _("“%(value)s” is not a date: type it as %(example)s",
                                                                 value=text, example=_example()))


class LocaleDateTimeField(DateTimeField):
    """A date and time in the reader's format (ISO also accepted); the time may be left out."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        return self.data.strftime(date_format() + (" %H:%M" if (self.data.hour, self.data.minute) != (0, 0) else ""))

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = _read(valuelist, parse_datetime, lambda text: _(
            "“%(value)s” is not a date and time: type it as %(example)s", value=text, example=_example(with_time=True)))


def install() -> None:
    """Make FAB's form converter build the locale-aware fields for every date and date-time column."""
    from flask_appbuilder.forms import FieldConverter

    replace = {"is_date": (LocaleDateField, LocaleDatePickerWidget),
               "is_datetime": (LocaleDateTimeField, LocaleDateTimePickerWidget)}
    FieldConverter.conversion_table = tuple(
        (marker, *replace[marker]) if marker in replace else (marker, field, widget)
        for marker, field, widget in FieldConverter.conversion_table
    )
