"""The OpenAPI document as integrators and generated clients read it: exactly what each endpoint takes
and answers.

FAB writes most of it (the registers' schemas and their CRUD paths); this module adds what FAB leaves
out and mends what it gets wrong, once for every FabrikaApi:

- shared components: `Refusal` (the one error body: 400, 404, 405, 422, 500, 503 answer it) and the
  request / answer bodies of the command endpoints (named in their docstrings by `$ref`);
- every operation declares its path parameters (`{pk}` is a positive integer) and every status code
  it can answer, each error with the `Refusal` schema;
- numbers: FAB's schemas say `number` where the JSON holds a Decimal as text ("1.500000"), so a
  decimal is a number or its text; a related record that may be empty is nullable; a list's `ids`
  are integers; `_info`'s add / edit columns are lists.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from app.models.stock import STOCK_DOC_TYPES

DECIMAL = {"anyOf": [{"type": "number"}, {"type": "string", "format": "decimal"}], "example": "12.5"}
DECIMAL_OUT = {"type": "string", "format": "decimal", "example": "12.500000"}
DATE = {"type": "string", "format": "date", "example": "2026-11-27"}
ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
NULLABLE_ID = {**ID, "nullable": True}
TEXT = {"type": "string"}


def _obj(properties: dict, required: tuple[str, ...] = (), **extra: Any) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


def _dec(nullable: bool = False) -> dict:
    if not nullable:
        return copy.deepcopy(DECIMAL)
    return {"anyOf": [{"type": "number", "nullable": True}, {"type": "string", "format": "decimal", "nullable": True}]}


PROBLEM = _obj({"message": TEXT, "field": {"type": "string", "nullable": True},
                "line": {"type": "integer", "nullable": True}}, ("message", "field", "line"))
REFUSAL = _obj({"message": _list(TEXT), "errors": _list(_ref("Problem"))}, ("message", "errors"),
               description="Every problem found, each in the caller's language, naming its field and line")

STATE = _obj({"id": ID, "number": {"type": "string", "nullable": True}, "state": TEXT}, ("id", "state"))
ORDER_LINE_QTY = _obj({"order_line_id": ID, "qty": _dec()}, ("order_line_id",))
DAY = _obj({"date": {**DATE, "nullable": True}})

SCHEMAS: dict[str, dict] = {
    "Problem": PROBLEM,
    "Refusal": REFUSAL,
    "DocumentState": STATE,
    "DateBody": DAY,
    "StockDocumentDraft": _obj({
        "doc_type": {"type": "string", "enum": list(STOCK_DOC_TYPES)},
        "warehouse_id": ID, "doc_date": {**DATE, "nullable": True}, "dest_warehouse_id": NULLABLE_ID,
        "partner_name": TEXT, "currency_id": NULLABLE_ID, "rate": _dec(True), "reason": TEXT, "note": TEXT,
        "partner_id": NULLABLE_ID, "shipment_id": {**NULLABLE_ID, "description": "a customer return: the shipment "
                                                    "it comes back from (lines default to what can still come back)"},
        "lines": _list(_ref("StockDocumentLineInput")),
        "post": {"type": "boolean", "description": "also post it, in the same transaction (needs the post "
                                                   "permission: 403 without it, nothing written)"},
        "confirm_backdated": {"type": "boolean", "description": "with post: post a backdated document that "
                                                                "later documents depend on"}},
        ("doc_type", "warehouse_id")),
    "StockDocumentLines": _obj({"lines": _list(_ref("StockDocumentGridLine"))}, ("lines",)),
    "StockDocumentGridLine": _obj({
        "line_id": {**NULLABLE_ID, "description": "the stored line this one edits (absent: a new line)"},
        "item_id": ID, "qty": _dec(), "unit": {"type": "string", "nullable": True}, "unit_cost": _dec(True),
        "lot_id": NULLABLE_ID, "note": TEXT}, ("item_id", "qty")),
    "StockDocumentLineInput": _obj({
        "item_id": ID, "qty": _dec(), "unit": {"type": "string", "nullable": True,
                                                "description": "a unit code (the item's own unit when absent)"},
        "unit_cost": _dec(True), "lot_id": NULLABLE_ID, "note": TEXT}, ("item_id", "qty")),
    "SalesOrderDraft": _obj({
        "partner_id": ID, "currency": {"type": "string", "nullable": True, "description": "currency code"},
        "order_date": {**DATE, "nullable": True}, "delivery_address": TEXT, "note": TEXT,
        "proposal_id": NULLABLE_ID, "tax_rate": _dec(True), "warehouse_id": NULLABLE_ID, "delivery_terms": TEXT,
        "delivery_date": {**DATE, "nullable": True},
        "payment_terms_days": {"type": "integer", "minimum": 0, "maximum": 3650, "nullable": True},
        "lines": _list(_ref("SalesOrderLineInput"))}, ("partner_id", "lines")),
    "SalesOrderLineInput": _obj({
        "item_id": NULLABLE_ID, "qty": _dec(), "unit_price": _dec(True), "discount_pct": _dec(True),
        "description": TEXT, "calculator_version_id": NULLABLE_ID,
        "calculator_inputs": {"type": "object", "nullable": True}, "proposal_line_id": NULLABLE_ID,
        "unit_cost_estimate": _dec(True)}, ("qty",)),
    "SalesOrderCreated": _obj({"id": ID, "number": TEXT, "state": TEXT, "amount_total": DECIMAL_OUT},
                              ("id", "number", "state", "amount_total")),
    "ConfirmBody": _obj({"override": {"type": "boolean",
                                      "description": "confirm past the credit check (needs the approve permission)"}}),
    "OrderAnalysis": _obj({"order_id": ID, "number": TEXT, "promise_date": {**DATE, "nullable": True},
                           "created": _list(TEXT), "lines": _list({"type": "object"})},
                          ("order_id", "number", "lines")),
    "ShipBody": _obj({
        "order_id": ID, "ship_date": {**DATE, "nullable": True},
        "lines": {**_list(_ref("OrderLineQty")), "nullable": True,
                  "description": "omitted: every reserved quantity"},
        "carrier_id": NULLABLE_ID, "vehicle": TEXT, "driver": TEXT, "delivery_address": TEXT,
        "delivery_date": {**DATE, "nullable": True}, "window_from": TEXT, "window_to": TEXT,
        "transport_cost": _dec(True), "note": TEXT}, ("order_id",)),
    "OrderLineQty": ORDER_LINE_QTY,
    "Shipped": _obj({"id": ID, "number": TEXT, "state": TEXT,
                     "lines": _list(_obj({"order_line_id": ID, "qty": DECIMAL_OUT}))}, ("id", "state")),
    "IssueBody": _obj({"order_id": ID, "invoice_date": {**DATE, "nullable": True},
                       "lines": {**_list(_ref("OrderLineQty")), "nullable": True,
                                 "description": "omitted: everything not yet invoiced"},
                       "currency": {**TEXT, "description": "the order's currency code; any other is refused (422)"}},
                      ("order_id",)),
    "Issued": _obj({"id": ID, "number": TEXT, "kind": TEXT, "amount_total": DECIMAL_OUT}, ("id", "number")),
    "PaymentBody": _obj({"amount": _dec(), "pay_date": {**DATE, "nullable": True},
                         "method": {"type": "string", "enum": ["bank", "cash", "card"]},
                         "reference": TEXT}, ("amount",)),
    "PaymentRegistered": _obj({"id": ID, "number": TEXT, "amount_paid": DECIMAL_OUT, "status": TEXT},
                              ("id", "number")),
    "ProductionOrderDraft": _obj({
        "item_id": ID, "qty": _dec(), "component_warehouse_id": ID, "output_warehouse_id": ID,
        "bom_id": NULLABLE_ID, "routing_id": NULLABLE_ID, "order_date": {**DATE, "nullable": True},
        "planned_start": {**DATE, "nullable": True}, "planned_end": {**DATE, "nullable": True}, "note": TEXT},
        ("item_id", "qty", "component_warehouse_id", "output_warehouse_id")),
    "ProductionOrderState": _obj({"id": ID, "number": TEXT, "state": TEXT, "qty": DECIMAL_OUT,
                                  "qty_done": DECIMAL_OUT}, ("id", "number", "state")),
    "CompleteBody": _obj({"qty": _dec(), "date": {**DATE, "nullable": True}}, ("qty",)),
    "ReceiveBody": _obj({"date": {**DATE, "nullable": True}, "note": TEXT,
                         "confirm_backdated": {"type": "boolean", "description": "post a backdated receipt although "
                                               "later documents took the goods (refused with 422 naming them)"},
                         "lines": _list(_obj({"order_line_id": ID, "qty": _dec(), "price": _dec(True)},
                                             ("order_line_id", "qty")))}, ("lines",)),
    "GenerateBody": _obj({"methods": {"type": "object", "minProperties": 1,
                                      "additionalProperties": {"type": "object"},
                                      "description": "{method: parameters}, e.g. {\"minmax\": {}}"}},
                         ("methods",)),
    "DealMove": _obj({"stage_id": ID, "reason": TEXT}, ("stage_id",)),
    "ActivityDone": _obj({"result": TEXT}),
    "MergeBody": _obj({"merge_id": ID}, ("merge_id",)),
    "CalculatorRunBody": _obj({
        "inputs": {"type": "object", "additionalProperties": True}, "version_id": NULLABLE_ID,
        "cost_source": {"type": "string", "enum": ["standard", "last_purchase", "fifo", "average"]},
        "record": {"type": "boolean"}}),
    "CalculatorVersionBody": _obj({"parameters": TEXT, "formulas": TEXT, "outputs": TEXT, "note": TEXT},
                                  ("formulas",)),
    "LookupTableBody": _obj({"text": TEXT, "title": TEXT, "title_ru": TEXT, "title_es": TEXT}, ("text",)),
    "Created": _obj({"id": ID}, ("id",), additionalProperties=True),
    "ConfigurationBody": _obj({
        "partner_id": NULLABLE_ID, "model_id": ID, "qty": _dec(True), "currency_id": NULLABLE_ID,
        "selection": {"type": "object", "description": "option group code -> chosen option code(s) / quantity"},
        "cost_source": {"type": "string", "enum": ["standard", "last_purchase", "fifo", "average"]},
        "margin_pct": _dec(True), "discount_pct": _dec(True), "tax_pct": _dec(True), "contact_id": NULLABLE_ID,
        "deal_id": NULLABLE_ID, "valid_until": {**DATE, "nullable": True}, "note": TEXT,
        "line_terms": {"type": "object"}, "extra_lines": _list({"type": "object"}),
        "instalments": _list({"type": "object"})}, ("model_id",)),
    "PlannedOrders": _obj({"result": _list(_obj({
        "id": ID, "item_id": ID, "kind": {"type": "string", "enum": ["make", "buy"]}, "due_date": DATE,
        "start_date": DATE, "qty": DECIMAL_OUT, "pegs": {"type": "object", "additionalProperties": DECIMAL_OUT},
        "late": {"type": "boolean"}, "moved_weeks": {"type": "integer"}, "supplier_id": NULLABLE_ID}))}, ("result",)),
    "PlanRunBody": _obj({"weeks": {"type": "integer", "minimum": 1, "maximum": 104},
                         "level": {"type": "boolean"}}),
    "PlanRunSummary": _obj({"run_id": ID, "planned": {"type": "integer"}, "created": {"type": "integer"},
                            "updated": {"type": "integer"}, "removed": {"type": "integer"},
                            "overloaded": {"type": "object", "description": "work centre id -> overloaded weeks"}},
                           ("run_id", "planned", "created", "updated", "removed")),
    "PlanFirmBody": _obj({"ids": _list(ID)}, ("ids",)),
    "PlanFirmed": _obj({"production_orders": _list(TEXT), "purchase_needs": _list(TEXT)},
                       ("production_orders", "purchase_needs")),
    "PromiseBody": _obj({"lines": _list(_obj({"item_id": ID, "qty": _dec(True)}, ("item_id", "qty")))}, ("lines",)),
    "PromiseAnswer": _obj({"date": DATE, "reasons": _list(TEXT)}, ("date", "reasons")),
    "AbcParameters": _obj({
        "date_from": {**DATE, "nullable": True}, "date_to": {**DATE, "nullable": True},
        "criterion": {"type": "string", "enum": ["revenue", "quantity", "margin", "orders"]},
        "source": {"type": "string", "enum": ["ledger", "invoices"]},
        "threshold_a": _dec(True), "threshold_b": _dec(True)}),
    "AbcAnalysis": _obj({
        "criterion": TEXT, "date_from": {**DATE, "nullable": True}, "date_to": {**DATE, "nullable": True},
        "threshold_a": DECIMAL_OUT, "threshold_b": DECIMAL_OUT, "summary": {"type": "object"},
        "rows": _list(_obj({"rank": {"type": "integer"}, "item_id": ID, "code": TEXT, "name": TEXT,
                            "qty": DECIMAL_OUT, "value": DECIMAL_OUT, "share": DECIMAL_OUT,
                            "cumulative": DECIMAL_OUT, "class": {"type": "string", "enum": ["A", "B", "C"]}}))},
        ("criterion", "summary", "rows")),
    "BomExplosion": _obj({
        "rows": _list(_obj({"level": {"type": "integer"}, "parent_id": NULLABLE_ID, "item_id": ID, "qty": DECIMAL_OUT,
                            "byproduct": {"type": "boolean"}, "has_bom": {"type": "boolean"}})),
        "totals": {"type": "object", "additionalProperties": DECIMAL_OUT,
                   "description": "item id -> total quantity of the leaves"}}, ("rows", "totals")),
    "CalculatorResult": _obj({
        "version_id": ID, "calculator_id": ID, "run_id": NULLABLE_ID, "inputs": {"type": "object"},
        "outputs": {"type": "object"}, "cost": {"type": "string", "nullable": True},
        "price": {"type": "string", "nullable": True}, "weight": {"type": "string", "nullable": True},
        "description": {"type": "string", "nullable": True}, "intermediates": {"type": "object"},
        "bom": _list(_obj({"item_id": NULLABLE_ID, "code": TEXT, "qty": {"type": "string"}}))},
        ("version_id", "calculator_id")),
    "DealMoved": _obj({"id": ID, "stage_id": ID, "probability": {"type": "integer", "nullable": True}},
                      ("id", "stage_id")),
    "Merged": _obj({"id": ID, "merged_id": ID, "moved": {"type": "object", "additionalProperties": {"type": "integer"},
                                                         "description": "table.column -> rows re-pointed"}},
                   ("id", "merged_id", "moved")),
    "Availability": _obj({"result": _list(_obj({
        "item_id": ID, "code": TEXT, "required": DECIMAL_OUT, "available": DECIMAL_OUT,
        "byproduct": {"type": "boolean"}, "short": DECIMAL_OUT,
        "sources": _list(_obj({"warehouse": TEXT, "qty": DECIMAL_OUT})),
        "being_made_by": _list(TEXT)}))}, ("result",)),
    "Completion": _obj({"id": ID, "number": TEXT, "qty": DECIMAL_OUT, "material_cost": DECIMAL_OUT,
                        "labour_cost": DECIMAL_OUT, "overhead_cost": DECIMAL_OUT, "output_value": DECIMAL_OUT,
                        "order": _ref("ProductionOrderState")}, ("id", "number", "order")),
    "Released": _obj({"id": ID, "number": TEXT, "state": TEXT, "qty": DECIMAL_OUT, "qty_done": DECIMAL_OUT,
                      "children": _list(_ref("ProductionOrderState")),
                      "shortages": _list(_obj({"order": TEXT, "item_id": ID, "short": DECIMAL_OUT, "message": TEXT}))},
                     ("id", "state", "children", "shortages")),
    "Evaluation": _obj({"lines": _list({"type": "object"}), "totals": {"type": "object"},
                        "groups": _list({"type": "object"}), "violations": _list(TEXT), "problems": _list(TEXT),
                        "notes": _list(TEXT)},
                       description="the configurator's figures (formatted), messages and every option's state"),
    "Receipt": _obj({"receipt_id": ID, "document": TEXT, "state": TEXT, "price_difference": {"type": "boolean"},
                     "lines": _list(_obj({"order_line_id": ID, "qty": DECIMAL_OUT, "price": DECIMAL_OUT,
                                          "price_difference": {"type": "boolean"}}))},
                    ("receipt_id", "state", "lines")),
    "GenerateSummary": _obj({"run_id": ID, "requests_created": {"type": "integer"},
                             "lines_created": {"type": "integer"}, "lines_updated": {"type": "integer"},
                             "lines_removed": {"type": "integer"}, "value_base": DECIMAL_OUT}, ("run_id",)),
    "OrdersMade": _obj({"orders": _list(_obj({"id": ID, "number": TEXT, "total": DECIMAL_OUT}))}, ("orders",)),
    "Popular": _obj({k: _list(_obj({"item_id": ID, "code": TEXT, "name": TEXT, "orders": {"type": "integer"},
                                    "qty": DECIMAL_OUT})) for k in ("client", "overall")}, ("client", "overall")),
    "DealCreated": _obj({"id": ID, "stage_id": ID}, ("id", "stage_id")),
    "PartnerSaved": _obj({"id": ID, "result": {"type": "object"}}, ("id", "result")),
    "Duplicates": _obj({"message": _list(TEXT), "errors": _list(_ref("Problem")),
                        "duplicates": _list(_obj({"id": ID, "name": TEXT, "reason": TEXT}))},
                       ("message", "duplicates")),
}

ERRORS = {
    "400": ("BadRequest", "The request could not be read (a query argument, the body)"),
    "404": ("NotFound", "No such record (or path)"),
    "405": ("MethodNotAllowed", "This method is not allowed on this path"),
    "422": ("Refused", "Refused: every problem with its field and line, nothing was written"),
    "500": ("ServerError", "An unexpected error (logged); nothing internal is shown"),
    "503": ("Unavailable", "The database is busy or not available: retry after Retry-After seconds"),
}
RESPONSES = {name: {"description": text, "content": {"application/json": {"schema": _ref("Refusal")}},
                    **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if code == "503" else {})}
             for code, (name, text) in ERRORS.items()}
def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def command_doc(body: str | None, answer: str, status: int, conflict: bool = False) -> dict:
    """The operation of a create / update that runs a service (FAB's generic doc would name its own answer).

    `body` None keeps FAB's request body (the API's add / edit schema).
    """
    doc: dict = {"responses": {str(status): {"description": "saved", "content": _json(_ref(answer))}}}
    if body:
        doc["requestBody"] = {"required": True, "content": _json(_ref(body))}
    if conflict:
        doc["responses"]["409"] = {"description": "look-alike records found: send confirm_duplicate true to save",
                                   "content": _json(_ref("Duplicates"))}
    return doc


_PATH_PARAM = re.compile(r"{(\w+)}")


def path_parameters(path: str, operation: dict) -> None:
    """Declare each `{name}` of the path the operation does not declare yet (ids are integers)."""
    declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
    for name in _PATH_PARAM.findall(path):
        if name in declared:
            continue
        schema = dict(ID) if name == "pk" or name.endswith("_id") else {"type": "string", "pattern": r"^[\w.-]+$"}
        operation.setdefault("parameters", []).append({"in": "path", "name": name, "required": True,
                                                      "schema": schema})
    for param in operation.get("parameters", []):
        if param.get("in") == "path" and param.get("name") == "pk":
            param["required"] = True
            param["schema"] = dict(ID)


def error_responses(path: str, operation: dict) -> None:
    """Every status code the operation can answer, each error with the Refusal body."""
    responses = {str(code): value for code, value in operation.get("responses", {}).items()}
    codes = ["400", "405", "422", "500", "503"]
    if "{" in path or "404" in responses:
        codes.append("404")
    for code in codes:
        responses[code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    for code in ("401", "403"):  # no or an expired token; a role without the permission (FAB's own answers)
        responses.setdefault(code, {"$ref": f"#/components/responses/{code}"})
    for code, value in responses.items():
        if isinstance(value, dict) and "$ref" not in value and "content" not in value and code.startswith("2"):
            value["content"] = {"application/json": {"schema": {"type": "object"}}}
    operation["responses"] = responses


def mend_schema(schema: Any) -> None:
    """Decimals as a number or its text; related records nullable (walks the schema in place)."""
    if isinstance(schema, list):
        for item in schema:
            mend_schema(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("format") == "date-time":  # FAB writes the server's local time without a zone: not RFC 3339
        schema.pop("format")
        schema.setdefault("description", "date and time, ISO 8601 (the server's local time)")
    for key, value in list(schema.get("properties", {}).items()):
        if isinstance(value, dict) and value.get("type") == "number" and "format" not in value:
            nullable = value.get("nullable", False)
            schema["properties"][key] = _dec(nullable)
        elif isinstance(value, dict) and "$ref" in value:
            schema["properties"][key] = {"allOf": [value], "nullable": True}
        else:
            mend_schema(value)
    for key in ("items", "allOf", "anyOf", "oneOf", "additionalProperties"):
        if key in schema:
            mend_schema(schema[key])


def mend_list_and_info(path: str, method: str, operation: dict) -> None:
    """FAB's inline answers of list, create and _info: ids are integers, add / edit columns are lists."""
    answer = operation.get("responses", {}).get("200") or operation.get("responses", {}).get("201") or {}
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {}) if "$ref" not in answer else {}
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if "ids" in props:
        props["ids"] = {"type": "array", "items": {"type": "integer"}}
    if "count" in props:
        props["count"] = {"type": "integer"}
    for key in ("add_columns", "edit_columns"):
        if key in props:
            props[key] = {"type": "array", "items": {"type": "object"}}
    if "id" in props and props["id"].get("type") == "string":
        props["id"] = {"type": "integer"}
    mend_schema(schema)
