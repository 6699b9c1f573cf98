"""The sales funnel's chart: one money axis, every amount in the base currency at the day's rates.

It used to draw deal counts, conversion and one amount line per currency on three vertical axes,
euros and roubles on the same scale. Now it is one horizontal bar per stage: the amount of the
deals that reached it, converted to the base currency (services.crm.funnel_in_base_currency); the
count and the conversion to the next stage are written beside each bar, and the chart's title says
which currency and which day's rates it uses. The table under it keeps the exact per-currency sums.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext

from app.services.crm import FunnelInBase, FunnelRow
from app.views.base import fmt_date, locale_name


def _note(row: FunnelRow) -> str:
    """"12 deals · 58.3 % go on": what the bar's length does not show."""
    text = ngettext("%(num)s deal", "%(num)s deals", row.reached)
    if row.conversion is not None:
        pct = format_decimal(row.conversion, format="#,##0.0", locale=locale_name())
        text += " · " + _("%(pct)s %% go on to the next stage", pct=pct)
    return text


def funnel_chart(rows: list[FunnelRow], in_base: FunnelInBase) -> dict[str, Any]:
    """The chart's data and its translated texts (floats only for drawing; the table shows Decimals)."""
    title = _("Amount of the deals that reached each stage, %(currency)s (other currencies at the rates of "
              "%(day)s)", currency=in_base.currency or "-", day=fmt_date(in_base.on_date))
    subtitle = ""
    if in_base.without_rate:
        subtitle = _("No exchange rate for %(codes)s by %(day)s: those deals are not in the chart",
                     codes=", ".join(in_base.without_rate), day=fmt_date(in_base.on_date))
    return {
        "labels": [row.stage.label() for row in rows],
        "amounts": [float(value) for value in in_base.amounts],
        "lost": [bool(row.stage.is_lost) for row in rows],
        "notes": [_note(row) for row in rows],
        "currency": in_base.currency,
        "title": title,
        "subtitle": subtitle,
        "axis": _("Amount, %(currency)s", currency=in_base.currency or "-"),
    }
