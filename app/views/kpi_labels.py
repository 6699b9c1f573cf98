"""Words and links of the KPI pages: divisions, periods, lights, units, and where each figure opens.

Kept apart from the views so the dashboard, the registers, the PDF and the scheduled reports share
one vocabulary.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from markupsafe import Markup

from app.domain.kpi import Period
from app.services.kpi.labels import (  # noqa: F401  (the pages' vocabulary, kept with the service)
    DIRECTION_LABELS,
    DIVISION_LABELS,
    FORMAT_LABELS,
    PERIOD_LABELS,
    RUN_STATUS_LABELS,
    STATUS_LABELS,
)
from app.services.kpi.metrics import BY_CODE
from app.views.labels import COMMON_LABELS

LABELS = COMMON_LABELS | {
    "metric": _l("Metric"), "formula": _l("Formula over metrics"), "division": _l("Division"),
    "employee": _l("Employee"), "period": _l("Period"), "target": _l("Target"), "weight": _l("Weight"),
    "red_threshold": _l("Red beyond"), "green_threshold": _l("Green from"), "direction": _l("Direction"),
    "definition": _l("KPI"), "period_start": _l("Period from"), "period_end": _l("Period to"),
    "old_value": _l("Old value"), "new_value": _l("New value"), "detected_at": _l("Detected"),
    "documents_text": _l("Documents"), "report": lazy_pgettext("noun", "Report"), "params": _l("Parameters"),
    "fmt": _l("Format"),
    "recipients": _l("Addresses"), "recipient_users": _l("Users"), "cron": _l("Schedule (cron)"),
    "schedule_words": _l("Schedule"), "skip_empty": _l("Skip when empty"), "next_run_at": _l("Next run"),
    "last_run_at": _l("Last run"), "slot": _l("Slot"), "status": _l("Status"), "rows": _l("Rows"),
    "message": _l("Message"), "outbox_ids": _l("Outbox messages"),
}

# a lineage row's document -> the page that shows it
REF_ENDPOINTS = {
    "invoice": ("SalesInvoiceView.show", "pk"), "payment": ("PaymentView.show", "pk"),
    "shipment": ("ShipmentView.show", "pk"), "sales_order": ("SalesOrderView.show", "pk"),
    "proposal": ("ProposalView.show", "pk"), "deal": ("DealView.show", "pk"),
    "production_completion": ("ProductionCompletionView.show", "pk"),
    "production_order": ("ProductionOrderView.show", "pk"), "purchase_order": ("PurchaseOrderView.show", "pk"),
    "item": ("ItemCardView.index", "item"),
}


def metric_label(code: str) -> str:
    metric = BY_CODE.get(code)
    return str(metric.label) if metric else code


def period_text(period: Period, fmt_date) -> str:
    return f"{fmt_date(period.start)} – {fmt_date(period.end)}"


def ref_url(ref_type: str, ref_id: int) -> str | None:
    target = REF_ENDPOINTS.get(ref_type)
    if target is None:
        return None
    try:
        return url_for(target[0], **{target[1]: ref_id})
    except Exception:  # noqa: BLE001 - a context without that page (a view not registered) shows plain text
        return None


def list_url(metric_code: str, period: Period) -> str | None:
    """The list behind a figure, filtered: its state and its dates inside the period (FAB's > and <)."""
    metric = BY_CODE.get(metric_code)
    if metric is None:
        return None
    endpoint, state, column = metric.link
    args: dict[str, Any] = {}
    if endpoint.endswith(".index"):
        args["on_date"] = period.end.isoformat()
        if metric_code == "stock_turnover":
            args.update(date_from=period.start.isoformat(), date_to=period.end.isoformat())
    else:
        if state:
            args["_flt_0_state"] = state
        if column:
            args[f"_flt_1_{column}"] = (period.start - timedelta(days=1)).isoformat()
            args[f"_flt_2_{column}"] = (period.end + timedelta(days=1)).isoformat()
    try:
        return url_for(endpoint, **args)
    except Exception:  # noqa: BLE001
        return None


def light(status: str) -> Markup:
    """The traffic light as a dot with its word (colour is never the only signal)."""
    return Markup('<span class="kpi-light kpi-%s" title="%s">●</span>') % (status, STATUS_LABELS.get(status, ""))
