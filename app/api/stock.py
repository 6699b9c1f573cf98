"""REST API of the warehouse: catalog, warehouses, stock documents (with post / cancel), balances.

Drafts are created through the service (validated, all problems at once, nothing half-saved);
posted documents are read-only here exactly as in the pages.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api.base import FabrikaApi
from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.stock import StockBalance, StockDocument, StockLot, StockMove, Warehouse
from app.permissions import (
    ACTION_POST,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_CATALOG,
    RESOURCE_STOCK_DOCUMENT,
    RESOURCE_STOCK_REPORT,
    RESOURCE_WAREHOUSE,
)
from app.services.stock import DocumentInput, LineInput, cancel_document, create_document, post_document
from app.services.stock.structure import check_item_change, check_warehouse_change
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    """Base of this context's APIs."""


class ItemApi(_Api):
    resource_name = "item"
    class_permission_name = RESOURCE_CATALOG
    datamodel = FabrikaInterface(Item)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "kind", "unit.code", "group.name",
                    "standard_cost", "sale_price", "active"]

    def pre_update(self, item: Item) -> None:
        super().pre_update(item)
        check_item_change(db.session, item)  # no unit / kind change under stock (as on the page)


class ItemGroupApi(_Api):
    resource_name = "item_group"
    class_permission_name = RESOURCE_CATALOG
    datamodel = FabrikaInterface(ItemGroup)


class WarehouseApi(_Api):
    resource_name = "warehouse"
    class_permission_name = RESOURCE_WAREHOUSE
    datamodel = FabrikaInterface(Warehouse)

    def pre_update(self, item: Warehouse) -> None:
        super().pre_update(item)
        check_warehouse_change(db.session, item)  # no valuation change under stock (as on the page)


class StockBalanceApi(_Api):
    resource_name = "stock_balance"
    class_permission_name = RESOURCE_STOCK_REPORT
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(StockBalance)
    list_columns = ["id", "item.id", "item.code", "warehouse.id", "warehouse.code", "qty", "reserved", "value"]


class StockMoveApi(_Api):
    resource_name = "stock_move"
    class_permission_name = RESOURCE_STOCK_REPORT
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(StockMove)
    list_columns = ["id", "move_date", "item.id", "item.code", "warehouse.id", "warehouse.code", "qty", "value",
                    "kind", "doc_type", "doc_id", "doc_number"]


class StockLotApi(_Api):
    resource_name = "stock_lot"
    class_permission_name = RESOURCE_STOCK_REPORT
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(StockLot)
    list_columns = ["id", "code", "item.id", "item.code", "warehouse.id", "warehouse.code", "received_on", "qty",
                    "unit_cost", "qty_remaining", "value_remaining"]


class StockDocumentApi(_Api):
    """Read documents; create drafts and post / cancel them through the service."""

    resource_name = "stock_document"
    class_permission_name = RESOURCE_STOCK_DOCUMENT
    method_permission_name = READ_ONLY | {"create_draft": ACTION_WRITE, "post_doc": ACTION_POST,
                                          "cancel_doc": ACTION_POST}
    include_route_methods = {"get", "get_list", "info", "create_draft", "post_doc", "cancel_doc"}
    datamodel = FabrikaInterface(StockDocument)
    list_columns = ["id", "doc_type", "number", "doc_date", "state", "warehouse.id", "warehouse.code",
                    "dest_warehouse.id", "partner_name", "reason"]
    show_columns = list_columns + ["note", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def create_draft(self):
        """Create a draft stock document.
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
            data = DocumentInput(
                doc_type=body.get("doc_type", ""), warehouse_id=body.get("warehouse_id"),
                doc_date=date.fromisoformat(body["doc_date"]) if body.get("doc_date") else None,
                dest_warehouse_id=body.get("dest_warehouse_id"), partner_name=body.get("partner_name", ""),
                currency_id=body.get("currency_id"), rate=body.get("rate"), reason=body.get("reason", ""),
                note=body.get("note", ""),
                lines=[LineInput(ln.get("item_id"), ln.get("qty"), ln.get("unit"), ln.get("unit_cost"),
                                 ln.get("lot_id"), ln.get("note", "")) for ln in body.get("lines", [])],
            )
            doc = create_document(db.session, data)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except (ValueError, TypeError, AttributeError) as exc:
            return self.response(400, message=str(exc))
        return self.response(201, id=doc.id, state=doc.state)

    @expose("/<int:pk>/post", methods=["POST"])
    @protect()
    @safe
    def post_doc(self, pk: int):
        """Post a draft document.
        ---
        post:
          responses:
            200: {description: posted}
            422: {description: refused}
        """
        try:
            doc = post_document(db.session, pk)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, id=doc.id, number=doc.number, state=doc.state)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel_doc(self, pk: int):
        """Cancel a posted document with reversal entries dated today.
        ---
        post:
          responses:
            200: {description: cancelled}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            on = date.fromisoformat(body["date"]) if body.get("date") else None
            doc = cancel_document(db.session, pk, on)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except ValueError as exc:
            return self.response(400, message=str(exc))
        return self.response(200, id=doc.id, number=doc.number, state=doc.state)


APIS = (ItemApi, ItemGroupApi, WarehouseApi, StockBalanceApi, StockMoveApi, StockLotApi, StockDocumentApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
