"""REST API of quality and the knowledge base: complaints, actions, causes, analysis, recall, articles, search.

Complaints and actions are created and edited like any register (the same checks as the pages:
prepare_complaint / prepare_action raise DomainErrors answered 422) and change state only through
`POST /api/v1/complaint/<id>/transition {"action": "resolve", "comment": "..."}` (and the same on
corrective_action), where closing needs the post right on Quality. `GET /api/v1/recall/<lot_id>` is the
recall list (money only for invoice readers); `GET /api/v1/kb/search?q=` and `/kb/suggest?q=` search the
articles by word forms.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import PATH_PK, CommandApi, FabrikaApi, command_doc
from app.domain.errors import DomainError
from app.extensions import db
from app.models.quality import Complaint, CorrectiveAction, DefectCause, KbArticle, KbCategory
from app.permissions import (
    ACTION_READ,
    ACTION_WRITE,
    CRUD,
    RESOURCE_INVOICE,
    RESOURCE_KNOWLEDGE,
    RESOURCE_QUALITY,
    perm,
)
from app.services.quality import analysis, kb
from app.services.quality import complaints as svc
from app.services.quality.trace import Trace, trace_backward, trace_forward
from app.views.base import FabrikaInterface

_TEXT = {"type": "string"}
_TRANSITION_DOC = command_doc(
    {"type": "object", "properties": {"id": {"type": "integer"}, "state": _TEXT}}, "the new state",
    body={"type": "object", "required": ["action"],
          "properties": {"action": {**_TEXT, "description": "a transition of the workflow"}, "comment": _TEXT}},
    parameters=PATH_PK)


def _transition(service, pk: int):
    body = p.json_body(required=True)
    action, comment = p.collect(lambda: p.text(body.get("action"), "action", max_len=32, required=True),
                                lambda: p.text(body.get("comment"), "comment", max_len=2000))
    return service(db.session, pk, action, comment or "")


class _Quality(FabrikaApi):
    class_permission_name = RESOURCE_QUALITY


class DefectCauseApi(_Quality):
    resource_name = "defect_cause"
    datamodel = FabrikaInterface(DefectCause)
    list_columns = show_columns = ["id", "code", "name", "name_ru", "name_es", "cause_group", "active"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "cause_group", "active"]


class _Worked(_Quality):
    """A register whose rows are checked by a service before saving and move through one transition endpoint."""

    method_permission_name = CRUD | {"transition": ACTION_WRITE}
    prepare = staticmethod(svc.prepare_complaint)
    mover = staticmethod(svc.move_complaint)

    def pre_add(self, item) -> None:
        super().pre_add(item)
        self.prepare(db.session, item)

    def pre_update(self, item) -> None:
        super().pre_update(item)
        self.prepare(db.session, item)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @_TRANSITION_DOC
    def transition(self, pk: int):
        """Move a row through its workflow (closing, rejecting, cancelling need post on Quality)."""
        return self.command(lambda: _transition(self.mover, pk), lambda row: {"id": row.id, "state": row.state})


class ComplaintApi(_Worked):
    """Complaints: investigate, resolve, close, reject, reopen."""

    resource_name = "complaint"
    datamodel = FabrikaInterface(Complaint)
    list_columns = show_columns = [
        "id", "number", "complaint_date", "state", "title", "partner.id", "item.id", "lot.id", "production_order.id",
        "component_lot.id", "supplier.id", "cause.id", "qty", "cost_scrap", "cost_rework", "cost_replacement",
        "cost_other", "description", "resolution", "closed_at", "closed_by"]
    add_columns = edit_columns = [
        "title", "complaint_date", "partner", "item", "lot", "production_order", "component_lot", "supplier", "cause",
        "qty", "cost_scrap", "cost_rework", "cost_replacement", "cost_other", "description", "resolution"]
    search_columns = ["number", "complaint_date", "state", "title", "partner", "item", "cause", "supplier"]


class CorrectiveActionApi(_Worked):
    """Corrective and preventive actions: start, complete, close as effective, reopen, cancel."""

    resource_name = "corrective_action"
    datamodel = FabrikaInterface(CorrectiveAction)
    prepare = staticmethod(svc.prepare_action)
    mover = staticmethod(svc.move_action)
    list_columns = show_columns = ["id", "complaint.id", "kind", "state", "description", "owner.id", "due_date",
                                   "result", "done_at", "done_by", "closed_at", "closed_by"]
    add_columns = ["complaint", "kind", "description", "owner", "due_date"]
    edit_columns = ["kind", "description", "owner", "due_date"]
    search_columns = ["complaint", "kind", "state", "owner", "due_date"]


def _trace_json(trace: Trace, money: bool) -> dict[str, Any]:
    def lot(n) -> dict:
        return {"level": n.level, "lot_id": n.lot_id, "item_id": n.item_id, "item": n.item_label, "code": n.code,
                "qty": str(n.qty), "qty_remaining": str(n.qty_remaining), "document": n.doc_number,
                "production_order_id": n.production_order_id, "parent_lot_id": n.parent_lot_id,
                "parent_qty": str(n.parent_qty), "supplier": n.supplier}

    def client(g) -> dict:
        row = {"partner_id": g["partner_id"], "partner": g["partner"], "email": g["email"], "item_id": g["item_id"],
               "item": g["item"], "qty": str(g["qty"]), "shipments": g["shipments"]}
        return row | ({"amount": str(g["amount"]), "margin": str(g["margin"])} if money else {})

    return {"levels": trace.levels, "lots": [lot(n) for n in trace.lots],
            "clients": [client(g) for g in trace.by_client()],
            "deliveries": [{"doc_type": d.doc_type, "doc_id": d.doc_id, "document": d.doc_number, "lot_id": d.lot_id,
                            "item_id": d.item_id, "qty": str(d.qty), "partner_id": d.partner_id}
                           for d in trace.deliveries]}


_TRACE_RESPONSE = """
          responses:
            200:
              description: the lots on the trail, the clients and the deliveries
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      levels: {type: integer}
                      lots: {type: array, items: {type: object}}
                      clients: {type: array, items: {type: object}}
                      deliveries: {type: array, items: {type: object}}
