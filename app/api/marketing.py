"""REST API of marketing: segments (with the count of a rule set), promotions, campaigns, opt-outs.

The commands call the same services as the pages: `POST /api/v1/segment/count {"rules": [...]}` gives how
many clients rules select now, `POST /api/v1/segment/<id>/evaluate` rebuilds a segment's membership,
`POST /api/v1/campaign/<id>/start` fixes the recipients and the holdout, `POST /api/v1/campaign/<id>/send`
writes the next batch of letters to the outbox, `GET /api/v1/campaign/<id>/results` compares the groups.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api import spec
from app.api.base import FabrikaApi
from app.domain.errors import DomainError
from app.extensions import db
from app.models.marketing import Campaign, OptOut, Promotion, Segment
from app.permissions import ACTION_READ, ACTION_RUN, ACTION_WRITE, CRUD, RESOURCE_MARKETING
from app.services.marketing import campaigns as cmp
from app.services.marketing import segments as seg
from app.services.marketing.promotions import validate
from app.services.marketing.results import campaign_results
from app.views.base import FabrikaInterface

SCHEMAS = {
    "SegmentRules": spec._obj({"rules": {"type": "array", "items": {"type": "object", "additionalProperties": True},
                                         "description": "conditions that must all hold, e.g. "
                                                        "[{\"kind\": \"bought_item\", \"item_id\": 3}]"}},
                              ("rules",)),
    "SegmentCount": spec._obj({"count": {"type": "integer"}}, ("count",)),
    "CampaignState": spec._obj({"id": spec.ID, "state": spec.TEXT, "written": {"type": "integer"}}, ("id", "state")),
}


def _doc(summary: str, body: str | None, answer: str) -> str:
    """The YAML of a command endpoint's OpenAPI operation (FAB reads it from the docstring)."""
    request = (f"          requestBody:\n            required: true\n            content:\n"
               f"              application/json:\n                schema: {{$ref: '#/components/schemas/{body}'}}\n"
               if body else "")
    return (f"{summary}\n        ---\n        post:\n{request}          responses:\n            200:\n"
            f"              description: done\n              content:\n                application/json:\n"
            f"                  schema: {{$ref: '#/components/schemas/{answer}'}}\n        ")


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_MARKETING


class SegmentApi(_Api):
    resource_name = "segment"
    datamodel = FabrikaInterface(Segment)
    method_permission_name = CRUD | {"count": ACTION_READ, "evaluate": ACTION_WRITE}
    list_columns = show_columns = ["id", "name", "name_ru", "name_es", "rules", "active", "member_count",
                                   "evaluated_at"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "rules", "active"]
    search_columns = ["name", "active"]

    def pre_add(self, item: Segment) -> None:
        super().pre_add(item)
        seg.validate_rules(item.rules if item.rules is not None else [])

    def pre_update(self, item: Segment) -> None:
        super().pre_update(item)
        seg.validate_rules(item.rules if item.rules is not None else [])

    @expose("/count", methods=["POST"])
    @protect()
    @safe
    def count(self):
        return self.command(lambda: seg.count(db.session, p.json_body(required=True).get("rules")),
                            lambda n: {"count": n})

    count.__doc__ = _doc("How many clients the rules select now (nothing is written).", "SegmentRules",
                         "SegmentCount")

    @expose("/<int:pk>/evaluate", methods=["POST"])
    @protect()
    @safe
    def evaluate(self, pk: int):
        def use_case():
            segment = db.session.get(Segment, pk)
            if segment is None:
                raise DomainError("Segment %(id)s not found", id=pk)
            return seg.evaluate(db.session, segment)

        return self.command(use_case, lambda n: {"count": n})

    evaluate.__doc__ = _doc("Rebuild the segment's membership now.", None, "SegmentCount")


