"""REST API of cost corrections, backdated receipts' re-costing and accounting periods.

The same services as the pages: a draft correction with its allocation, its impact preview (what
posting would change, by lot, document and order), post and cancel; a backdated receipt's preview
and its posting with re-costing; periods closed and reopened (reopening needs approve on periods).
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import CommandApi, FabrikaApi, command_doc
from app.extensions import db
from app.models.costing import ALLOCATION_BASES, CORRECTION_KINDS, AccountingPeriod, CostCorrection
from app.models.partners import Partner
from app.models.stock import StockDocument
from app.permissions import (
    ACTION_APPROVE,
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_COSTING,
    RESOURCE_PERIOD,
    RESOURCE_STOCK_DOCUMENT,
)
from app.services.costing import backdated, corrections, periods
from app.services.costing.recost import KOPEK, Plan
from app.views.base import FabrikaInterface

_PLAN = """
          responses:
            200:
              description: the impact preview (totals per target and one row per lot, document, order)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      totals: {type: object, additionalProperties: {type: string, format: decimal}}
                      impacts:
                        type: array
                        items:
                          type: object
                          properties:
                            target: {type: string}
                            doc_type: {type: string}
                            doc_id: {type: integer, nullable: true}
                            doc_number: {type: string}
                            item_id: {type: integer, nullable: true}
                            lot_id: {type: integer, nullable: true}
                            qty: {type: string, format: decimal}
                            amount: {type: string, format: decimal}
