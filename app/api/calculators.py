"""REST API of the calculators: definitions, versions (read-only; POST a new one), lookup tables, runs.

POST /api/v1/calculator/<id>/run prices inputs (and stores the result when "record" is true);
POST /api/v1/calculator/<id>/version saves an edited definition as a new version. Problems come
back as 422 with every translated message.
"""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api.base import FabrikaApi
from app.calculators import CalcError
from app.extensions import db
from app.models.calculators import CalculationRun, Calculator, CalculatorVersion, LookupTable
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_CALCULATOR
from app.services import calculators as svc
from app.views.base import FabrikaInterface


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_CALCULATOR


class CalculatorApi(_Api):
    resource_name = "calculator"
    method_permission_name = CRUD | {"run_calc": ACTION_READ, "new_version": ACTION_WRITE}
    include_route_methods = {"get", "get_list", "info", "put", "run_calc", "new_version"}
    datamodel = FabrikaInterface(Calculator)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "description", "active", "current_version.id",
                    "current_version.number"]
    show_columns = list_columns
    edit_columns = ["name", "name_ru", "name_es", "description", "active"]

    @expose("/<int:pk>/run", methods=["POST"])
    @protect()
    @safe
    def run_calc(self, pk: int):
        """Run a calculator on inputs.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    inputs: {type: object}
                    version_id: {type: integer}
                    cost_source: {type: string, enum: [standard, last_purchase, fifo, average]}
                    record: {type: boolean}
          responses:
            200: {description: the result (numbers as strings)}
            422: {description: invalid inputs or a failing formula}
        """
        body = request.get_json(silent=True) or {}
        inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
        try:
            if db.session.get(Calculator, pk) is None:
                return self.response_404()
            result = svc.run_calculator(db.session, pk if not body.get("version_id") else None, inputs,
                                        version_id=body.get("version_id"),
                                        cost_source=str(body.get("cost_source") or "standard"))
            if result.calculator_id != pk:
                return self.response_404()
            if body.get("record"):
                svc.record_run(db.session, result)
        except CalcError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, **result.as_json())

    @expose("/<int:pk>/version", methods=["POST"])
    @protect()
    @safe
    def new_version(self, pk: int):
        """Save a definition as the calculator's new version.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    parameters: {type: string}
                    formulas: {type: string}
                    outputs: {type: string}
                    note: {type: string}
          responses:
            201: {description: saved}
            422: {description: every problem, with its line}
        """
        body = request.get_json(silent=True) or {}
        data = svc.VersionInput(str(body.get("parameters", "[]")), str(body.get("formulas", "")),
                                str(body.get("outputs", "{}")), str(body.get("note", "")))
        try:
            version = svc.save_version(db.session, pk, data)
        except CalcError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(201, id=version.id, number=version.number)


class CalculatorVersionApi(_Api):
    resource_name = "calculator_version"
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(CalculatorVersion)
    list_columns = ["id", "calculator.id", "calculator.code", "number", "note", "created_by", "created_at"]
    show_columns = list_columns + ["parameters", "formulas", "outputs"]


class LookupTableApi(_Api):
    resource_name = "calculator_table"
    method_permission_name = CRUD | {"put_rows": ACTION_WRITE}
    include_route_methods = {"get", "get_list", "info", "put_rows"}
    datamodel = FabrikaInterface(LookupTable)
    list_columns = ["id", "name", "title", "title_ru", "title_es", "columns"]
    show_columns = list_columns

    @expose("/<name>/rows", methods=["PUT"])
    @protect()
    @safe
    def put_rows(self, name: str):
        """Create or replace a lookup table from text (key;label;columns header, one row per line).
        ---
        put:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    text: {type: string}
                    title: {type: string}
          responses:
            200: {description: saved}
            422: {description: problems with their lines}
        """
        body = request.get_json(silent=True) or {}
        try:
            table = svc.save_table(db.session, svc.TableInput(name, str(body.get("title", "")),
                                                              str(body.get("title_ru", "")),
                                                              str(body.get("title_es", "")), str(body.get("text", ""))))
        except CalcError as exc:
            return self.response(422, message=exc.messages(gettext))
        return self.response(200, id=table.id, rows=len(table.rows))


class CalculationRunApi(_Api):
    resource_name = "calculation_run"
    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
    datamodel = FabrikaInterface(CalculationRun)
    list_columns = ["id", "calculator.id", "calculator.code", "version.id", "cost", "price", "weight", "description",
                    "created_by", "created_at"]
    show_columns = list_columns + ["inputs", "outputs"]


APIS = (CalculatorApi, CalculatorVersionApi, LookupTableApi, CalculationRunApi)


def register(appbuilder) -> None:
    """Add this context's APIs."""
    for api in APIS:
        appbuilder.add_api(api)
