"""Every document type's workflow, in one place: its states (with their names) and its transitions.

Read a row as "action: from these states -> to this state, needs this permission, stamps who/when".
A target of None means the service decides the next state from the document's content (a shipment
makes an order "in fulfilment" or "shipped"); an action that keeps the state (analyse, edit, pay an
invoice) leads to its own state. Services check transitions here, pages show buttons from here,
lists, cards, printed forms and the API name states from here.
"""

from __future__ import annotations

from app.domain.quality import COMPLAINT, CORRECTIVE_ACTION
from app.domain.workflow import Transition, Workflow, _l, workflow
from app.permissions import (
    ACTION_POST,
    ACTION_WRITE,
    RESOURCE_INVOICE,
    RESOURCE_OUTBOX,
    RESOURCE_PRODUCTION,
    RESOURCE_PROPOSAL,
    RESOURCE_PURCHASING,
    RESOURCE_SALES_ORDER,
    RESOURCE_SERVICE,
    RESOURCE_SHIPMENT,
    RESOURCE_STOCK_DOCUMENT,
)

# --- the words ------------------------------------------------------------------------------------

DRAFT, POSTED, CANCELLED = "draft", "posted", "cancelled"
POSTING_STATES = {DRAFT: _l("Draft"), POSTED: _l("Posted"), CANCELLED: _l("Cancelled")}

POST = _l("Posting")
CANCEL = _l("Cancelling")
EDIT = _l("Editing")
CONFIRM = _l("Confirmation")
SEND = _l("Sending")


def _t(action: str, label: str, sources: tuple[str, ...], target: str | None, permission: str = ACTION_POST,
       stamp: str | None = None, hint: str | None = None) -> Transition:
    return Transition(action, label, sources, target, permission, stamp, hint)


def _posting(doc_type: str, name: str, resource: str, cancel_from: tuple[str, ...] = (POSTED,)) -> Workflow:
    """draft -> posted -> cancelled (by reversal): stock documents, shipments, disassembly, conversion."""
    return workflow(doc_type, name, resource, POSTING_STATES,
                    _t("edit", EDIT, (DRAFT,), DRAFT, ACTION_WRITE,
                       hint=_l("A posted document is never changed: cancel it and enter a new one")),
                    _t("post", POST, (DRAFT,), POSTED, stamp="posted"),
                    _t("cancel", CANCEL, cancel_from, CANCELLED, stamp="cancelled"))


# --- warehouse ------------------------------------------------------------------------------------

STOCK_DOCUMENT = _posting("stock_document", _l("Stock document"), RESOURCE_STOCK_DOCUMENT)

# --- production -----------------------------------------------------------------------------------

PRODUCTION_ORDER = workflow(
    "production_order", _l("Production order"), RESOURCE_PRODUCTION,
    {"draft": _l("Draft"), "released": _l("Released"), "in_progress": _l("In progress"), "done": _l("Done"),
     "cancelled": _l("Cancelled")},
    _t("edit", EDIT, ("draft",), "draft", ACTION_WRITE),
    _t("release", _l("Release"), ("draft",), "released", stamp="released"),
    _t("report", _l("Operation report"), ("released", "in_progress"), "in_progress", ACTION_WRITE),
    _t("complete", _l("Completion"), ("released", "in_progress"), None),
    _t("reopen", _l("Back to work"), ("done",), "in_progress"),  # an output receipt was cancelled
    _t("cancel", CANCEL, ("draft", "released", "in_progress", "done"), "cancelled", stamp="cancelled"),
)
#: an output receipt is posted when the order is completed, and cancelled by reversal
PRODUCTION_RECEIPT = workflow("production_receipt", _l("Output receipt"), RESOURCE_PRODUCTION, POSTING_STATES,
                              _t("cancel", CANCEL, (POSTED,), CANCELLED, stamp="cancelled"), initial=POSTED)
TRANSFORMATION = _posting("transformation", _l("Disassembly or conversion"), RESOURCE_PRODUCTION)

# --- sales ----------------------------------------------------------------------------------------

