"""REST API of the warehouse: catalog, warehouses, stock documents (with post / cancel), balances.

Drafts are created through the service (validated, all problems at once, nothing half-saved);
posted documents are read-only here exactly as in the pages.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from flask_babel import lazy_gettext

from app.api import errors
from app.api import params as p
from app.api.base import FabrikaApi, command_doc
from app.api.versioned import VersionedApiMixin, opened_version
from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.core import Currency, Unit
from app.models.partners import Partner
from app.models.sales import Shipment
from app.models.stock import (
    STOCK_DOC_TYPES,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
    StockMove,
    Warehouse,
)
from app.permissions import (
    ACTION_POST,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_CATALOG,
    RESOURCE_STOCK_DOCUMENT,
    RESOURCE_STOCK_REPORT,
    RESOURCE_WAREHOUSE,
)
from app.services.stock import (
    DocumentInput,
    LineInput,
    cancel_document,
    create_and_post_document,
    create_document,
    post_document,
)
from app.services.stock.grid import GridLine, save_lines
from app.services.stock.structure import check_item_change, check_warehouse_change
from app.views.base import FabrikaInterface

MSG_NO_POST = lazy_gettext("Your role may create stock documents but not post them: "
                           "send the document without \"post\" and ask a user with the post permission to post it")


class _Api(FabrikaApi):
    """Base of this context's APIs."""


class ItemApi(VersionedApiMixin, _Api):
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


class WarehouseApi(VersionedApiMixin, _Api):
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
                                          "cancel_doc": ACTION_POST, "save_lines": ACTION_WRITE}
    include_route_methods = {"get", "get_list", "info", "create_draft", "post_doc", "cancel_doc", "save_lines"}
    datamodel = FabrikaInterface(StockDocument)
    list_columns = ["id", "doc_type", "number", "doc_date", "state", "warehouse.id", "warehouse.code",
                    "dest_warehouse.id", "partner.id", "partner_name", "shipment.id", "reason", "row_version"]
    show_columns = list_columns + ["note", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", 'the draft (or, with "post", the posted document)', body="StockDocumentDraft",
                 status=201)
    def create_draft(self):
        """Create a draft stock document (validated whole: every problem at once, nothing saved). With
        {"post": true} it is also posted in the same transaction (create_and_post_document): that needs the
        post permission (403 naming it, nothing written); a refused posting leaves no draft either.
        """
        try:
            body = p.json_body(required=True)
            post, confirmed = p.collect(lambda: p.flag(body.get("post"), "post"),
                                        lambda: p.flag(body.get("confirm_backdated"), "confirm_backdated"))
        except DomainError as exc:
            return self._refused(exc)
        if not post:
            return self.command(lambda: create_document(db.session, _draft_input(body)), _state, status=201)
        if not self.appbuilder.sm.has_access(f"can_{ACTION_POST}", RESOURCE_STOCK_DOCUMENT):
            return errors.json_error(403, str(MSG_NO_POST), field="post")  # checked before anything is written
        return self.command(lambda: create_and_post_document(db.session, _draft_input(body), confirmed),
                            _state, status=201)

    @expose("/<int:pk>/lines", methods=["PUT"])
    @protect()
    @safe
    @command_doc("DocumentState", "saved", body="StockDocumentLines", verb="put")
    def save_lines(self, pk: int):
        """Replace a draft's lines with the list sent, in one transaction (the page's lines grid does the same).
        A line with its line_id keeps that stored line; the lines left out are deleted. Send the document's
        row_version as If-Match to refuse a save over someone else's (422).
        """
        return self.command(lambda: save_lines(db.session, pk, _grid_lines(p.json_body(required=True)),
                                               opened_version()), _state)

    @expose("/<int:pk>/post", methods=["POST"])
    @protect()
    @safe
    def post_doc(self, pk: int):
        """Post a draft document. A backdated one that later documents depend on is refused (422 naming
        them, field confirm_backdated) unless the body says {"confirm_backdated": true}.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    confirm_backdated: {type: boolean}
          responses:
            200:
              description: posted
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DocumentState'}
        """
        return self.command(lambda: post_document(db.session, pk, confirm_backdated=p.flag(
            p.json_body().get("confirm_backdated"), "confirm_backdated")), _state)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled", body="DateBody", required=False)
    def cancel_doc(self, pk: int):
        """Cancel a posted document with reversal entries (dated today unless a date is given)."""
        return self.command(lambda: cancel_document(db.session, pk, p.day(p.json_body().get("date"), "date")),
                            _state)


def _state(doc: StockDocument) -> dict:
    return {"id": doc.id, "number": doc.number, "state": doc.state}


def _grid_lines(body: dict) -> list[GridLine]:
    return [_grid_line(n, ln) for n, ln in p.lines(body, required=True)]


def _grid_line(n: int, ln: dict) -> GridLine:
    """A line of the lines grid: the draft line's fields plus the id of the stored line it edits."""
    line, line_id = p.collect(lambda: _line_input(n, ln),
                              lambda: p.ident(ln.get("line_id"), "line_id", StockDocumentLine, line=n))
    return GridLine(**vars(line), line_id=line_id)


def _draft_input(body: dict) -> DocumentInput:
    """The draft as the service takes it; ids, dates, texts and lines checked first, every problem at once."""
    partner_id, shipment_id = p.collect(lambda: p.ident(body.get("partner_id"), "partner_id", Partner),
                                        lambda: p.ident(body.get("shipment_id"), "shipment_id", Shipment))
    doc_type, warehouse_id, doc_date, dest_id, currency_id, partner, reason, note, lines = p.collect(
        lambda: p.choice(body.get("doc_type"), "doc_type", STOCK_DOC_TYPES),
        lambda: p.ident(body.get("warehouse_id"), "warehouse_id", Warehouse, required=True),
        lambda: p.day(body.get("doc_date"), "doc_date"),
        lambda: p.ident(body.get("dest_warehouse_id"), "dest_warehouse_id", Warehouse),
        lambda: p.ident(body.get("currency_id"), "currency_id", Currency),
        lambda: p.text(body.get("partner_name"), "partner_name", max_len=p.size(StockDocument.partner_name)),
        lambda: p.text(body.get("reason"), "reason", max_len=p.size(StockDocument.reason)),
        lambda: p.text(body.get("note"), "note"),
        lambda: [_line_input(n, ln) for n, ln in p.lines(body, required=not shipment_id)],
    )
    return DocumentInput(doc_type=doc_type, warehouse_id=warehouse_id, doc_date=doc_date, dest_warehouse_id=dest_id,
                         partner_name=partner, currency_id=currency_id, rate=body.get("rate"), reason=reason,
                         note=note, lines=lines or [], partner_id=partner_id, shipment_id=shipment_id)


def _line_input(n: int, ln: dict) -> LineInput:
    item_id, unit, lot_id, note = p.collect(
        lambda: p.ident(ln.get("item_id"), "item_id", Item, required=True, line=n),
        lambda: p.text(ln.get("unit"), "unit", max_len=p.size(Unit.code), line=n) or None,
        lambda: p.ident(ln.get("lot_id"), "lot_id", StockLot, line=n),
        lambda: p.text(ln.get("note"), "note", max_len=p.size(StockDocumentLine.note), line=n),
    )
    return LineInput(item_id, ln.get("qty"), unit, ln.get("unit_cost"), lot_id, note)


APIS = (ItemApi, ItemGroupApi, WarehouseApi, StockBalanceApi, StockMoveApi, StockLotApi, StockDocumentApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