class PromotionApi(_Api):
    resource_name = "promotion"
    datamodel = FabrikaInterface(Promotion)
    list_columns = show_columns = ["id", "name", "name_ru", "name_es", "date_from", "date_to", "discount_pct",
                                   "item.id", "group.id", "segment.id", "partner.id", "priority", "floor_margin_pct",
                                   "active"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "date_from", "date_to", "discount_pct", "item",
                                  "group", "segment", "partner", "priority", "floor_margin_pct", "active"]
    search_columns = ["name", "date_from", "date_to", "item", "group", "segment", "partner", "active"]

    def pre_add(self, item: Promotion) -> None:
        super().pre_add(item)
        validate(item)

    def pre_update(self, item: Promotion) -> None:
        validate(item)
        super().pre_update(item)


class CampaignApi(_Api):
    resource_name = "campaign"
    datamodel = FabrikaInterface(Campaign)
    method_permission_name = CRUD | {"start": ACTION_RUN, "send": ACTION_RUN, "results": ACTION_READ}
    list_columns = show_columns = ["id", "name", "segment.id", "promotion.id", "state", "subject", "subject_ru",
                                   "subject_es", "body", "body_ru", "body_es", "call_list", "holdout_pct", "seed",
                                   "cost", "per_run", "period_days", "started_at", "finished_at"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "segment", "promotion", "subject", "subject_ru",
                                  "subject_es", "body", "body_ru", "body_es", "call_list", "holdout_pct", "seed",
                                  "cost", "per_run", "period_days"]
    search_columns = ["name", "segment", "state"]

    def pre_update(self, item: Campaign) -> None:
        if item.state != "draft":
            raise DomainError(cmp.MSG_NOT_DRAFT)
        super().pre_update(item)

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    def start(self, pk: int):
        return self.command(lambda: cmp.start_campaign(db.session, pk), lambda c: {"id": c.id, "state": c.state})

    start.__doc__ = _doc("Start: fix the recipients and the holdout, make the call list.", None, "CampaignState")

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    def send(self, pk: int):
        return self.command(lambda: cmp.send_batch(db.session, pk),
                            lambda n: {"id": pk, "state": db.session.get(Campaign, pk).state, "written": n})

    send.__doc__ = _doc("Write the next batch of letters to the outbox now.", None, "CampaignState")

    @expose("/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    def results(self, pk: int):
        """The campaign group against the holdout: orders, revenue, margin at FIFO cost, increment, ROI.
        ---
        get:
          responses:
            200:
              description: the figures, base currency
              content:
                application/json:
                  schema: {type: object, additionalProperties: true}
        """
        try:
            r = campaign_results(db.session, pk)
        except DomainError as exc:
            return self._refused(exc)
        group = lambda g: {"clients": g.clients, "buyers": g.buyers, "orders": g.orders,  # noqa: E731
                           "revenue": str(g.revenue), "cost": str(g.cost), "margin": str(g.margin)}
        return self.response(200, period_from=r.period_from.isoformat(), period_to=r.period_to.isoformat(),
                             target=group(r.target), holdout=group(r.holdout),
                             revenue_increment=str(r.revenue_increment), margin_increment=str(r.margin_increment),
                             margin_low=str(r.margin_low), margin_high=str(r.margin_high),
                             campaign_cost=str(r.campaign_cost), roi=str(r.roi) if r.roi is not None else None)


class OptOutApi(_Api):
    resource_name = "opt_out"
    datamodel = FabrikaInterface(OptOut)
    list_columns = show_columns = ["id", "partner.id", "at", "source", "note"]
    add_columns = edit_columns = ["partner", "note"]
    search_columns = ["partner", "at", "source"]

    def pre_add(self, item: OptOut) -> None:
        item.source = "manual"
        super().pre_add(item)


APIS = (SegmentApi, PromotionApi, CampaignApi, OptOutApi)


def register(appbuilder) -> None:
    for name, schema in SCHEMAS.items():
        spec.SCHEMAS.setdefault(name, schema)
    for api in APIS:
        appbuilder.add_api(api)