SALES_ORDER = workflow(
    "sales_order", _l("Customer order"), RESOURCE_SALES_ORDER,
    {"draft": _l("Draft"), "confirmed": _l("Order confirmed"), "in_fulfilment": _l("In fulfilment"),
     "shipped": _l("Shipped"), "closed": _l("Order closed"), "cancelled": _l("Cancelled")},
    _t("edit", EDIT, ("draft",), "draft", ACTION_WRITE),
    _t("confirm", CONFIRM, ("draft",), "confirmed", stamp="confirmed"),
    _t("analyse", _l("Logistics analysis"), ("confirmed", "in_fulfilment"), None),
    _t("ship", _l("Shipping"), ("confirmed", "in_fulfilment"), None),
    # a shipment posted or cancelled: confirmed (none shipped), in fulfilment (part) or shipped (all)
    _t("fulfil", _l("Shipping"), ("confirmed", "in_fulfilment", "shipped"), None, stamp=None),
    _t("invoice", _l("Invoicing"), ("draft", "confirmed", "in_fulfilment", "shipped", "closed"), None),
    _t("close", _l("Closing"), ("shipped",), "closed"),
    _t("cancel", CANCEL, ("draft", "confirmed", "in_fulfilment"), "cancelled", stamp="cancelled"),
)
#: states in which an order holds reservations and can be shipped
SALES_ORDER_OPEN = SALES_ORDER.in_states("ship")
SHIPMENT = workflow("shipment", _l("Shipment"), RESOURCE_SHIPMENT, POSTING_STATES,
                    _t("edit", EDIT, (DRAFT,), DRAFT, ACTION_WRITE),
                    _t("transport", _l("Transport details"), (DRAFT, POSTED), None, ACTION_WRITE),
                    _t("post", _l("Shipping"), (DRAFT,), POSTED, stamp="posted"),
                    _t("cancel", CANCEL, (DRAFT, POSTED), CANCELLED, stamp="cancelled"))
SALES_INVOICE = workflow("sales_invoice", _l("Invoice"), RESOURCE_INVOICE, POSTING_STATES,
                         _t("pay", _l("Payment"), (POSTED,), POSTED),
                         _t("cancel", CANCEL, (POSTED,), CANCELLED, stamp="cancelled"), initial=POSTED)
PAYMENT = workflow("payment", _l("Payment"), RESOURCE_INVOICE, POSTING_STATES,
                   _t("cancel", CANCEL, (POSTED,), CANCELLED, stamp="cancelled"), initial=POSTED)

# --- purchasing -----------------------------------------------------------------------------------

PURCHASE_REQUEST = workflow(
    "purchase_request", _l("Purchase request"), RESOURCE_PURCHASING,
    {"draft": _l("Draft"), "sent": _l("Sent"), "confirmed": _l("Confirmed"), "received": _l("Received in full"),
     "cancelled": _l("Cancelled")},
    _t("edit", EDIT, ("draft",), "draft", ACTION_WRITE),
    _t("send", SEND, ("draft",), "sent", stamp="sent"),
    _t("confirm", CONFIRM, ("draft", "sent"), "confirmed"),
    _t("receive", _l("Receiving"), ("confirmed",), "received"),
    _t("cancel", CANCEL, ("draft", "sent"), "cancelled"),
    _t("withdraw", CANCEL, ("confirmed",), "cancelled"),  # its orders were all cancelled
)
PURCHASE_ORDER = workflow(
    "purchase_order", _l("Purchase order"), RESOURCE_PURCHASING,
    {"draft": _l("Draft"), "sent": _l("Sent"), "confirmed": _l("Confirmed"), "partial": _l("Partly received"),
     "received": _l("Received in full"), "cancelled": _l("Cancelled")},
    _t("edit", EDIT, ("draft",), "draft", ACTION_WRITE),
    _t("send", SEND, ("draft",), "sent", stamp="sent"),
    _t("confirm", CONFIRM, ("draft", "sent"), "confirmed", stamp="confirmed"),
    _t("receive", _l("Receiving"), ("sent", "confirmed", "partial"), None),
    _t("close", _l("Closing"), ("partial",), "received"),
    _t("cancel", CANCEL, ("draft", "sent", "confirmed"), "cancelled"),
)

