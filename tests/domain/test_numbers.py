"""The one parser of typed numbers (app/domain/numbers.py): what we show is what we accept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from app.domain import money
from app.domain.numbers import MSG_AMBIGUOUS, MSG_NOT_NUMBER, NumberError, parse_number

LOCALES = ("ru", "es", "en")


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False),
       st.sampled_from(LOCALES))
def test_every_shown_number_reads_back(value: Decimal, locale: str) -> None:
    shown = format_decimal(value, locale=locale, decimal_quantization=False)
    assert parse_number(shown, locale) == value


@given(st.decimals(min_value=Decimal(0), max_value=Decimal("1e9"), places=2, allow_nan=False),
       st.sampled_from(LOCALES))
def test_money_as_printed_reads_back(value: Decimal, locale: str) -> None:
    assert parse_number(format_decimal(value, format="#,##0.00", locale=locale), locale) == value


@pytest.mark.parametrize("text, locale, expected", [
    ("50 000,00", "ru", "50000.00"),
    ("50\u00a0000,00", "ru", "50000.00"),
    ("50\u202f000,00", "ru", "50000.00"),
    ("50000,00", "ru", "50000.00"),
    ("50.000,00", "es", "50000.00"),
    ("50.000,00", "ru", "50000.00"),  # both marks: the last one is the decimal separator
    ("50,000.00", "en", "50000.00"),
    ("1.234", "es", "1234"),  # the Spanish grouping point
    ("1,234", "en", "1234"),  # the English grouping comma
    ("1,234", "ru", "1.234"),  # the Russian decimal comma
    ("1.5", "ru", "1.5"),  # a keypad point where no other reading exists
    ("2,75", "en", "2.75"),
    ("1.234.567", "ru", "1234567"),
    ("1 234.567", "ru", "1234.567"),  # spaces group, so the point is decimal
    ("-1 234,5", "ru", "-1234.5"),
    ("\u22123", "es", "-3"),
    ("1234.56", None, "1234.56"),
    ("50 000,00", None, "50000.00"),
])
def test_locale_formats_are_read(text: str, locale: str | None, expected: str) -> None:
    assert parse_number(text, locale) == Decimal(expected)


@pytest.mark.parametrize("text, locale, msgid", [
    ("1.234", "ru", MSG_AMBIGUOUS),
    ("1,234", None, MSG_AMBIGUOUS),
    ("1.234,5.6", "ru", MSG_NOT_NUMBER),
    ("1,234.5,6", "en", MSG_NOT_NUMBER),
    ("5 0000", "ru", MSG_NOT_NUMBER),
    ("12,34,567", "en", MSG_NOT_NUMBER),
    ("1e3", "en", MSG_NOT_NUMBER),
    ("NaN", "en", MSG_NOT_NUMBER),
    ("abc", "ru", MSG_NOT_NUMBER),
    ("-", "ru", MSG_NOT_NUMBER),
    ("1 234,5 6", "ru", MSG_NOT_NUMBER),
])
def test_ambiguous_or_malformed_text_is_refused(text: str, locale: str | None, msgid: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, locale)
    assert caught.value.msgid == msgid


def test_money_parser_uses_the_given_locale() -> None:
    assert money.parse_decimal("50 000,00", 4, money.MAX_MONEY, "ru") == (Decimal("50000.00"), None)
    assert money.parse_decimal("1.234", 4, money.MAX_MONEY, "es") == (Decimal(1234), None)
    assert money.parse_decimal("1.234", 4, money.MAX_MONEY, "ru") == (None, MSG_AMBIGUOUS)
    assert money.parse_decimal("0,00001", 4, money.MAX_MONEY, "ru")[1].startswith("Too many decimal places")


def test_a_lone_zero_is_never_grouped() -> None:
    assert parse_number("0.125", "es") == Decimal("0.125")
    assert parse_number(".5", "es") == Decimal("0.5")


def test_text_the_app_stored_is_read_by_the_machine_rule_even_on_a_page() -> None:
    from app.domain import numbers

    numbers.set_locale_resolver(lambda: "es")
    try:
        assert money.parse_decimal("2.125", 6, money.MAX_QTY) == (Decimal(2125), None)
        with numbers.stored():
            assert money.parse_decimal("2.125", 6, money.MAX_QTY) == (Decimal("2.125"), None)
            assert numbers.input_locale() is None
        assert numbers.input_locale() == "es"
        assert numbers.machine_text(Decimal("40.000")) == "40" and numbers.machine_text(Decimal("0.1250")) == "0.125"
    finally:
        numbers.set_locale_resolver(lambda: None)