"""


def plan_json(plan: Plan) -> dict:
    """The preview as JSON: decimals as strings, so no kopek is lost on the way."""
    return {"totals": {k: str(v.quantize(KOPEK)) for k, v in sorted(plan.totals().items())},
            "impacts": [{"target": i.target, "doc_type": i.doc_type, "doc_id": i.doc_id, "doc_number": i.doc_number,
                         "item_id": i.item_id, "lot_id": i.lot_id, "qty": str(i.qty),
                         "amount": str(i.amount.quantize(KOPEK))} for i in plan.impacts]}


def _state(corr: CostCorrection) -> dict:
    return {"id": corr.id, "number": corr.number, "state": corr.state}


def _input(body: dict) -> corrections.CorrectionInput:
    """The draft as the service takes it; ids, dates and words checked first, every problem at once."""
    raw_ids = body.get("receipt_ids") or []
    if not isinstance(raw_ids, list):
        raise p.refuse("Choose at least one posted receipt", field="receipt_ids")
    ids, doc_date, partner_id, basis, kind, description = p.collect(
        lambda: [p.ident(r, "receipt_ids", StockDocument, required=True) for r in raw_ids],
        lambda: p.day(body.get("doc_date"), "doc_date"),
        lambda: p.ident(body.get("partner_id"), "partner_id", Partner),
        lambda: p.choice(body.get("basis"), "basis", ALLOCATION_BASES, default="value"),
        lambda: p.choice(body.get("kind"), "kind", CORRECTION_KINDS, default="landed"),
        lambda: p.text(body.get("description"), "description", max_len=300),
    )
    return corrections.CorrectionInput(ids or [], body.get("amount"), basis, kind, doc_date, partner_id,
                                       description or "", p.text(body.get("note"), "note") or "")


class CostCorrectionApi(FabrikaApi):
    """Read corrections; create drafts, preview, post and cancel them through the service."""

    resource_name = "cost_correction"
    class_permission_name = RESOURCE_COSTING
    method_permission_name = READ_ONLY | {"create_draft": ACTION_WRITE, "preview": ACTION_READ,
                                          "post_doc": ACTION_POST, "cancel_doc": ACTION_POST}
    include_route_methods = {"get", "get_list", "info", "create_draft", "preview", "post_doc", "cancel_doc"}
    datamodel = FabrikaInterface(CostCorrection)
    list_columns = ["id", "number", "doc_date", "corrects_date", "state", "kind", "basis", "amount", "description",
                    "partner.id"]
    show_columns = list_columns + ["note", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def create_draft(self):
        """Create a draft correction on posted receipts, allocated by value, quantity or weight.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [receipt_ids, amount]
                  properties:
                    receipt_ids: {type: array, items: {type: integer, minimum: 1}}
                    amount: {anyOf: [{type: number}, {type: string, format: decimal}]}
                    basis: {type: string, enum: [value, qty, weight]}
                    kind: {type: string, enum: [landed, price]}
                    doc_date: {type: string, format: date, nullable: true}
                    partner_id: {type: integer, nullable: true}
                    description: {type: string}
                    note: {type: string}
          responses:
            201:
              description: the draft
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DocumentState'}
        """
        return self.command(lambda: corrections.create_correction(db.session, _input(p.json_body(required=True))),
                            _state, status=201)

    @expose("/<int:pk>/preview", methods=["GET"])
    @protect()
    @safe
    def preview(self, pk: int):
        """What posting the draft would change (a posted one: what cancelling it would change)."""
        return self.command(lambda: corrections.preview_correction(db.session, pk), plan_json)

    @expose("/<int:pk>/post", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "posted")
    def post_doc(self, pk: int):
        """Post the correction: re-values the lots and everything downstream that consumed them."""
        return self.command(lambda: corrections.post_correction(db.session, pk), _state)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled", body="DateBody", required=False)
    def cancel_doc(self, pk: int):
        """Cancel a posted correction: the opposite change on the given date (today by default)."""
        return self.command(lambda: corrections.cancel_correction(
            db.session, pk, p.day(p.json_body().get("date"), "date")), _state)


class BackdatedReceiptApi(CommandApi):
    """A receipt or issue dated in the past: preview the re-costing of later issues, post it with the re-costing."""

    resource_name = "backdated_receipt"
    class_permission_name = RESOURCE_STOCK_DOCUMENT
    method_permission_name = {"preview": ACTION_READ, "post_doc": ACTION_POST}

    @expose("/<int:pk>/preview", methods=["GET"])
    @protect()
    @safe
    def preview(self, pk: int):
        """What posting the draft receipt or issue with re-costing would change (nothing is written)."""
        return self.command(lambda: backdated.preview_backdated(db.session, pk), plan_json)

    @expose("/<int:pk>/post", methods=["POST"])
    @protect()
    @safe
    def post_doc(self, pk: int):
        """Post the draft receipt or issue and re-cost the later documents it reaches (exact FIFO in date order)."""
        return self.command(lambda: backdated.post_backdated(db.session, pk)[1], plan_json)


class AccountingPeriodApi(FabrikaApi):
    """The periods register; close a month (post) and reopen it (approve)."""

    resource_name = "accounting_period"
    class_permission_name = RESOURCE_PERIOD
    method_permission_name = READ_ONLY | {"close": ACTION_POST, "reopen": ACTION_APPROVE}
    include_route_methods = {"get", "get_list", "info", "close", "reopen"}
    datamodel = FabrikaInterface(AccountingPeriod)
    list_columns = ["id", "month_start", "month_end", "state", "stock_value", "closed_at", "closed_by",
                    "reopened_at", "reopened_by"]

    @expose("/close", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "closed", body="DateBody")
    def close(self):
        """Close the month of the given date: nothing can be posted or cancelled in it any more."""
        return self.command(lambda: periods.close_period(
            db.session, p.day(p.json_body(required=True).get("date"), "date", required=True)), _period_state)

    @expose("/reopen", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "reopened", body="DateBody")
    def reopen(self):
        """Reopen the closed month of the given date (its own permission; recorded in the audit log)."""
        return self.command(lambda: periods.reopen_period(
            db.session, p.day(p.json_body(required=True).get("date"), "date", required=True)), _period_state)


def _with_plan(method, verb: str) -> None:
    """Append the preview's OpenAPI answer to an endpoint's docstring (three endpoints answer it)."""
    method.__doc__ = f"{method.__doc__}\n        ---\n        {verb}:{_PLAN}"


_with_plan(CostCorrectionApi.preview, "get")
_with_plan(BackdatedReceiptApi.preview, "get")
_with_plan(BackdatedReceiptApi.post_doc, "post")


def _period_state(period: AccountingPeriod) -> dict:
    return {"id": period.id, "number": repr(period), "state": period.state}


APIS = (CostCorrectionApi, BackdatedReceiptApi, AccountingPeriodApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
