"""REST API of purchasing: the product matrix and reorder points (CRUD), requests and orders (read,
plus commands: generate, best offer, send, confirm into orders, receive).

Commands call the same services as the pages: a DomainError (bad input included) becomes 422 with
every message translated. Permissions are those of the pages (Purchasing resource: read,
write to generate / edit, post to send / confirm / receive).
"""

from __future__ import annotations

from datetime import date

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import FabrikaApi, command_doc
from app.api.versioned import VersionedApiMixin
from app.extensions import db
from app.models.purchasing import (
    METHODS,
    PurchaseOrder,
    PurchaseRequest,
    PurchaseRequestLine,
    ReorderPoint,
    SupplierOffer,
)
from app.permissions import ACTION_POST, ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_PURCHASING
from app.services.purchasing import best_offer
from app.services.purchasing import orders as order_svc
from app.services.purchasing import requests as request_svc
from app.services.purchasing.methods import generate
from app.services.purchasing.params import parse_params
from app.services.purchasing.registers import validate_offer, validate_reorder_point
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_PURCHASING


class SupplierOfferApi(VersionedApiMixin, _Api):
    resource_name = "supplier_offer"
    method_permission_name = CRUD | {"best": ACTION_READ}
    datamodel = FabrikaInterface(SupplierOffer)
    list_columns = ["id", "supplier.id", "supplier.name", "item.id", "item.code", "price", "currency.code",
                    "valid_from", "valid_to", "min_qty", "pack_qty", "lead_time_days", "supplier_item_code", "active"]
    add_columns = edit_columns = ["supplier", "item", "price", "currency", "valid_from", "valid_to", "min_qty",
                                  "pack_qty", "lead_time_days", "supplier_item_code", "characteristics", "active"]

    def pre_add(self, item: SupplierOffer) -> None:
        super().pre_add(item)
        validate_offer(item)

    def pre_update(self, item: SupplierOffer) -> None:
        super().pre_update(item)  # the version it was opened with (If-Match)
        validate_offer(item)

    @expose("/best", methods=["GET"])
    @protect()
    @safe
    def best(self):
        """The best valid offer for ?item=<id>&qty=<n>&date=<YYYY-MM-DD>, with the alternatives.
        ---
        get:
          parameters:
          - {in: query, name: item, required: true, schema: {type: integer, minimum: 1}}
          - {in: query, name: qty, required: false, schema: {type: string, format: decimal, example: "1"}}
          - {in: query, name: date, required: false, schema: {type: string, format: date}}
          responses:
            200:
              description: the best offer, or null
              content:
                application/json:
                  schema: {type: object, properties: {result: {type: object, nullable: true}}}
        """
        def use_case():
            item_id, qty, on = p.collect(lambda: p.query_id("item", required=True),
                                         lambda: p.query_number("qty", "1"), lambda: p.query_day("date"))
            return best_offer(db.session, item_id, on or date.today(), qty)

        return self.command(use_case, lambda choice: {"result": _choice(choice) if choice else None})


def _choice(c) -> dict:
    return {"offer_id": c.offer_id, "supplier_id": c.supplier_id, "supplier_name": c.supplier_name,
            "price": str(c.price), "currency": c.currency_code, "price_base": str(c.price_base),
            "lead_time_days": c.lead_time_days, "min_qty": str(c.min_qty),
            "pack_qty": str(c.pack_qty) if c.pack_qty is not None else None,
            "alternatives": [_choice(a) for a in c.alternatives]}


class ReorderPointApi(_Api):
    resource_name = "reorder_point"
    datamodel = FabrikaInterface(ReorderPoint)
    list_columns = ["id", "item.id", "item.code", "warehouse.id", "warehouse.code", "min_qty", "max_qty", "active"]
    add_columns = edit_columns = ["item", "warehouse", "min_qty", "max_qty", "active"]

    def pre_add(self, item: ReorderPoint) -> None:
        super().pre_add(item)
        validate_reorder_point(item)

    pre_update = pre_add


class PurchaseRequestLineApi(_Api):
    resource_name = "purchase_request_line"
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(PurchaseRequestLine)
    list_columns = ["id", "request.id", "request.number", "line_no", "item.id", "item.code", "qty", "price",
                    "currency.code", "amount_base", "need_by", "source", "source_ref", "reason"]


