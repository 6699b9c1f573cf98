"""REST API of the proposals context: proposals (read), product models and pricing rules (CRUD), and the
configurator's calculation as a command (the same service the page calls).

Proposals are written only through the workflow service (the configurator's save, the show page's
buttons): the API reads them, so no client can bypass the floor margin or the rules.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import FabrikaApi
from app.extensions import db
from app.models.proposals import PricingRule, ProductModel, Proposal
from app.permissions import ACTION_READ, READ_ONLY, RESOURCE_PROPOSAL
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_PROPOSAL


class ProposalApi(_Api):
    resource_name = "proposal"
    datamodel = FabrikaInterface(Proposal)
    method_permission_name = READ_ONLY | {"calc": ACTION_READ}
    include_route_methods = {"get", "get_list", "info", "calc"}
    list_columns = ["id", "number", "version", "is_current", "proposal_date", "state", "partner.name", "model.code",
                    "currency.code", "qty", "cost_total", "price_total", "tax_total", "grand_total",
                    "margin_actual_pct", "cost_source"]
    show_columns = list_columns + ["valid_until", "note", "sent_at", "decided_at", "converted_at", "sales_order_id",
                                   "invoice_id", "production_order_id"]

    @expose("/calc", methods=["POST"])
    @protect()
    @safe
    def calc(self):
        """Check, cost and price a configuration (the configurator's JSON body); writes nothing.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ConfigurationBody'}
          responses:
            200:
              description: lines, totals, violations and option states
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Evaluation'}
        """
        from app.services.proposals import configure
        from app.views.proposals.configurator import evaluation_json, input_from_json

        def use_case():
            body = p.json_body(required=True)
            p.collect(*[lambda k=k: p.ident(body.get(k), k) for k in ID_FIELDS],
                      lambda: p.mapping(body.get("selection"), "selection"),
                      lambda: _objects(body, "extra_lines"), lambda: _objects(body, "instalments"),
                      lambda: p.mapping(body.get("line_terms"), "line_terms"))
            return configure.evaluate(db.session, input_from_json(db.session, body))

        return self.command(use_case, evaluation_json)


ID_FIELDS = ("partner_id", "model_id", "currency_id", "contact_id", "deal_id")


def _objects(body: dict, key: str) -> None:
    """A list of objects (the configurator skips anything else, but a wrong type is the caller's mistake)."""
    p.lines(body, key)


class ProductModelApi(_Api):
    resource_name = "product_model"
    datamodel = FabrikaInterface(ProductModel)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "base_item.code", "active"]


class PricingRuleApi(_Api):
    resource_name = "pricing_rule"
    datamodel = FabrikaInterface(PricingRule)
    list_columns = ["id", "name", "name_ru", "name_es", "scope", "item_group.code", "partner.name", "margin_pct",
                    "discount_pct", "floor_margin_pct", "active"]


def register(appbuilder) -> None:
    for api in (ProposalApi, ProductModelApi, PricingRuleApi):
        appbuilder.add_api(api)
