"""REST API of the sales funnel: stages, deals (created and moved through the service), activities.

A deal's stage changes only by `POST /api/v1/deal/<id>/move {"stage_id": n, "reason": "..."}`, so
every change lands in the stage history; `POST /api/v1/activity/<id>/complete {"result": "..."}`
marks an activity done.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from marshmallow import Schema, fields, validate

from app.api import params as p
from app.api import spec
from app.api.base import FabrikaApi
from app.api.versioned import VersionedApiMixin
from app.extensions import db
from app.models.crm import Activity, Deal, DealStage
from app.permissions import ACTION_WRITE, CRUD, RESOURCE_DEAL
from app.services import crm
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_DEAL


class DealStageApi(_Api):
    resource_name = "deal_stage"
    datamodel = FabrikaInterface(DealStage)


DEAL_COLUMNS = ["id", "title", "partner.id", "partner.name", "contact.id", "amount", "currency.code", "probability",
                "expected_close", "stage.id", "stage.name", "manager.id", "source", "closed_at", "close_reason"]


class DealInputSchema(Schema):
    """A new deal as `POST /api/v1/deal/` reads it (crm.DealInput)."""

    title = fields.String(required=True, validate=validate.Length(max=200))
    partner_id = fields.Integer(required=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    currency_id = fields.Integer(allow_none=True)
    stage_id = fields.Integer(allow_none=True, metadata={"description": "the first stage when absent"})
    contact_id = fields.Integer(allow_none=True)
    probability = fields.Integer(allow_none=True, validate=validate.Range(0, 100))
    expected_close = fields.Date(allow_none=True)
    manager_id = fields.Integer(allow_none=True)
    source = fields.String(validate=validate.Length(max=64))
    note = fields.String()


class DealApi(VersionedApiMixin, _Api):
    resource_name = "deal"
    datamodel = FabrikaInterface(Deal)
    method_permission_name = CRUD | {"move": ACTION_WRITE}
    list_columns = show_columns = DEAL_COLUMNS
    edit_columns = ["title", "contact", "amount", "currency", "probability", "expected_close", "manager", "source",
                    "note"]
    search_columns = ["title", "partner", "stage", "manager", "expected_close"]

    # what the create reads (the service's DealInput): `_info` and the document name exactly these fields
    add_model_schema = DealInputSchema()
    add_columns = list(DealInputSchema._declared_fields)
    openapi_spec_methods = {"post": {"post": spec.command_doc(None, "DealCreated", 201)}}

    def post_headless(self):
        """Create a deal through the funnel's service (first stage, stage history), not FAB's CRUD."""
        return self.command(lambda: crm.create_deal(db.session, _deal_input(p.json_body(required=True))),
                            lambda deal: {"id": deal.id, "stage_id": deal.stage_id}, status=201)

    @expose("/<int:pk>/move", methods=["POST"])
    @protect()
    @safe
    def move(self, pk: int):
        """Move a deal to another stage (recorded in its stage history).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/DealMove'}
          responses:
            200:
              description: moved
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DealMoved'}
        """
        def use_case():
            body = p.json_body(required=True)
            stage_id, reason = p.collect(lambda: p.ident(body.get("stage_id"), "stage_id", required=True),
                                         lambda: p.text(body.get("reason"), "reason"))
            return crm.move_deal(db.session, pk, stage_id, reason)

        return self.command(use_case, lambda deal: {"id": deal.id, "stage_id": deal.stage_id,
                                                    "probability": deal.probability})


def _deal_input(body: dict) -> crm.DealInput:
    title, partner_id, amount, currency_id, stage_id, contact_id, probability, manager_id, close, source, note = \
        p.collect(
            lambda: p.text(body.get("title"), "title", max_len=p.size(Deal.title), required=True),
            lambda: p.ident(body.get("partner_id"), "partner_id", required=True),
            lambda: p.number(body.get("amount"), "amount", money=True),
            lambda: p.ident(body.get("currency_id"), "currency_id"),
            lambda: p.ident(body.get("stage_id"), "stage_id"),
            lambda: p.ident(body.get("contact_id"), "contact_id"),
            lambda: p.integer(body.get("probability"), "probability", high=100),
            lambda: p.ident(body.get("manager_id"), "manager_id"),
            lambda: p.day(body.get("expected_close"), "expected_close"),
            lambda: p.text(body.get("source"), "source", max_len=p.size(Deal.source)),
            lambda: p.text(body.get("note"), "note"))
    return crm.DealInput(title=title, partner_id=partner_id, amount=amount if amount is not None else "0",
                         currency_id=currency_id, stage_id=stage_id, contact_id=contact_id, probability=probability,
                         manager_id=manager_id, expected_close=close, source=source, note=note)


class ActivityApi(_Api):
    resource_name = "activity"
    datamodel = FabrikaInterface(Activity)
    method_permission_name = CRUD | {"complete": ACTION_WRITE}
    list_columns = show_columns = ["id", "kind", "subject", "due_at", "partner.id", "deal.id", "assignee.id", "done",
                                   "done_at", "result"]
    add_columns = edit_columns = ["kind", "subject", "due_at", "partner", "deal", "assignee", "result"]
    search_columns = ["kind", "subject", "due_at", "partner", "deal", "assignee", "done"]

    def pre_add(self, item: Activity) -> None:
        """As on the page: the deal's partner when only the deal is given; the token's user when nobody is
        assigned."""
        self.pre_update(item)
        crm.default_assignee(db.session, item)

    def pre_update(self, item: Activity) -> None:
        crm.link_activity(item)
        super().pre_update(item)

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk: int):
        """Mark an activity done.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ActivityDone'}
          responses:
            200:
              description: done
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, done: {type: boolean}}}
        """
        return self.command(
            lambda: crm.complete_activity(db.session, pk, p.text(p.json_body().get("result"), "result")),
            lambda act: {"id": act.id, "done": act.done})


APIS = (DealStageApi, DealApi, ActivityApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
