"""REST API of engineering: work centres, bills of materials and their lines, routings and their operations.

The same registers the engineering pages edit, through the same checks: each create / update runs the
service validation the page's form runs (app.services.production.engineering: versions that must not
overlap, cycles, by-products, units, times), then the row's column checks; a refusal is the one 422.
A line's quantity may be sent as an integer or a decimal; a missing scrap percentage is 0, as on the page.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import FabrikaApi
from app.extensions import db
from app.models.production import Bom, BomLine, Routing, RoutingOperation, WorkCenter
from app.permissions import ACTION_READ, CRUD, RESOURCE_ENGINEERING
from app.services.production import engineering
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_ENGINEERING


class WorkCenterApi(_Api):
    resource_name = "work_center"
    datamodel = FabrikaInterface(WorkCenter)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "labour_rate", "overhead_rate", "active"]
    add_columns = edit_columns = show_columns = ["code", "name", "name_ru", "name_es", "labour_rate", "overhead_rate",
                                                 "active"]


class BomApi(_Api):
    """Bills of materials (versions of an item's structure), with the multi-level explosion."""

    resource_name = "bom"
    method_permission_name = CRUD | {"explode": ACTION_READ}
    datamodel = FabrikaInterface(Bom)
    list_columns = ["id", "item.id", "item.code", "version", "name", "output_qty", "valid_from", "valid_to", "active"]
    add_columns = edit_columns = ["item", "version", "name", "output_qty", "valid_from", "valid_to", "active", "note"]
    show_columns = ["id", *add_columns]

    def pre_add(self, item: Bom) -> None:
        engineering.validate_bom(db.session, item)
        super().pre_add(item)

    def pre_update(self, item: Bom) -> None:
        engineering.validate_bom(db.session, item)
        super().pre_update(item)

    @expose("/explode/<int:item_id>", methods=["GET"])
    @protect()
    @safe
    def explode(self, item_id: int):
        """Multi-level explosion of an item (query: qty, date).
        ---
        get:
          parameters:
          - {in: query, name: qty, required: false, schema: {type: string, format: decimal, example: "1"}}
          - {in: query, name: date, required: false, schema: {type: string, format: date}}
          responses:
            200:
              description: rows and totals
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/BomExplosion'}
        """
        def use_case():
            qty, on = p.collect(lambda: p.query_number("qty", "1"), lambda: p.query_day("date"))
            return engineering.explode_bom(db.session, item_id, qty, on)

        return self.command(use_case, lambda ex: {
            "rows": [{"level": r.level, "parent_id": r.parent, "item_id": r.component, "qty": str(r.qty),
                      "byproduct": r.byproduct, "has_bom": r.has_bom} for r in ex.rows],
            "totals": {str(i): str(q) for i, q in ex.leaves().items()}})


class BomLineApi(_Api):
    """A BOM's components (a negative quantity is a by-product, as on the page)."""

    resource_name = "bom_line"
    datamodel = FabrikaInterface(BomLine)
    list_columns = ["id", "bom.id", "line_no", "item.id", "item.code", "qty", "unit.code", "scrap_pct",
                    "is_byproduct", "note"]
    add_columns = edit_columns = ["bom", "item", "qty", "unit", "scrap_pct", "is_byproduct", "note"]
    show_columns = ["id", "line_no", *add_columns]

    def pre_add(self, item: BomLine) -> None:
        if item.bom is not None:
            item.line_no = 1 + max((ln.line_no for ln in item.bom.lines if ln is not item), default=0)
        engineering.validate_line(db.session, item)  # first: it turns a negative quantity into a by-product
        super().pre_add(item)

    def pre_update(self, item: BomLine) -> None:
        engineering.validate_line(db.session, item)
        super().pre_update(item)


class RoutingApi(_Api):
    resource_name = "routing"
    datamodel = FabrikaInterface(Routing)
    list_columns = ["id", "item.id", "item.code", "version", "name", "valid_from", "valid_to", "active"]
    add_columns = edit_columns = ["item", "version", "name", "valid_from", "valid_to", "active", "note"]
    show_columns = ["id", *add_columns]

    def pre_add(self, item: Routing) -> None:
        engineering.validate_routing(db.session, item)
        super().pre_add(item)

    def pre_update(self, item: Routing) -> None:
        engineering.validate_routing(db.session, item)
        super().pre_update(item)


class RoutingOperationApi(_Api):
    resource_name = "routing_operation"
    datamodel = FabrikaInterface(RoutingOperation)
    list_columns = ["id", "routing.id", "seq", "name", "name_ru", "name_es", "work_center.id", "work_center.code",
                    "setup_minutes", "run_minutes", "is_software"]
    add_columns = edit_columns = ["routing", "seq", "name", "name_ru", "name_es", "work_center", "setup_minutes",
                                  "run_minutes", "is_software", "software_version", "instructions"]
    show_columns = ["id", *add_columns]

    def pre_add(self, item: RoutingOperation) -> None:
        engineering.validate_operation(item)
        super().pre_add(item)

    def pre_update(self, item: RoutingOperation) -> None:
        engineering.validate_operation(item)
        super().pre_update(item)


APIS = (WorkCenterApi, BomApi, BomLineApi, RoutingApi, RoutingOperationApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
