"""Shared pieces of the sales views: column labels, state formatters, permission checks, responses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import request
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.domain.money import parse_money, parse_quantity
from app.services.sales.labels import DOC_STATE_LABELS, ORDER_STATE_LABELS, PAYMENT_STATUS_LABELS
from app.views.labels import COMMON_LABELS

CAT_SALES = "SalesMenu"

LABELS = COMMON_LABELS | {
    "tax_rate": _l("VAT, %"), "amount_net": _l("Amount without VAT"), "amount_tax": _l("VAT"),
    "amount_total": _l("Amount with VAT"), "delivery_address": _l("Delivery address"),
    "delivery_terms": _l("Delivery terms"), "delivery_date": _l("Delivery date"),
    "payment_terms_days": _l("Payment terms, days"), "analysed_at": _l("Analysed at"), "unit_price": _l("Price"),
    "promise_date": _l("Promise date"), "order": _l("Customer order"), "ship_date": _l("Date"),
    "carrier": _l("Carrier"), "vehicle": _l("Vehicle"), "driver": _l("Driver"), "window_from": _l("Window from"),
    "window_to": _l("Window to"), "transport_cost": _l("Transport cost"), "invoice_date": _l("Date"),
    "amount_paid": _l("Paid"), "payment_status": _l("Payment status"), "invoice": _l("Invoice"),
    "pay_date": _l("Date"), "method": _l("Method"), "reference": _l("Reference"), "order_line": _l("Order line"),
    "unit_cost_estimate": _l("Estimated unit cost"), "calculator_version_id": _l("Calculator version"),
}


def fmt_order_state(value: Any) -> Markup:
    return Markup('<span class="so-state so-state-%s">%s</span>') % (value, ORDER_STATE_LABELS.get(value, value))


def fmt_doc_state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, DOC_STATE_LABELS.get(value, value))


def fmt_payment_status(value: Any) -> Markup:
    return Markup('<span class="pay-%s">%s</span>') % (value, PAYMENT_STATUS_LABELS.get(value, value))


def can(view, action: str, resource: str | None = None) -> bool:
    return view.appbuilder.sm.has_access(f"can_{action}", resource or view.class_permission_name)


def form_date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_decimal(name: str, money: bool = False) -> Decimal | None | str:
    """The parsed value, None when empty, or the raw text when it is not a number (the service refuses it)."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    value, err = (parse_money if money else parse_quantity)(raw)
    return raw if err else value


MONEY_PARAMS = frozenset({"price", "amount", "total", "cost"})


def note_text(problem) -> str:
    """A Problem (an analysis explanation) in the user's language with numbers and dates in the locale's format."""
    from babel.numbers import format_decimal
    from flask_babel import gettext

    from app.domain.errors import Problem
    from app.views.base import fmt_date, locale_name

    loc = locale_name()
    params = {}
    for key, value in problem.params.items():
        if isinstance(value, Decimal) and value.is_finite():
            places = 2 if key in MONEY_PARAMS else min(max(-value.normalize().as_tuple().exponent, 0), 6)
            value = format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=loc)
        elif isinstance(value, date):
            value = fmt_date(value)
        params[key] = value
    return Problem(problem.msgid, params, line=problem.line).render(gettext)


def page_helpers() -> dict[str, Any]:
    """Formatters and labels the sales page templates use."""
    from flask_babel import gettext

    from app.services.sales.labels import order_state_label, payment_status_label, state_label
    from app.views.base import fmt_date, fmt_money, fmt_qty, locale_name

    return dict(fmt_date=fmt_date, fmt_money=fmt_money, fmt_qty=fmt_qty, order_state_label=order_state_label,
                doc_state_label=state_label, payment_status_label=payment_status_label,
                locale_lang=locale_name()[:2], tr=gettext, note=note_text)


def eager_interface(model, *relations: str):
    """The model's interface, loading the list's many-to-one columns in one query each (no N+1 per row)."""
    from sqlalchemy.orm import selectinload

    from app.views.base import FabrikaInterface

    class _Eager(FabrikaInterface):
        def query_count(self, query, filters=None, select_columns=None) -> int:
            """COUNT(id) over the filtered table, not over a subquery of every column: an index-only count."""
            if self.obj is not model:
                return super().query_count(query, filters, select_columns)
            from sqlalchemy import func

            inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
            return inner.with_entities(func.count(self.obj.id)).order_by(None).scalar() or 0

        def apply_all(self, query, *args, **kwargs):
            query = super().apply_all(query, *args, **kwargs)
            if self.obj is not model:  # FAB builds related models' interfaces from this class too
                return query
            return query.options(*[selectinload(getattr(self.obj, rel)) for rel in relations])

    return _Eager(model)


class FilterNumberPrefix(BaseFilter):
    """Document number starts with: an index range (not LIKE, which SQLite can't serve from the index)."""

    name = _l("Number starts with")
    arg_name = "nsw"

    def apply(self, query, value):
        from flask_appbuilder.models.sqla.filters import get_field_setup_query

        value = (value or "").strip().upper()
        query, field = get_field_setup_query(query, self.model, self.column_name)
        if not value:
            return query
        return query.filter(field >= value, field < value + "\uffff")


class NumberSearch:
    """Mixin of the document lists: the number filter that the index serves comes first."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        mine = [FilterNumberPrefix("number", self.datamodel)]
        lists = [self._filters.get_search_filters().get("number"), self._filters._all_filters.get("number")]
        for filters in {id(x): x for x in lists if x is not None}.values():
            filters[:0] = mine
