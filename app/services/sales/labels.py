"""Translated names of sales states and kinds, for lists, cards and printed forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.domain.documents import SALES_ORDER, SHIPMENT
from app.services.workflow import lazy_state_labels

# state names come from the workflow declarations (app/domain/documents.py), the one place they live
ORDER_STATE_LABELS = lazy_state_labels(SALES_ORDER)
DOC_STATE_LABELS = lazy_state_labels(SHIPMENT)
INVOICE_KIND_LABELS = {"invoice": _l("Invoice"), "act": _l("Act")}
PAYMENT_STATUS_LABELS = {
    "unpaid": _l("Unpaid"), "partial": _l("Partly paid"), "paid": _l("Paid"), "overdue": _l("Payment overdue"),
    "cancelled": _l("Cancelled"), "act": _l("No payment due"),
}
PAYMENT_METHOD_LABELS = {"bank": _l("Bank transfer"), "cash": _l("Cash"), "card": _l("Card")}


def order_state_label(state: str) -> str:
    return str(ORDER_STATE_LABELS.get(state, state))


def state_label(state: str) -> str:
    return str(DOC_STATE_LABELS.get(state, state))


def invoice_kind_label(kind: str) -> str:
    return str(INVOICE_KIND_LABELS.get(kind, kind))


def payment_status_label(status: str) -> str:
    return str(PAYMENT_STATUS_LABELS.get(status, status))
