"""A job's result message kept as msgid and parameters, and shown in the reader's language.

A job runs with no reader (at night, in the scheduler), so it cannot choose a language: it leaves
`job_message(N_("..."), n=4)` (JSON of the msgid and its parameters) in the job run register, and
`message_text` translates it when a page, the flash after "Run now" or an export shows it. Codes
among the parameters (the purchasing methods) become words then too. Rows written before, and plain
texts such as a backup's file name, are shown as they are.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale, gettext

from app.services.vocabulary import PURCHASING_METHOD_LABELS

_MARK = '{"msgid":'


def N_(msgid: str) -> str:  # noqa: N802 - babel's default keyword: marks a msgid for extraction
    """Mark a msgid translated later, when the message is read."""
    return msgid


def job_message(msgid: str, **params: Any) -> str:
    """The stored form of a translated job message (numbers kept exact as text)."""
    plain = {k: str(v) if isinstance(v, Decimal) else v for k, v in params.items()}
    return json.dumps({"msgid": msgid, "params": plain}, ensure_ascii=False, sort_keys=True)


def _param(name: str, value: Any) -> Any:
    """A parameter as the reader sees it: codes as words, numbers in the reader's format."""
    if name == "methods" and isinstance(value, list):
        return ", ".join(str(PURCHASING_METHOD_LABELS.get(m, m)) for m in value)
    if isinstance(value, str) and _is_decimal(value):
        number = Decimal(value)
        places = max(-number.as_tuple().exponent, 0) if number.is_finite() else 0
        return format_decimal(number, format="#,##0." + "0" * places if places else "#,##0",
                              locale=str(get_locale() or "en"))
    return value


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return any(c.isdigit() for c in text)


def message_text(stored: Any) -> str:
    """The stored message in the reader's language (a plain text as it is)."""
    text = "" if stored is None else str(stored)
    if not text.startswith(_MARK):
        return text
    try:
        data = json.loads(text)
        params = {k: _param(k, v) for k, v in (data.get("params") or {}).items()}
        return gettext(data["msgid"], **params)
    except (ValueError, KeyError, TypeError):
        return text
