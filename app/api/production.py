"""REST API of production: orders with release / complete / cancel commands, output receipts, BOM explosion.

Commands call app.services.production exactly as the pages do; a refusal is 422 with every
problem translated. Orders are created as drafts through the service (validated) and changed only
by the commands, so the API can't do what the pages forbid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api.base import ReadOnlyApi
from app.domain.errors import DomainError
from app.domain.money import parse_quantity
from app.extensions import db
from app.models.production import Bom, ProductionCompletion, ProductionOrder
from app.permissions import (
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_ENGINEERING,
    RESOURCE_PRODUCTION,
)
from app.services import production as svc
from app.services.production import engineering
from app.views.base import FabrikaInterface


class _Api(ReadOnlyApi):
    """Base of this context's APIs."""


def _date(body: dict, key: str) -> date | None:
    return date.fromisoformat(body[key]) if body.get(key) else None


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
    def create_draft(self):
        """Create a draft production order.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
          responses:
            201: {description: created}
            422: {description: validation problems}
        """
        body = request.get_json(silent=True) or {}
        try:
            order = svc.create_order(db.session, svc.OrderInput(
                item_id=body.get("item_id"), qty=body.get("qty"),
                component_warehouse_id=body.get("component_warehouse_id"),
                output_warehouse_id=body.get("output_warehouse_id"), bom_id=body.get("bom_id"),
                routing_id=body.get("routing_id"), order_date=_date(body, "order_date"),
                planned_start=_date(body, "planned_start"), planned_end=_date(body, "planned_end"),
                note=body.get("note", "")))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except (ValueError, TypeError) as exc:
            return self.response(400, message=str(exc))
        return self.response(201, **_order_json(order))

    @expose("/<int:pk>/release", methods=["POST"])
    @protect()
    @safe
    def release(self, pk: int):
        """Release a draft order; missing nodes get child orders.
        ---
        post:
          responses:
            200: {description: released, with the child orders and the shortages left}
            422: {description: refused}
        """
        try:
            result = svc.release_order(db.session, pk)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, **_order_json(result.order),
                             children=[_order_json(c) for c in result.children],
                             shortages=[{"order": s.order, "item_id": s.item_id, "short": str(s.short),
                                         "message": s.problem().render(gettext)} for s in result.shortages])

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk: int):
        """Complete a quantity of a released order (body: qty, optional date).
        ---
        post:
          responses:
            200: {description: output receipt posted}
            422: {description: refused, with every shortage}
        """
        body = request.get_json(silent=True) or {}
        try:
            rec = svc.complete_order(db.session, pk, body.get("qty"), _date(body, "date"))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except ValueError as exc:
            return self.response(400, message=str(exc))
        return self.response(200, id=rec.id, number=rec.number, qty=str(rec.qty),
                             material_cost=str(rec.material_cost), labour_cost=str(rec.labour_cost),
                             overhead_cost=str(rec.overhead_cost), output_value=str(rec.output_value),
                             order=_order_json(rec.order))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk: int):
        """Cancel an order; its output receipts are reversed (body: optional date).
        ---
        post:
          responses:
            200: {description: cancelled}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            order = svc.cancel_order(db.session, pk, _date(body, "date"))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except ValueError as exc:
            return self.response(400, message=str(exc))
        return self.response(200, **_order_json(order))

    @expose("/<int:pk>/availability", methods=["GET"])
    @protect()
    @safe
    def availability(self, pk: int):
        """The order's components against the warehouse, with shortages and other sources.
        ---
        get:
          responses:
            200: {description: components}
            422: {description: no BOM}
        """
        try:
            rows = svc.check_availability(db.session, pk)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, result=[{
            "item_id": c.item_id, "code": c.code, "required": str(c.required), "available": str(c.available),
            "byproduct": c.byproduct, "short": str(c.shortage.short) if c.shortage else "0",
            "sources": [{"warehouse": w, "qty": str(q)} for w, q in (c.shortage.sources if c.shortage else [])],
            "being_made_by": c.open_orders} for c in rows])


class ProductionCompletionApi(_Api):
    resource_name = "production_receipt"
    class_permission_name = RESOURCE_PRODUCTION
    datamodel = FabrikaInterface(ProductionCompletion)
    list_columns = ["id", "number", "doc_date", "state", "order.id", "qty", "material_cost", "labour_cost",
                    "overhead_cost", "byproduct_value", "output_value"]


class BomApi(_Api):
    resource_name = "bom"
    class_permission_name = RESOURCE_ENGINEERING
    method_permission_name = READ_ONLY | {"explode": ACTION_READ}
    include_route_methods = {"get", "get_list", "info", "explode"}
    datamodel = FabrikaInterface(Bom)
    list_columns = ["id", "item.id", "item.code", "version", "name", "output_qty", "valid_from", "valid_to", "active"]

    @expose("/explode/<int:item_id>", methods=["GET"])
    @protect()
    @safe
    def explode(self, item_id: int):
        """Multi-level explosion of an item (query: qty, date).
        ---
        get:
          responses:
            200: {description: rows and totals}
            422: {description: no BOM, bad quantity}
        """
        qty, err = parse_quantity(request.args.get("qty") or "1")
        try:
            on = date.fromisoformat(request.args["date"]) if request.args.get("date") else None
            ex = engineering.explode_bom(db.session, item_id, qty if not err else Decimal(0), on)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except ValueError as exc:
            return self.response(400, message=str(exc))
        return self.response(200, rows=[{"level": r.level, "parent_id": r.parent, "item_id": r.component,
                                         "qty": str(r.qty), "byproduct": r.byproduct, "has_bom": r.has_bom}
                                        for r in ex.rows],
                             totals={str(i): str(q) for i, q in ex.leaves().items()})


APIS = (ProductionOrderApi, ProductionCompletionApi, BomApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
