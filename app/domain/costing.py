"""The cost correction's workflow: draft -> posted -> cancelled (a posted correction is reversed by a
correction of the opposite sign on the cancellation date, never edited), and the period's states."""

from __future__ import annotations

from app.domain.workflow import Transition, _l, workflow
from app.permissions import ACTION_POST, ACTION_WRITE, RESOURCE_COSTING

COST_CORRECTION = workflow(
    "cost_correction", _l("Cost correction"), RESOURCE_COSTING,
    {"draft": _l("Draft"), "posted": _l("Posted"), "cancelled": _l("Cancelled")},
    Transition("edit", _l("Editing"), ("draft",), "draft", ACTION_WRITE, None,
               _l("A posted correction is never changed: cancel it and enter a new one")),
    Transition("post", _l("Posting"), ("draft",), "posted", ACTION_POST, "posted", None),
    Transition("cancel", _l("Cancelling"), ("posted",), "cancelled", ACTION_POST, "cancelled", None),
)
PERIOD_STATES = {"open": _l("Open"), "closed": _l("Closed")}
CORRECTION_KIND_LABELS = {"landed": _l("Landed cost (freight, customs)"), "price": _l("Supplier's price change")}
BASIS_LABELS = {"value": _l("By value"), "qty": _l("By quantity"), "weight": _l("By weight")}
IMPACT_LABELS = {"lot": _l("Stock (lots)"), "issue": _l("Write-offs and issues"), "transfer": _l("Transfers"),
                 "production": _l("Production receipts"), "shipment": _l("Shipments (cost of goods sold)"),
                 "margin": _l("Order margins"), "expense": _l("Expense (goods already gone)")}