"""


class QualityReportApi(CommandApi):
    """The recall list (forwards), the make-up of a lot or shipment (backwards), the Pareto of causes."""

    resource_name = "recall"
    class_permission_name = RESOURCE_QUALITY
    method_permission_name = {"forward": ACTION_READ, "backward": ACTION_READ, "pareto": ACTION_READ}

    def _money(self) -> bool:
        return self.appbuilder.sm.has_access(perm(ACTION_READ), RESOURCE_INVOICE)

    @expose("/<int:lot_id>", methods=["GET"])
    @protect()
    @safe
    def forward(self, lot_id: int):
        """The recall list of a component lot: every lot made from it, and the clients that received them.
        ---
        get:
          parameters:
          - {in: path, name: lot_id, required: true, schema: {type: integer}}
        """
        return self.command(lambda: trace_forward(db.session, lot_id), lambda t: _trace_json(t, self._money()))

    forward.__doc__ += _TRACE_RESPONSE

    @expose("/backward", methods=["GET"])
    @protect()
    @safe
    def backward(self):
        """What a lot or a shipment is made of, down to the supplier lots.
        ---
        get:
          parameters:
          - {in: query, name: lot_id, required: false, schema: {type: integer}}
          - {in: query, name: shipment_id, required: false, schema: {type: integer}}
        """
        def use_case():
            lot_id, shipment_id = p.collect(lambda: p.query_id("lot_id"), lambda: p.query_id("shipment_id"))
            if not lot_id and not shipment_id:
                raise DomainError("Give lot_id or shipment_id")
            return trace_backward(db.session, lot_id=lot_id, shipment_id=shipment_id)

        return self.command(use_case, lambda t: _trace_json(t, self._money()))

    backward.__doc__ += _TRACE_RESPONSE

    @expose("/pareto", methods=["GET"])
    @protect()
    @safe
    def pareto(self):
        """Defect causes ranked by complaints, quantity or cost, with the cumulative share.
        ---
        get:
          parameters:
          - {in: query, name: measure, required: false, schema: {type: string, enum: [count, qty, cost]}}
          - {in: query, name: date_from, required: false, schema: {type: string, format: date}}
          - {in: query, name: date_to, required: false, schema: {type: string, format: date}}
          responses:
            200:
              description: causes, largest first
              content:
                application/json:
                  schema: {type: object, properties: {rows: {type: array, items: {type: object}}}}
        """
        def use_case():
            measure, start, end = p.collect(
                lambda: p.choice(request.args.get("measure"), "measure", ("count", "qty", "cost"), "count"),
                lambda: p.query_day("date_from"), lambda: p.query_day("date_to"))
            return analysis.pareto_by(db.session, analysis.Period(start, end), measure)

        return self.command(use_case, lambda rows: {"rows": [
            {"cause_id": r.key, "cause": r.label, "count": r.count, "qty": str(r.qty), "cost": str(r.cost),
             "share": str(r.share), "cumulative": str(r.cumulative)} for r in rows]})


class KbCategoryApi(FabrikaApi):
    resource_name = "kb_category"
    class_permission_name = RESOURCE_KNOWLEDGE
    datamodel = FabrikaInterface(KbCategory)
    list_columns = show_columns = ["id", "code", "name", "name_ru", "name_es"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es"]


class KbArticleApi(FabrikaApi):
    resource_name = "kb_article"
    class_permission_name = RESOURCE_KNOWLEDGE
    datamodel = FabrikaInterface(KbArticle)
    method_permission_name = CRUD | {"link": ACTION_WRITE}
    list_columns = ["id", "title", "title_ru", "title_es", "category.id", "item.id", "published", "updated_at"]
    show_columns = ["id", "title", "title_ru", "title_es", "body", "body_ru", "body_es", "category.id", "item.id",
                    "published", "updated_at"]
    add_columns = edit_columns = ["title", "title_ru", "title_es", "body", "body_ru", "body_es", "category", "item",
                                  "published"]
    search_columns = ["title", "title_ru", "title_es", "category", "published"]

    @expose("/<int:pk>/link", methods=["POST"])
    @protect()
    @safe
    def link(self, pk: int):
        """Record that this article answered a service request.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [request_id], properties: {request_id: {type: integer}}}
          responses:
            200:
              description: linked
              content:
                application/json:
                  schema: {type: object, properties: {article_id: {type: integer}, request_id: {type: integer}}}
        """
        def use_case():
            body = p.json_body(required=True)
            [request_id] = p.collect(lambda: p.ident(body.get("request_id"), "request_id", required=True))
            return kb.link_to_request(db.session, pk, request_id)

        return self.command(use_case, lambda link: {"article_id": link.article_id, "request_id": link.request_id})


_SEARCH_DOC = command_doc(
    {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": _TEXT, "snippet": _TEXT, "score": {"type": "number"}}}}}},
    "articles, best first (title and snippet in the caller's language)", verb="get",
    parameters=[{"in": "query", "name": "q", "required": True, "schema": _TEXT}])


class KbSearchApi(CommandApi):
    resource_name = "kb"
    class_permission_name = RESOURCE_KNOWLEDGE
    method_permission_name = {"search": ACTION_READ, "suggest": ACTION_READ}

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    @_SEARCH_DOC
    def search(self):
        """Search the knowledge base by the word forms of every word of `q`."""
        return self.command(lambda: kb.search_articles(db.session, _query(), 20), lambda rows: {"results": rows})

    @expose("/suggest", methods=["GET"])
    @protect()
    @safe
    @_SEARCH_DOC
    def suggest(self):
        """Articles for a text being typed (a service request's subject): any word, the last one started."""
        return self.command(lambda: kb.suggest_articles(db.session, _query(), 5), lambda rows: {"results": rows})


def _query() -> str:
    [q] = p.collect(lambda: p.text(request.args.get("q"), "q", max_len=300, required=True))
    return q


APIS = (DefectCauseApi, ComplaintApi, CorrectiveActionApi, QualityReportApi, KbCategoryApi, KbArticleApi, KbSearchApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
