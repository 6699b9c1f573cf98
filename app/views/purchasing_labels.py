"""Words of the purchasing pages: column labels, states, methods, and the "why" of a request line.

Kept apart from the views so the pages, the dashboard and the API share one vocabulary (and babel
extracts it from Python).
"""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.documents import PURCHASE_ORDER, PURCHASE_REQUEST
from app.services.jobs import TRIGGER_LABELS
from app.services.vocabulary import PURCHASING_METHOD_LABELS
from app.services.workflow import lazy_state_labels
from app.views.base import fmt_date, fmt_number, locale_name
from app.views.fields import localized_numbers
from app.views.labels import COMMON_LABELS

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REQUEST_STATE_LABELS = lazy_state_labels(PURCHASE_REQUEST)  # declared with the workflows
ORDER_STATE_LABELS = lazy_state_labels(PURCHASE_ORDER)
METHOD_LABELS = PURCHASING_METHOD_LABELS  # also read by the nightly run's message (app/services/job_messages.py)
CRITERION_LABELS = {"revenue": _l("Revenue"), "quantity": _l("Quantity"), "margin": _l("Margin"),
                    "orders": _l("Number of orders")}
SOURCE_LABELS = {"ledger": _l("Stock ledger (shipments and production issues)"), "invoices": _l("Sales invoices")}
LABELS = COMMON_LABELS | {
    "supplier": _l("Supplier"), "min_qty": _l("Minimum order quantity"), "pack_qty": _l("Pack size"),
    "lead_time_days": _l("Lead time, days"), "supplier_item_code": _l("Supplier's code"),
    "characteristics": _l("Characteristics"), "max_qty": _l("Maximum"), "request_date": _l("Date"),
    "total_base": _l("Total, base currency"), "sent_at": _l("Sent on"), "amount_base": _l("Amount, base currency"),
    "need_by": _l("Needed by"), "source": _l("Suggested by"), "source_ref": _l("Source document"),
    "reason": _l("Why it was suggested"), "request": _l("Purchase request"), "total": _l("Total"),
    "expected_date": _l("Expected delivery"), "received_qty": _l("Received so far"), "order": _l("Purchase order"),
    "doc_number": _l("Goods receipt"), "receipt_date": _l("Date"), "price_difference": _l("Price difference"),
    "received_by": _l("Received by"), "methods": _l("Methods"), "requests_created": _l("New requests"),
    "lines_created": _l("New lines"), "lines_updated": _l("Updated lines"), "value_base": _l("Value, base currency"),
    "excess": _l("More than needed now"),
}
#: who started a reorder run: the scheduler, a user's button, or the demo loader
RUN_TRIGGER_LABELS = {**TRIGGER_LABELS, "demo": _l("Demo data")}
#: a reorder point's minimum is a stock level, not the offer's "minimum order quantity"
REORDER_LABELS = LABELS | {"min_qty": _l("Minimum")}
#: the figures of a line's reason, in the order the page shows them
REASON_LABELS = [
    ("method", _l("Method")), ("order", _l("Customer order")), ("client", _l("Client")), ("period", _l("Period")),
    ("abc_class", _l("ABC class")), ("criterion", _l("Criterion")),
    ("abc_value", _l("ABC measure")), ("abc_share", _l("Cumulative share, %")), ("on_hand", _l("On hand")),
    ("reserved", _l("Reserved")), ("available", _l("Available")), ("on_order", _l("On order")),
    ("requested", _l("In other open requests")), ("consumed", _l("Consumed in the period")),
    ("days", _l("Days in the period")), ("daily", _l("Average per day")), ("lead_time", _l("Lead time, days")),
    ("safety_days", _l("Safety days")), ("cover_days", _l("Cover days")), ("demand", _l("Demand")),
    ("min", _l("Minimum")), ("max", _l("Maximum")), ("need", _l("Net need")), ("needed_now", _l("Needed now")),
    ("excess", _l("More than needed now")), ("min_qty", _l("Minimum order quantity")),
    ("pack_qty", _l("Pack size")), ("ordered", _l("To order")), ("supplier", _l("Supplier")),
    ("price", _l("Price")), ("currency", _l("Currency")), ("price_base", _l("Price, base currency")),
]


def fmt_request_state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, REQUEST_STATE_LABELS.get(value, value))


def fmt_order_state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, ORDER_STATE_LABELS.get(value, value))


def fmt_method(value: Any) -> str:
    return str(METHOD_LABELS.get(value, value or ""))


def fmt_methods(value: Any) -> str:
    """A run's comma-separated method codes as their names."""
    return ", ".join(fmt_method(m) for m in (value or "").split(",") if m)


def fmt_source_ref(value: Any) -> str:
    """A customer order's number as it is; the methods' internal "wh:<id>" grouping key is not for people."""
    return "" if not value or str(value).startswith("wh:") else str(value)