class PurchaseRequestApi(_Api):
    """Requests: read; generate by a method; send (mark), confirm into purchase orders, cancel."""

    resource_name = "purchase_request"
    method_permission_name = READ_ONLY | {"generate": ACTION_WRITE, "send": ACTION_POST, "confirm": ACTION_POST,
                                          "cancel": ACTION_POST}
    include_route_methods = {"get", "get_list", "info", "generate", "send", "confirm", "cancel"}
    datamodel = FabrikaInterface(PurchaseRequest)
    list_columns = ["id", "number", "request_date", "state", "supplier.id", "supplier.name", "warehouse.id",
                    "total_base", "created_by", "sent_at"]
    show_columns = list_columns + ["note", "sent_by"]

    @expose("/generate", methods=["POST"])
    @protect()
    @safe
    @command_doc("GenerateSummary", "the run summary", body="GenerateBody")
    def generate(self):
        """Run one or more methods: {"methods": {"minmax": {...params}, "sales": {...}}}."""
        def use_case():
            methods = p.mapping(p.json_body(required=True).get("methods"), "methods")
            if not methods:
                raise p.refuse(p.MSG_REQUIRED, "methods")
            order = {m: n for n, m in enumerate(METHODS)}  # run (and report) in the methods' own order
            ordered = sorted(methods.items(), key=lambda kv: order.get(kv[0], len(order)))
            params = p.collect(*[lambda m=m, raw=raw: parse_params(m, p.mapping(raw, f"methods.{m}"))
                                 for m, raw in ordered])
            return generate(db.session, params, trigger="api")

        return self.command(use_case, lambda s: {
            "run_id": s.run_id, "requests_created": s.stats.requests_created, "lines_created": s.stats.lines_created,
            "lines_updated": s.stats.lines_updated, "lines_removed": s.stats.lines_removed,
            "value_base": str(s.value_base)})

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "sent")
    def send(self, pk: int):
        """Mark a draft request as sent to the supplier."""
        return self.command(lambda: request_svc.mark_sent(db.session, pk), _state)

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    @safe
    @command_doc("OrdersMade", "the orders made")
    def confirm(self, pk: int):
        """The supplier confirmed: make the purchase order(s)."""
        return self.command(lambda: order_svc.orders_from_request(db.session, pk), lambda orders: {
            "orders": [{"id": o.id, "number": o.number, "total": str(o.total)} for o in orders]})

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled")
    def cancel(self, pk: int):
        """Cancel a draft or sent request."""
        return self.command(lambda: request_svc.cancel_request(db.session, pk), _state)


def _state(doc) -> dict:
    return {"id": doc.id, "number": doc.number, "state": doc.state}


class PurchaseOrderApi(_Api):
    """Orders: read; receive goods against one (partial deliveries, the supplier's prices)."""

    resource_name = "purchase_order"
    method_permission_name = READ_ONLY | {"receive": ACTION_POST, "get_lines": ACTION_READ}
    include_route_methods = {"get", "get_list", "info", "receive"}
    datamodel = FabrikaInterface(PurchaseOrder)
    list_columns = ["id", "number", "order_date", "state", "supplier.id", "supplier.name", "warehouse.id",
                    "currency.code", "total", "expected_date", "request.id"]
    show_columns = list_columns + ["note"]

    @expose("/<int:pk>/receive", methods=["POST"])
    @protect()
    @safe
    @command_doc("Receipt", "the receipt", body="ReceiveBody")
    def receive(self, pk: int):
        """Post a goods receipt: {"date": "YYYY-MM-DD", "lines": [{"order_line_id", "qty", "price"}]}."""
        def use_case():
            body = p.json_body(required=True)
            on, note, confirmed, lines = p.collect(
                lambda: p.day(body.get("date"), "date"), lambda: p.text(body.get("note"), "note"),
                lambda: p.flag(body.get("confirm_backdated"), "confirm_backdated"),
                lambda: [order_svc.ReceiveLine(
                    p.ident(ln.get("order_line_id"), "order_line_id", required=True, line=n),
                    p.number(ln.get("qty"), "qty", required=True, line=n),
                    p.number(ln.get("price"), "price", money=True, line=n)) for n, ln in p.lines(body, required=True)])
            return (order_svc.receive_order(db.session, pk, lines, on, note, confirm_backdated=confirmed),
                    db.session.get(PurchaseOrder, pk))

        return self.command(use_case, lambda r: {
            "receipt_id": r[0].id, "document": r[0].doc_number, "state": r[1].state,
            "price_difference": r[0].price_difference,
            "lines": [{"order_line_id": ln.order_line_id, "qty": str(ln.qty), "price": str(ln.price),
                       "price_difference": ln.price_difference} for ln in r[0].lines]})


APIS = (SupplierOfferApi, ReorderPointApi, PurchaseRequestApi, PurchaseRequestLineApi, PurchaseOrderApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)

