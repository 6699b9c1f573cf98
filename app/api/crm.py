"""REST API of the sales funnel: stages, deals (created and moved through the service), activities.

A deal's stage changes only by `POST /api/v1/deal/<id>/move {"stage_id": n, "reason": "..."}`, so
every change lands in the stage history; `POST /api/v1/activity/<id>/complete {"result": "..."}`
marks an activity done.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api.base import FabrikaApi
from app.domain.errors import DomainError
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


class DealApi(_Api):
    resource_name = "deal"
    datamodel = FabrikaInterface(Deal)
    method_permission_name = CRUD | {"move": ACTION_WRITE}
    list_columns = show_columns = DEAL_COLUMNS
    edit_columns = ["title", "contact", "amount", "currency", "probability", "expected_close", "manager", "source",
                    "note"]
    search_columns = ["title", "partner", "stage", "manager", "expected_close"]

    def post_headless(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request is not JSON")
        try:
            data = crm.DealInput(
                title=body.get("title", ""), partner_id=body.get("partner_id"), amount=body.get("amount", "0"),
                currency_id=body.get("currency_id"), stage_id=body.get("stage_id"), contact_id=body.get("contact_id"),
                probability=body.get("probability"), manager_id=body.get("manager_id"),
                expected_close=date.fromisoformat(body["expected_close"]) if body.get("expected_close") else None,
                source=body.get("source", ""), note=body.get("note", ""))
            deal = crm.create_deal(db.session, data)
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except (TypeError, ValueError) as exc:
            return self.response_400(message=str(exc))
        return self.response(201, id=deal.id, stage_id=deal.stage_id)

    @expose("/<int:pk>/move", methods=["POST"])
    @protect()
    @safe
    def move(self, pk: int):
        """Move a deal to another stage (recorded in its stage history).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    stage_id: {type: integer}
                    reason: {type: string}
          responses:
            200: {description: moved}
            422: {description: refused (e.g. a closed deal)}
        """
        body = request.get_json(silent=True) or {}
        try:
            deal = crm.move_deal(db.session, pk, int(body.get("stage_id")), str(body.get("reason") or ""))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except (TypeError, ValueError):
            return self.response_400(message="stage_id")
        return self.response(200, id=deal.id, stage_id=deal.stage_id, probability=deal.probability)


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

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk: int):
        """Mark an activity done.
        ---
        post:
          responses:
            200: {description: done}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            act = crm.complete_activity(db.session, pk, str(body.get("result") or ""))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, id=act.id, done=act.done)


APIS = (DealStageApi, DealApi, ActivityApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