def fmt_trigger(value: Any) -> str:
    return str(RUN_TRIGGER_LABELS.get(value, value or ""))


def fmt_yes_no(value: Any) -> str:
    """A flag as a word the reader uses, not Python's True / False."""
    return str(_l("Yes") if value else _l("No"))


def fmt_count(value: Any) -> Markup:
    """Counts and days, right-aligned like every other number."""
    return fmt_number(value, 0)


def _number(text: str, money: bool = False) -> str:
    """A reason figure (a plain decimal string) in the reader's number format; prices with two places."""
    try:
        from decimal import Decimal

        return format_decimal(Decimal(text), format="#,##0.00" if money else None, locale=locale_name())
    except Exception:  # noqa: BLE001 - not a number (a date range, a name): shown as it is
        return text


def _exact(text: str) -> str:
    """A quantity with every decimal it has (2,3331 must not read 2,333 where rounding is explained)."""
    try:
        from decimal import Decimal

        return format_decimal(Decimal(text), locale=locale_name(), decimal_quantization=False)
    except Exception:  # noqa: BLE001 - not a number: shown as it is
        return text


def _period(text: str) -> str:
    """"2026-09-29 – 2026-11-27" with the dates as the reader writes them."""
    from datetime import date

    def one(match: re.Match) -> str:
        try:
            return fmt_date(date.fromisoformat(match.group(0)))
        except ValueError:
            return match.group(0)

    return ISO_DATE.sub(one, text)


def _value(key: str, value: Any) -> str:
    if key == "method":
        return fmt_method(value)
    if key == "criterion":
        return str(CRITERION_LABELS.get(value, value))
    if key == "period":
        return _period(str(value))
    if key in ("supplier", "currency", "abc_class", "order", "client"):
        return str(value)
    return _number(str(value), money=key in ("price", "price_base"))


ROUNDING_TEXTS = {
    "whole": _l("Rounded up to a whole number: %(from)s → %(to)s"),
    "unit": _l("Rounded up to %(places)s decimal places of the unit: %(from)s → %(to)s"),
    "min": _l("Raised to the supplier's minimum order quantity of %(min_qty)s: %(from)s → %(to)s"),
    "pack": _l("Rounded up to whole packs of %(pack_qty)s (%(packs)s packs): %(from)s → %(to)s"),
}


def rounding_text(step: dict) -> str:
    """One rounding step of a request line (app.domain.reorder.order_qty) as a sentence in the reader's language."""
    kind = step.get("step")
    if kind == "unit" and str(step.get("places")) == "0":
        kind = "whole"
    template = ROUNDING_TEXTS.get(kind)
    if template is None:
        return ""
    figures = {k: (_exact(str(v)) if k not in ("places", "step") else str(v)) for k, v in step.items()}
    return str(template) % {key: figures.get(key, "") for key in ("from", "to", "places", "min_qty", "pack_qty",
                                                                   "packs")}


def reason_table(reason: Any) -> Markup:
    """Every figure of the reason, labelled, then the formula with its numbers and the alternatives."""
    if not isinstance(reason, dict) or not reason:
        return Markup("")
    rows = [Markup("<tr><th>%s</th><td class='num'>%s</td></tr>") % (label, _value(key, reason[key]))
            for key, label in REASON_LABELS if reason.get(key) not in (None, "")]
    formula = localized_numbers(reason.get("formula", ""))
    if reason.get("rounding"):
        formula = f"{formula}; {reason['rounding']}" if formula else reason["rounding"]
    out = Markup('<table class="table table-condensed fab-reason">%s</table>') % Markup("").join(rows)
    if formula:
        out += Markup('<p><strong>%s:</strong> <code class="fab-formula">%s</code></p>') % (_l("Formula"), formula)
    steps = [text for text in (rounding_text(s) for s in reason.get("rounding_steps") or []
                               if isinstance(s, dict)) if text]
    if steps:
        out += Markup("<p><strong>%s:</strong></p><ul class='fab-rounding'>%s</ul>") % (
            _l("How the quantity was rounded"), Markup("").join(Markup("<li>%s</li>") % s for s in steps))
    alternatives = reason.get("alternatives") or []
    if alternatives:
        items = Markup("").join(
            Markup("<li>%s: %s %s (%s), %s %s</li>") % (a["supplier"], _number(a["price"], True), a["currency"],
                                                         _number(a["price_base"], True), a["lead_time"], _l("days"))
            for a in alternatives)
        out += Markup("<p><strong>%s:</strong></p><ul>%s</ul>") % (_l("Other offers"), items)
    return out


def reason_short(formula: Any) -> Markup:
    if not formula:
        return Markup("")
    return Markup('<code class="fab-formula">%s</code>') % escape(localized_numbers(str(formula)))
