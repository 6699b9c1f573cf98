"""REST API of the calculators: definitions, versions (read-only; POST a new one), lookup tables, runs.

POST /api/v1/calculator/<id>/run prices inputs (and stores the result when "record" is true);
POST /api/v1/calculator/<id>/version saves an edited definition as a new version. Problems come
back as 422 with every translated message.
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import FabrikaApi, possible_pk
from app.extensions import db
from app.models.calculators import CalculationRun, Calculator, CalculatorVersion, LookupTable
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_CALCULATOR
from app.services import calculators as svc
from app.views.base import FabrikaInterface

MSG_CODE = "The code has letters, digits, '-', '_' or '.' (at most 40)"
MSG_NOT_ITS_VERSION = "%(field)s: version %(value)s is not a version of this calculator"


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_CALCULATOR


class CalculatorApi(_Api):
    resource_name = "calculator"
    method_permission_name = CRUD | {"run_calc": ACTION_READ, "new_version": ACTION_WRITE}
    include_route_methods = {"get", "get_list", "info", "post", "put", "run_calc", "new_version"}
    datamodel = FabrikaInterface(Calculator)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "description", "description_ru", "description_es",
                    "active", "current_version.id", "current_version.number"]
    show_columns = list_columns
    add_columns = ["code", "name", "name_ru", "name_es", "description", "description_ru", "description_es", "active"]
    edit_columns = ["name", "name_ru", "name_es", "description", "description_ru", "description_es", "active"]

    def pre_add(self, item: Calculator) -> None:
        """The page's code rule (CODE_RE), then the row's column checks."""
        from app.services.calculators.definitions import CODE_RE

        if not CODE_RE.match(item.code or ""):
            raise p.refuse(MSG_CODE, "code")
        super().pre_add(item)

    @expose("/<int:pk>/run", methods=["POST"])
    @protect()
    @safe
    def run_calc(self, pk: int):
        """Run a calculator on inputs (its current version, or version_id of it); "record" stores the result.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CalculatorRunBody'}
          responses:
            200:
              description: the result (numbers as strings)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CalculatorResult'}
        """
        if not possible_pk(pk) or db.session.get(Calculator, pk) is None:
            return self.response_404()

        def use_case():
            body = p.json_body()
            inputs, version_id, source, record = p.collect(
                lambda: p.mapping(body.get("inputs"), "inputs"),
                lambda: p.ident(body.get("version_id"), "version_id"),
                lambda: p.choice(body.get("cost_source"), "cost_source", svc.COST_SOURCES, default="standard"),
                lambda: p.flag(body.get("record"), "record"))
            if version_id is not None:
                version = db.session.get(CalculatorVersion, version_id)
                if version is None or version.calculator_id != pk:
                    raise p.refuse(MSG_NOT_ITS_VERSION, "version_id", value=version_id)
            result = svc.run_calculator(db.session, pk if version_id is None else None, inputs,
                                        version_id=version_id, cost_source=source)
            if record:
                svc.record_run(db.session, result)
            return result

        return self.command(use_case, lambda result: result.as_json())

    @expose("/<int:pk>/version", methods=["POST"])
    @protect()
    @safe
    def new_version(self, pk: int):
        """Save a definition as the calculator's new version.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CalculatorVersionBody'}
          responses:
            201:
              description: saved
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, number: {type: integer}}}
        """
        def use_case():
            body = p.json_body(required=True)
            data = svc.VersionInput(*p.collect(
                lambda: p.text(body.get("parameters"), "parameters", default="[]"),
                lambda: p.text(body.get("formulas"), "formulas"),
                lambda: p.text(body.get("outputs"), "outputs", default="{}"),
                lambda: p.text(body.get("note"), "note", max_len=p.size(CalculatorVersion.note))))
            return svc.save_version(db.session, pk, data)

        return self.command(use_case, lambda version: {"id": version.id, "number": version.number}, status=201)


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
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/LookupTableBody'}
          responses:
            200:
              description: saved
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, rows: {type: integer}}}
        """
        def use_case():
            body = p.json_body(required=True)
            table, title, title_ru, title_es, text = p.collect(
                lambda: p.text(name, "name", max_len=p.size(LookupTable.name)),
                *[lambda k=k: p.text(body.get(k), k, max_len=p.size(getattr(LookupTable, k)))
                  for k in ("title", "title_ru", "title_es")],
                lambda: p.text(body.get("text"), "text"))
            return svc.save_table(db.session, svc.TableInput(table, title, title_ru, title_es, text))

        return self.command(use_case, lambda table: {"id": table.id, "rows": len(table.rows)})


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