# --- proposals ------------------------------------------------------------------------------------

PROPOSAL = workflow(
    "proposal", _l("Proposal (TCP)"), RESOURCE_PROPOSAL,
    {"draft": _l("Draft"), "sent": _l("Sent"), "approved": _l("Approved"), "rejected": _l("Rejected"),
     "converted": _l("Converted")},
    _t("edit", EDIT, ("draft",), "draft", ACTION_WRITE,
       hint=_l("Revise proposal %(number)s to make a new version, and change that one")),
    _t("send", SEND, ("draft",), "sent", stamp="sent"),
    _t("approve", _l("Approval"), ("sent",), "approved", stamp="decided"),
    _t("reject", _l("Rejection"), ("sent",), "rejected", stamp="decided"),
    _t("revise", _l("New version"), ("sent", "rejected"), None, ACTION_WRITE),
    _t("convert", _l("Conversion to an order"), ("approved",), "converted"),
    _t("email", _l("E-mail to the client"), ("draft", "sent", "approved", "rejected"), None),
)

# --- mail -----------------------------------------------------------------------------------------

OUTBOX_MESSAGE = workflow(
    "outbox_message", _l("E-mail"), RESOURCE_OUTBOX,
    {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed")},
    _t("retry", _l("Sending again"), ("queued", "failed"), None), initial="queued",
)

# --- service --------------------------------------------------------------------------------------

#: a client's request: new -> in progress -> waiting for the client -> resolved -> closed; reopened when the
#: fix did not hold. Waiting for the client stops the SLA clock; a repair (parts from stock) is done in work.
SERVICE_REQUEST = workflow(
    "service_request", _l("Service request"), RESOURCE_SERVICE,
    {"new": _l("New"), "in_progress": _l("In progress"), "waiting": _l("Waiting for the client"),
     "resolved": _l("Resolved"), "closed": _l("Closed")},
    _t("start", _l("Taking into work"), ("new",), "in_progress", ACTION_WRITE),
    _t("wait", _l("Waiting for the client"), ("in_progress",), "waiting", ACTION_WRITE),
    _t("resume", _l("Back to work"), ("waiting",), "in_progress", ACTION_WRITE),
    _t("repair", _l("Repair"), ("in_progress",), None),
    _t("resolve", _l("Resolving"), ("new", "in_progress", "waiting"), "resolved", ACTION_WRITE, stamp="resolved"),
    _t("close", _l("Closing"), ("resolved",), "closed", ACTION_WRITE, stamp="closed"),
    _t("reopen", _l("Reopening"), ("resolved", "closed"), "in_progress", ACTION_WRITE),
    initial="new",
)

WORKFLOWS: dict[str, Workflow] = {wf.doc_type: wf for wf in (
    STOCK_DOCUMENT, PRODUCTION_ORDER, PRODUCTION_RECEIPT, TRANSFORMATION, SALES_ORDER, SHIPMENT, SALES_INVOICE,
    PAYMENT, PURCHASE_REQUEST, PURCHASE_ORDER, PROPOSAL, OUTBOX_MESSAGE, SERVICE_REQUEST)}
# quality (declared in app/domain/quality.py with its analysis helpers)
WORKFLOWS.update({wf.doc_type: wf for wf in (COMPLAINT, CORRECTIVE_ACTION)})
# cost corrections (declared in app/domain/costing.py with the correction's words)
from app.domain.costing import COST_CORRECTION  # noqa: E402

WORKFLOWS[COST_CORRECTION.doc_type] = COST_CORRECTION
# projects (declared in app/domain/planning.py with the scheduling in working days)
from app.domain.planning import PROJECT_TASK  # noqa: E402

WORKFLOWS[PROJECT_TASK.doc_type] = PROJECT_TASK
