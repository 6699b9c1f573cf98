"""REST API of production: orders with release / complete / cancel commands, output receipts (BOMs and
routings: app/api/engineering.py).

Commands call app.services.production exactly as the pages do; a refusal is 422 with every
problem translated. Orders are created as drafts through the service (validated) and changed only
by the commands, so the API can't do what the pages forbid.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api import params as p
from app.api.base import ReadOnlyApi, command_doc
from app.extensions import db
from app.models.production import ProductionCompletion, ProductionOrder
from app.permissions import (
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_PRODUCTION,
)
from app.services import production as svc
from app.views.base import FabrikaInterface


class _Api(ReadOnlyApi):
    """Base of this context's APIs."""


def _order_json(order: ProductionOrder) -> dict:
    return {"id": order.id, "number": order.number, "state": order.state, "qty": str(order.qty),
            "qty_done": str(order.qty_done)}


class ProductionOrderApi(_Api):
    """Read orders; create drafts; release, complete and cancel them through the service."""

    resource_name = "production_order"
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = READ_ONLY | {"create_draft": ACTION_WRITE, "release": ACTION_POST,
                                          "complete": ACTION_POST, "cancel": ACTION_POST,
                                          "availability": ACTION_READ}
    include_route_methods = {"get", "get_list", "info", "create_draft", "release", "complete", "cancel",
                             "availability"}
    datamodel = FabrikaInterface(ProductionOrder)
    list_columns = ["id", "number", "order_date", "state", "item.id", "item.code", "qty", "qty_done", "parent.id",
                    "bom.id", "routing.id", "component_warehouse.id", "output_warehouse.id", "planned_start",
                    "planned_end"]
    show_columns = list_columns + ["planned_material", "planned_labour", "planned_overhead", "actual_material",
                                   "actual_labour", "actual_overhead", "note"]

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    @command_doc("ProductionOrderState", "the draft", body="ProductionOrderDraft", status=201)
    def create_draft(self):
        """Create a draft production order."""
        return self.command(lambda: svc.create_order(db.session, _order_input(p.json_body(required=True))),
                            _order_json, status=201)

    @expose("/<int:pk>/release", methods=["POST"])
    @protect()
    @safe
    @command_doc("Released", "released, with the child orders and the shortages left")
    def release(self, pk: int):
        """Release a draft order; missing nodes get child orders."""
        return self.command(lambda: svc.release_order(db.session, pk), lambda result: {
            **_order_json(result.order), "children": [_order_json(c) for c in result.children],
            "shortages": [{"order": s.order, "item_id": s.item_id, "short": str(s.short),
                           "message": s.problem().render(gettext)} for s in result.shortages]})

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    @command_doc("Completion", "output receipt posted", body="CompleteBody")
    def complete(self, pk: int):
        """Complete a quantity of a released order (body: qty, optional date)."""
        def use_case():
            body = p.json_body(required=True)
            qty, on = p.collect(lambda: p.number(body.get("qty"), "qty", required=True),
                                lambda: p.day(body.get("date"), "date"))
            return svc.complete_order(db.session, pk, qty, on)

        return self.command(use_case, lambda rec: {
            "id": rec.id, "number": rec.number, "qty": str(rec.qty), "material_cost": str(rec.material_cost),
            "labour_cost": str(rec.labour_cost), "overhead_cost": str(rec.overhead_cost),
            "output_value": str(rec.output_value), "order": _order_json(rec.order)})

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("ProductionOrderState", "cancelled", body="DateBody", required=False)
    def cancel(self, pk: int):
        """Cancel an order; its output receipts are reversed (body: optional date)."""
        return self.command(lambda: svc.cancel_order(db.session, pk, p.day(p.json_body().get("date"), "date")),
                            _order_json)

    @expose("/<int:pk>/availability", methods=["GET"])
    @protect()
    @safe
    @command_doc("Availability", "components", verb="get")
    def availability(self, pk: int):
        """The order's components against the warehouse, with shortages and other sources."""
        return self.command(lambda: svc.check_availability(db.session, pk), lambda rows: {"result": [{
            "item_id": c.item_id, "code": c.code, "required": str(c.required), "available": str(c.available),
            "byproduct": c.byproduct, "short": str(c.shortage.short) if c.shortage else "0",
            "sources": [{"warehouse": w, "qty": str(q)} for w, q in (c.shortage.sources if c.shortage else [])],
            "being_made_by": c.open_orders} for c in rows]})


def _order_input(body: dict) -> svc.OrderInput:
    item_id, qty, component_wh, output_wh, bom_id, routing_id, order_date, start, end, note = p.collect(
        lambda: p.ident(body.get("item_id"), "item_id", required=True),
        lambda: p.number(body.get("qty"), "qty", required=True),
        lambda: p.ident(body.get("component_warehouse_id"), "component_warehouse_id"),
        lambda: p.ident(body.get("output_warehouse_id"), "output_warehouse_id"),
        lambda: p.ident(body.get("bom_id"), "bom_id"),
        lambda: p.ident(body.get("routing_id"), "routing_id"),
        lambda: p.day(body.get("order_date"), "order_date"),
        lambda: p.day(body.get("planned_start"), "planned_start"),
        lambda: p.day(body.get("planned_end"), "planned_end"),
        lambda: p.text(body.get("note"), "note"))
    return svc.OrderInput(item_id=item_id, qty=qty, component_warehouse_id=component_wh,
                          output_warehouse_id=output_wh, bom_id=bom_id, routing_id=routing_id, order_date=order_date,
                          planned_start=start, planned_end=end, note=note)


class ProductionCompletionApi(_Api):
    resource_name = "production_receipt"
    class_permission_name = RESOURCE_PRODUCTION
    datamodel = FabrikaInterface(ProductionCompletion)
    list_columns = ["id", "number", "doc_date", "state", "order.id", "qty", "material_cost", "labour_cost",
                    "overhead_cost", "byproduct_value", "output_value"]


APIS = (ProductionOrderApi, ProductionCompletionApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
