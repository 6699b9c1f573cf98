"""The words for coded values, in one registry: (table, column) -> {code: translated name}.

The database keeps codes ("fifo", "production_output", "sales_order", "create", True); a reader
meets words ("Партия (FIFO)", "Выпуск продукции", "Заказ клиента", "Создание", "Да"). Lists,
cards, filters and exports of every register look a column up here (app/views/base.py), so a
code is translated once and reads the same everywhere; PDFs and services call `label`.

A view's own select choices (`choice_field`) are found by the view itself; this registry holds
the columns no form edits: ledger kinds, document types, audit actions, job codes, states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain import move_kinds
from app.domain.documents import WORKFLOWS

YES_NO = {True: _l("Yes"), False: _l("No")}

DOC_TYPE_LABELS = {
    "receipt": _l("Goods receipt"), "issue": _l("Goods issue"), "transfer": _l("Transfer"),
    "count": _l("Stock count"), "customer_return": _l("Customer return"), "supplier_return": _l("Return to supplier"),
    "opening": _l("Opening balance"),
    "sales_order": _l("Customer order"), "shipment": _l("Shipment"), "sales_invoice": _l("Invoice"),
    "sales_act": _l("Act"), "payment": _l("Payment"), "production_order": _l("Production order"),
    "production": _l("Output receipt"), "disassembly": _l("Disassembly"), "conversion": _l("Conversion"),
    "purchase_request": _l("Purchase request"), "purchase_order": _l("Purchase order"),
    "proposal": _l("Proposal (TCP)"),
    "service_request": _l("Service request"), "complaint": _l("Complaint"),
    "project_task": _l("Task"),
    "cost_correction": _l("Cost correction"), "recost": _l("Re-costing of later documents"),
}

MOVE_KIND_LABELS = {
    move_kinds.RECEIPT: _l("Goods receipt"), move_kinds.ISSUE: _l("Goods issue"), move_kinds.TRANSFER: _l("Transfer"),
    move_kinds.TRANSFER_IN: _l("Transfer in"), move_kinds.COUNT: _l("Stock count"),
    move_kinds.CUSTOMER_RETURN: _l("Customer return"), move_kinds.SUPPLIER_RETURN: _l("Return to supplier"),
    move_kinds.OPENING: _l("Opening balance"),
    move_kinds.REVERSAL: _l("Cancellation"), move_kinds.IN: _l("Incoming"), move_kinds.OUT: _l("Outgoing"),
    move_kinds.SALE: _l("Sale"), move_kinds.PRODUCTION_ISSUE: _l("Issue to production"),
    move_kinds.PRODUCTION_OUTPUT: _l("Production output"), move_kinds.PRODUCTION_BYPRODUCT: _l("By-product"),
    move_kinds.transformation_out("disassembly"): _l("Disassembly: taken apart"),
    move_kinds.transformation_in("disassembly"): _l("Disassembly: parts received"),
    move_kinds.transformation_out("conversion"): _l("Conversion: consumed"),
    move_kinds.transformation_in("conversion"): _l("Conversion: received"),
    "revaluation": _l("Revaluation"), "reallocation": _l("Reallocation to an older lot"),
}

ITEM_KIND_LABELS = {
    "material": _l("Material"), "component": _l("Component"), "node": _l("Node"), "product": _l("Product"),
    "kit": _l("Kit"), "service": _l("Service"),
}
TRACKING_LABELS = {"lots": _l("Lots"), "serials": _l("Serial numbers"), "none": _l("None")}
VALUATION_LABELS = {"fifo": _l("Batch (FIFO)"), "average": _l("Average cost")}

#: model class -> the register's name, for the audit log ("PurchaseRequestLine" -> "Purchase request line")
ENTITY_LABELS = {
    "Activity": _l("Activity"), "Bom": _l("Bill of materials"), "BomLine": _l("Bill of materials line"),
    "Calculator": _l("Calculator"), "Company": _l("Company"), "CompatibilityRule": _l("Compatibility rule"),
    "Currency": _l("Currency"), "CurrencyRate": _l("Exchange rate"), "Deal": _l("Deal"), "DealStage": _l("Deal stage"),
    "DocumentSequence": _l("Document numbering"), "Holiday": _l("Holiday"), "Item": _l("Item"),
    "ItemGroup": _l("Item group"), "KpiDefinition": _l("KPI definition"), "LookupTable": _l("Lookup table"),
    "ModelLine": _l("Base configuration line"), "OptionGroup": _l("Option group"), "Partner": _l("Partner"),
    "PartnerAddress": _l("Address"), "PartnerBankAccount": _l("Bank account"), "Payment": _l("Payment"),
    "PaymentInstalment": _l("Payment schedule"), "PriceList": _l("Price list"), "PriceListItem": _l("Price"),
    "PricingRule": _l("Pricing rule"), "ProductModel": _l("Product model"), "ProductOption": _l("Option"),
    "ProductionCompletion": _l("Output receipt"), "ProductionOperation": _l("Operation"),
    "ProductionOrder": _l("Production order"), "Proposal": _l("Proposal (TCP)"), "ProposalLine": _l("Proposal line"),
    "PurchaseOrder": _l("Purchase order"), "PurchaseOrderLine": _l("Purchase order line"),
    "PurchaseReceipt": _l("Receipt against an order"), "PurchaseRequest": _l("Purchase request"),
    "PurchaseRequestLine": _l("Request line"), "PurchasingSettings": _l("Purchasing settings"),
    "ReorderPoint": _l("Reorder point"), "Routing": _l("Routing"), "RoutingOperation": _l("Routing operation"),
    "SalesInvoice": _l("Invoice"), "SalesInvoiceLine": _l("Invoice line"), "SalesOrder": _l("Customer order"),
    "SalesOrderLine": _l("Order line"), "ScheduledReport": _l("Scheduled report"), "ServiceRepair": _l("Repair"),
    "ServiceRequest": _l("Service request"), "Shipment": _l("Shipment"), "ShipmentLine": _l("Shipment line"),
    "SlaPolicy": _l("SLA policy"), "StockDocument": _l("Stock document"),
    "StockDocumentLine": _l("Stock document line"), "SupplierOffer": _l("Supplier offer"), "Tag": _l("Tag"),
    "Transformation": _l("Disassembly or conversion"), "TransformationLine": _l("Output line"),
    "Unit": _l("Unit of measure"), "UnitConversion": _l("Unit conversion"), "Warehouse": _l("Warehouse"),
    "WorkCenter": _l("Work centre"), "WorkingCalendar": _l("Working calendar"), "Complaint": _l("Complaint"),
    "CorrectiveAction": _l("Corrective action"), "DefectCause": _l("Defect cause"), "KbArticle": _l("Article"),
    "KbAttachment": _l("Article attachment"), "KbCategory": _l("Section"), "KbRequestLink": _l("Article link"),
    "KbTag": _l("Tag"), "ImportRun": _l("Import run"),
    "CostCorrection": _l("Cost correction"), "AccountingPeriod": _l("Accounting period"),
    "Project": _l("Project"), "ProjectTask": _l("Task"), "TaskLink": _l("Task link"),
    "ChecklistItem": _l("Checklist item"), "TaskComment": _l("Comment"), "TimeEntry": _l("Time entry"),
    "ProcessTemplate": _l("Process template"), "ProcessVersion": _l("Process template version"),
    "Campaign": _l("Campaign"), "Segment": _l("Segment"), "Promotion": _l("Promotion"),
    "OptOut": _l("Unsubscribed client"), "ForecastLine": _l("Forecast line"),
    "PlanningSettings": _l("Planning settings"),
}

PURCHASING_METHOD_LABELS = {
    "sales": _l("Sales analysis"), "invoices": _l("Invoice analysis"), "matrix": _l("Product matrix minimum"),
    "abc": _l("ABC analysis"), "minmax": _l("Min / max reorder points"), "manual": _l("Entered by hand"),
    "sales_order": _l("Customer order"),
}

IMPORT_STATE_LABELS = {"uploaded": _l("Uploaded"), "checked": _l("Checked"), "done": _l("Imported"),
                       "failed": _l("Refused")}


def _import_kinds() -> dict[str, Any]:
    """Each import kind's name (items, opening stock, ...): the import runs' kind column."""
    from app.services.imports import KINDS

    return {key: kind.label for key, kind in KINDS.items()}


AUDIT_ACTION_LABELS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}


def _transition_labels() -> dict[str, Any]:
    """Every workflow action's name ("post" -> "Posting"), for the audit log's action column."""
    out: dict[str, Any] = {}
    for wf in WORKFLOWS.values():
        for action, transition in wf.transitions.items():
            out.setdefault(action, _l(str(transition.label)))  # the domain keeps the msgid
    return out


def _job_labels() -> dict[str, Any]:
    from app.jobs.registry import JOBS

    return {spec.id: spec.label for spec in JOBS}


def _planning_registry() -> dict[tuple[str, str], Mapping[str, Any]]:
    from app.services.planning.labels import REGISTRY as PLANNING

    return PLANNING


def _state_labels(doc_type: str) -> Callable[[], Mapping[str, Any]]:
    return lambda: {state: _l(msgid) for state, msgid in WORKFLOWS[doc_type].states.items()}


#: (table, column) -> labels, or a function giving them (for registries filled at import time)
REGISTRY: dict[tuple[str, str], Mapping[str, Any] | Callable[[], Mapping[str, Any]]] = {
    ("item", "kind"): ITEM_KIND_LABELS,
    ("item", "tracking"): TRACKING_LABELS,
    ("warehouse", "valuation"): VALUATION_LABELS,
    ("stock_move", "kind"): MOVE_KIND_LABELS,
    ("stock_move", "doc_type"): DOC_TYPE_LABELS,
    ("stock_lot", "doc_type"): DOC_TYPE_LABELS,
    ("stock_reservation", "doc_type"): DOC_TYPE_LABELS,
    ("stock_document", "doc_type"): DOC_TYPE_LABELS,
    ("document_sequence", "doc_type"): DOC_TYPE_LABELS,
    ("audit_log", "action"): lambda: AUDIT_ACTION_LABELS | _transition_labels(),
    ("audit_log", "entity"): lambda: ENTITY_LABELS,
    ("outbox_message", "entity"): lambda: ENTITY_LABELS,
    ("job_run", "job_id"): _job_labels,
    ("job_fire", "job_id"): _job_labels,
    ("job_schedule", "job_id"): _job_labels,
    ("import_run", "kind"): lambda: _import_kinds(),
    ("import_run", "state"): IMPORT_STATE_LABELS,
}
REGISTRY.update(_planning_registry())
_STATE_TABLES = {
    "stock_document": "stock_document", "production_order": "production_order",
    "production_completion": "production_receipt", "transformation": "transformation", "sales_order": "sales_order",
    "sales_shipment": "shipment", "sales_invoice": "sales_invoice", "sales_payment": "payment",
    "purchase_request": "purchase_request", "purchase_order": "purchase_order", "proposal": "proposal",
    "outbox_message": "outbox_message", "service_request": "service_request", "project_task": "project_task",
}
for _table, _doc_type in _STATE_TABLES.items():
    if _doc_type in WORKFLOWS:
        REGISTRY[(_table, "state")] = _state_labels(_doc_type)


def labels_for(table: str, column: str) -> Mapping[str, Any] | None:
    """{code: lazy name} of a coded column, or None when the column holds no codes."""
    found = REGISTRY.get((table, column))
    return found() if callable(found) else found


def label(table: str, column: str, value: Any) -> str:
    """The value of `table.column` in the reader's language (an unknown code is shown as it is)."""
    if isinstance(value, bool):
        return yes_no(value)
    labels = labels_for(table, column) or {}
    return str(labels.get(value, "" if value is None else value))


def yes_no(value: Any) -> str:
    """True / False as the reader's "Yes" / "No" (empty for an unknown value)."""
    return "" if value is None else gettext("Yes") if value else gettext("No")
