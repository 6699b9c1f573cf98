"""REST API of planning: run the plan, firm planned orders, ask for a promise date, read the plan.

The same services as the planning pages (app.services.planning): `run_plan` stores only what changed,
`firm` makes draft production orders and purchase request lines through the production and
purchasing services, `promise` answers the capable-to-promise date with its reasons in the reader's
language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext
from sqlalchemy import select

from app.api import params as p
from app.api.base import CommandApi
from app.extensions import db
from app.models.planning import PlannedOrder
from app.permissions import ACTION_READ, ACTION_WRITE, RESOURCE_PRODUCTION
from app.services.base import current_actor
from app.services.planning.promise import PromiseResult, promise
from app.services.planning.run import FirmResult, RunSummary, firm, run_plan


class PlanningApi(CommandApi):
    resource_name = "planning"
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = {"read": ACTION_READ, "run": ACTION_WRITE, "firm": ACTION_WRITE, "promise": ACTION_READ}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def read(self):
        """The current plan: every planned order with its pegging.
        ---
        get:
          responses:
            200:
              description: the planned orders
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/PlannedOrders'}
        """
        rows = db.session.scalars(select(PlannedOrder).order_by(PlannedOrder.due_date, PlannedOrder.id)).all()
        return self.response(200, result=[planned_json(r) for r in rows])

    @expose("/run", methods=["POST"])
    @protect()
    @safe
    def run(self):
        """Run the plan now (stores only what changed).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/PlanRunBody'}
          responses:
            200:
              description: what the run changed
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/PlanRunSummary'}
        """
        def use_case() -> RunSummary:
            body = p.json_body()
            weeks, level = p.collect(lambda: p.integer(body.get("weeks"), "weeks", low=1, high=104, default=26),
                                     lambda: p.flag(body.get("level"), "level", default=True))
            return run_plan(db.session, weeks=weeks, level=level, trigger="api", username=current_actor().username)

        return self.command(use_case, summary_json)

    @expose("/firm", methods=["POST"])
    @protect()
    @safe
    def firm(self):
        """Firm planned orders: draft production orders and purchase request lines.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/PlanFirmBody'}
          responses:
            200:
              description: the documents made
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/PlanFirmed'}
        """
        def use_case() -> FirmResult:
            body = p.json_body(required=True)
            raw = body.get("ids")
            if not isinstance(raw, list) or not raw:
                raise p.refuse("Choose the planned orders to firm", "ids")
            ids = p.collect(*[lambda v=v, n=n: p.ident(v, "ids", PlannedOrder, required=True, line=n)
                              for n, v in enumerate(raw, 1)])
            return firm(db.session, ids)

        return self.command(use_case, lambda r: {"production_orders": r.production, "purchase_needs": r.requests})

    @expose("/promise", methods=["POST"])
    @protect()
    @safe
    def promise(self):
        """The earliest delivery date of items (a configuration), with the reasons in words.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/PromiseBody'}
          responses:
            200:
              description: the date and why
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/PromiseAnswer'}
        """
        def use_case() -> PromiseResult:
            from app.models.catalog import Item

            body = p.json_body(required=True)
            lines = p.lines(body, required=True) or []
            needs: dict[int, Any] = {}
            for n, ln in lines:
                item_id, qty = p.collect(lambda ln=ln, n=n: p.ident(ln.get("item_id"), "item_id", Item, required=True,
                                                                    line=n),
                                         lambda ln=ln, n=n: p.number(ln.get("qty"), "qty", required=True, line=n))
                needs[item_id] = needs.get(item_id, 0) + qty
            return promise(db.session, needs, date.today(), _locale())

        return self.command(use_case, lambda r: {"date": r.date.isoformat(), "reasons": r.text(gettext)})


def _locale() -> str:
    from app.models.base import current_locale

    return current_locale()


def planned_json(r: PlannedOrder) -> dict:
    return {"id": r.id, "item_id": r.item_id, "kind": r.kind, "due_date": r.due_date.isoformat(),
            "start_date": r.start_date.isoformat(), "qty": str(r.qty), "pegs": r.pegs, "late": r.late,
            "moved_weeks": r.moved_weeks, "supplier_id": r.supplier_id}


def summary_json(s: RunSummary) -> dict:
    return {"run_id": s.run_id, "planned": s.planned, "created": s.created, "updated": s.updated,
            "removed": s.removed, "overloaded": {str(k): v for k, v in s.overloaded.items()}}


def register(appbuilder) -> None:
    appbuilder.add_api(PlanningApi)
