"""REST API of the ABC analysis: read it with the purchasing settings, or run it with other parameters.

The same service and parameter checks as the ABC page (app.services.purchasing: parse_params("abc"),
abc_report): the classes by the chosen criterion over a period, each item's rank, value and shares.
Reads only; generating purchase requests per class is `POST /api/v1/purchase_request/generate`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import CommandApi
from app.extensions import db
from app.permissions import ACTION_READ, RESOURCE_PURCHASING
from app.services.purchasing import settings as settings_svc
from app.services.purchasing.abc_report import AbcReport, abc_report
from app.services.purchasing.params import parse_params


class AbcAnalysisApi(CommandApi):
    resource_name = "abc_analysis"
    class_permission_name = RESOURCE_PURCHASING
    method_permission_name = {"read": ACTION_READ, "run": ACTION_READ}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def read(self):
        """The ABC analysis with the saved purchasing settings, from the start of the year to today.
        ---
        get:
          parameters:
          - {in: query, name: date_from, required: false, schema: {type: string, format: date}}
          - {in: query, name: date_to, required: false, schema: {type: string, format: date}}
          responses:
            200:
              description: the classes and the ranked items
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AbcAnalysis'}
        """
        return self.command(lambda: _analyse({k: request.args.get(k) for k in ("date_from", "date_to")}), _json)

    @expose("/run", methods=["POST"])
    @protect()
    @safe
    def run(self):
        """Run the ABC analysis with parameters (the saved settings fill what is not given).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AbcParameters'}
          responses:
            200:
              description: the classes and the ranked items
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AbcAnalysis'}
        """
        return self.command(lambda: _analyse(p.json_body()), _json)


def _analyse(raw: dict[str, Any]) -> AbcReport:
    defaults = settings_svc.method_raw(settings_svc.get_settings(db.session), "abc")
    defaults.pop("period_days", None)
    today = date.today()
    given = {k: v for k, v in raw.items() if v is not None}
    p.collect(*[lambda k=k: p.day(given.get(k), k) for k in ("date_from", "date_to")],
              *[lambda k=k: p.text(given.get(k), k) for k in ("criterion", "source")],
              *[lambda k=k: p.number(given.get(k), k) for k in ("threshold_a", "threshold_b")])
    values = {**defaults, "date_from": today.replace(month=1, day=1).isoformat(), "date_to": today.isoformat(),
              **given}
    return abc_report(db.session, parse_params("abc", values))


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _json(report: AbcReport) -> dict:
    params = report.params
    return {
        "criterion": params.criterion, "date_from": _iso(getattr(params, "date_from", None)),
        "date_to": _iso(getattr(params, "date_to", None)),
        "threshold_a": str(params.threshold_a), "threshold_b": str(params.threshold_b),
        "summary": {k: {n: _plain(v) for n, v in row.items()} for k, row in report.summary.items()},
        "rows": [{"rank": r.rank, "item_id": r.item_id, "code": r.code, "name": r.name, "qty": str(r.qty),
                  "value": str(r.value), "share": str(r.share), "cumulative": str(r.cumulative), "class": r.klass}
                 for r in report.rows]}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def register(appbuilder) -> None:
    appbuilder.add_api(AbcAnalysisApi)
