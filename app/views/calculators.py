"""Calculator pages: definitions (list, editor with a live test-run panel, versions), lookup tables,
the run page for engineers, economists and sales, and stored runs (picked by orders and proposals).

Views only configure and call app.services.calculators; a CalcError becomes translated messages
(flashed, listed beside the editor, or returned as JSON to the test-run panel). Read permission on
"Calculators" is enough to run one; write is needed to change definitions and tables.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from app.calculators import CalcError, compile_definition
from app.calculators.language import FUNCTIONS
from app.extensions import db
from app.models.calculators import CalculationRun, Calculator, CalculatorVersion, LookupRow, LookupTable
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_CALCULATOR
from app.services import calculators as svc
from app.services.calculators.environment import load_tables
from app.views.access import may_open
from app.views.base import ReadOnlyModelView, fmt_date, fmt_money, fmt_qty, interface, locale_name
from app.views.fields import input_text
from app.views.labels import COMMON_LABELS
from app.views.production.common import ShowWithActions, action
from app.views.titles import titles

CAT = "CalculatorsMenu"
LABELS = COMMON_LABELS | {
    "name_ru": _l("Name (Russian)"), "name_es": _l("Name (Spanish)"), "current_version": _l("Current version"),
    "calculator": _l("Calculator"), "number": _l("Version"), "created_at": _l("Created at"),
    "parameters": _l("Parameters"), "formulas": _l("Formulas"), "outputs": _l("Outputs"), "title": _l("Title"),
    "title_ru": _l("Title (Russian)"), "title_es": _l("Title (Spanish)"), "key": _l("Key"), "label": _l("Label"),
    "values": _l("Values"), "table": _l("Table"), "inputs": _l("Inputs"), "id": _l("No."), "columns": _l("Columns"),
}
TEXT = {
    "editor": _l("Calculator editor"), "run": _l("Run"), "versions": _l("Versions"),
    "save": _l("Save as a new version"), "test_run": _l("Test run"), "parameters_json": _l("Parameters (JSON)"),
    "formulas_help": _l("One 'name = expression' per line, evaluated in order; # starts a comment"),
    "outputs_json": _l('Outputs (JSON): cost, price, weight, description, bom; limits of the results, '
                       'e.g. "limits": {"price": {"min": 0, "required": true}}'),
    "functions": _l("Functions"), "tables": _l("Lookup tables"), "intermediates": _l("Intermediate results"),
    "bom": _l("Bill of materials"), "item": _l("Item"), "qty": _l("Quantity"), "description": _l("Description"),
    "cost": _l("Cost"), "price": _l("Price"), "weight": _l("Weight, kg"), "calculate": _l("Calculate"),
    "add_order": _l("Add to order"), "add_proposal": _l("Add to proposal"), "run_again": _l("Run again"),
    "result": _l("Result"), "problems": _l("Problems"),
    "yes": _l("yes"), "no": _l("no"), "rows": _l("Edit rows"), "rows_help": _l(
        "First line: key;label;column names. Then one row per line, cells separated by ';'"),
    "save_table": _l("Save table"), "inactive": _l("This calculator is inactive"),
    "runs": _l("Calculation results"), "note": _l("Note"),
    "value": _l("Value"), "parameter": _l("Parameter"), "parameters": _l("Parameters"),
    "fill_and_run": _l("Fill in the parameters and calculate"),
    "live": _l("Recalculated on every change"), "formulas": _l("Formulas"), "version": _l("Version"),
}
COLUMN_KINDS = {"number": _l("numeric"), "text": _l("textual")}
ORDER_ENDPOINTS = ("SalesOrderLineView.add", "SalesOrderView.add")
PROPOSAL_ENDPOINTS = ("ProposalLineView.add", "ProposalView.add", "ProposalView.list")


def t(key: str) -> str:
    return str(TEXT[key])


def _first_url(endpoints: tuple[str, ...], **params: Any) -> str | None:
    for endpoint in endpoints:
        if not may_open(endpoint):  # a button into a page the reader may not open is a dead end
            continue
        try:
            return url_for(endpoint, **params)
        except BuildError:
            continue
    return None


def num(value: Any, places: int | None = None) -> str:
    """A Decimal as the reader writes it (1 234,5 in Russian), for text and JSON, not right-aligned cells."""
    from babel.numbers import format_decimal

    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    fmt = None if places is None else "#,##0." + "0" * places
    return format_decimal(value, format=fmt, locale=locale_name())


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    return num(value)


def form_fields(compiled, values: dict[str, Any], tables: dict) -> list[dict]:
    """The run form's fields from a compiled definition, labels in the reader's language."""
    loc = locale_name().split("_")[0]
    fields = []
    for p in compiled.params:
        choices = None
        if p.kind == "choice":
            choices = [(c.value, c.labels.get(loc) or c.labels.get("en") or c.value) for c in p.choices]
        elif p.kind == "table":
            data = tables.get(p.table)
            choices = [(k, row_label(data, k, loc)) for k in data.rows] if data else []
        value = values.get(p.name, p.default)
        if isinstance(value, Decimal):
            value = input_text(value)  # as the reader writes it, which the one parser reads back
        fields.append(dict(name=p.name, label=p.label(loc), kind=p.kind, unit=p.unit_label(loc), value=value,
                           choices=choices, min=p.min, max=p.max))
    return fields


def row_label(data, key: str, loc: str) -> str:
    """A table row's label in the reader's language: a text column label_ru / label_es when the table has one."""
    translated = data.rows.get(key, {}).get(f"label_{loc}") if data else None
    return str(translated) if translated else (data.labels.get(key, key) if data else key)


def choice_labels(compiled, tables: dict) -> dict[str, dict[str, str]]:
    """parameter -> {value: label} for choices and table rows, to show stored inputs by name."""
    loc = locale_name().split("_")[0]
    out: dict[str, dict[str, str]] = {}
    for p in compiled.params:
        if p.kind == "choice":
            out[p.name] = {c.value: c.labels.get(loc) or c.labels.get("en") or c.value for c in p.choices}
        elif p.kind == "table" and p.table in tables:
            out[p.name] = {k: row_label(tables[p.table], k, loc) for k in tables[p.table].rows}
    return out


def result_json(result: svc.CalcResult, compiled) -> dict:
    """The test-run panel's answer: numbers formatted for the reader, and raw for scripts."""
    names = {}
    from app.models.catalog import Item

    if result.bom:
        names = {i.id: i.label(locale_name().split("_")[0])
                 for i in db.session.query(Item).filter(Item.id.in_([b[0] for b in result.bom]))}
    return {
        "ok": True,
        "raw": result.as_json(),
        "outputs": [[t("cost"), num(result.cost, 2)], [t("price"), num(result.price, 2)],
                    [t("weight"), num(result.weight)], [t("description"), result.description]],
        "intermediates": [[k, shown(v)] for k, v in result.intermediates.items()],
        "bom": [[code, names.get(item_id, code), num(qty)] for item_id, code, qty in result.bom],
    }


@titles(_l("Calculator versions"), _l("Calculator version"))
class CalculatorVersionView(ReadOnlyModelView):
    datamodel = interface(CalculatorVersion)
    class_permission_name = RESOURCE_CALCULATOR
    list_columns = ["calculator", "number", "note", "created_by", "created_at"]
    show_columns = ["calculator", "number", "note", "created_by", "created_at", "parameters", "formulas",
                    "outputs"]
    search_columns = ["calculator", "number", "created_by", "created_at"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {c: (lambda v: Markup("<pre class='calc-src'>%s</pre>") % v)
                          for c in ("parameters", "formulas", "outputs")}


class LookupRowView(ReadOnlyModelView):
    datamodel = interface(LookupRow)
    class_permission_name = RESOURCE_CALCULATOR
    list_title = _l("Rows")
    list_columns = ["key", "label", "values"]
    show_columns = ["table", "key", "label", "values"]
    search_columns = ["key", "label"]
    base_order = ("position", "asc")
    label_columns = LABELS
    page_size = 100
    formatters_columns = {"values": lambda v: "; ".join(f"{k} = {x}" for k, x in (v or {}).items())}


@titles(_l("Lookup tables"), _l("Lookup table"), _l("Add lookup table"), _l("Edit lookup table"))
class LookupTableView(ShowWithActions):
    datamodel = interface(LookupTable)
    class_permission_name = RESOURCE_CALCULATOR
    method_permission_name = CRUD | {"rows": ACTION_WRITE}
    related_views = [LookupRowView]
    list_columns = ["name", "title", "title_ru", "title_es"]
    add_columns = edit_columns = ["name", "title", "title_ru", "title_es"]
    show_columns = ["name", "title", "title_ru", "title_es", "columns"]
    search_columns = ["name", "title"]
    label_columns = LABELS
    formatters_columns = {"columns": lambda v: ", ".join(
        f"{c['name']} ({COLUMN_KINDS.get(c.get('kind'), c.get('kind'))})" for c in v or [])}
    description_columns = {"name": _l("Formulas read it by this name: lookup(name, key, 'column')")}

    def _doc_actions(self, item: LookupTable) -> list[dict]:
        return [action("rows", t("rows"), "fa-table", "btn-primary")] if self._can(ACTION_WRITE) else []

    def pre_add(self, item: LookupTable) -> None:
        from app.services.calculators.definitions import TABLE_RE

        if not TABLE_RE.match(item.name or ""):
            db.session.rollback()
            raise ValueError(gettext("A table name starts with a letter and has letters, digits and _"))
        item.columns = item.columns or []

    pre_update = pre_add

    @expose("/rows/<int:pk>", methods=["GET", "POST"])
    @has_access
    def rows(self, pk: int):
        """Edit a table's rows as text (key;label;columns); saved whole through the service."""
        table = db.session.get(LookupTable, pk) or abort(404)
        text, problems = svc.table_text(table, lambda v: input_text(v, grouped=False)), []
        if request.method == "POST":
            text = request.form.get("text", "")
            try:
                saved = svc.save_table(db.session, svc.TableInput(table.name, table.title, table.title_ru,
                                                                   table.title_es, text))
                flash(gettext("Table %(name)s saved: %(n)s rows", name=saved.name, n=len(saved.rows)), "success")
                return redirect(url_for("LookupTableView.show", pk=pk))
            except CalcError as exc:
                problems = exc.messages(gettext)
        return self.render_template("fabrika/calculator_table_rows.html", table=table, text=text,
                                    problems=problems, t=TEXT)


@titles(_l("Calculators"), _l("Calculator"), _l("Add calculator"), _l("Edit calculator"))
class CalculatorView(ShowWithActions):
    datamodel = interface(Calculator)
    class_permission_name = RESOURCE_CALCULATOR
    method_permission_name = CRUD | {"editor": ACTION_WRITE, "testrun": ACTION_WRITE, "run": ACTION_READ}
    related_views = [CalculatorVersionView]
    list_columns = ["code", "name", "name_ru", "name_es", "active", "current_version"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "description", "description_ru",
                                  "description_es", "active"]
    show_columns = ["code", "name", "name_ru", "name_es", "description", "description_ru", "description_es",
                    "active", "current_version"]
    search_columns = ["code", "name", "name_ru", "name_es", "active"]
    label_columns = LABELS
    formatters_columns = {"active": lambda v: str(_l("Yes") if v else _l("No"))}
    export_columns = ["code", "name", "name_ru", "name_es", "description", "description_ru", "description_es",
                      "active", "current_version"]

    def _doc_actions(self, item: Calculator) -> list[dict]:
        out = [action("run", t("run"), "fa-calculator", "btn-primary")]
        if self._can(ACTION_WRITE):
            out.append(action("editor", t("editor"), "fa-code", "btn-default"))
        return out

    def pre_add(self, item: Calculator) -> None:
        self._check(item)

    def pre_update(self, item: Calculator) -> None:
        self._check(item)

    def _check(self, item: Calculator) -> None:
        from app.services.calculators.definitions import CODE_RE

        if not CODE_RE.match(item.code or ""):
            db.session.rollback()
            raise ValueError(gettext("The code has letters, digits, '-', '_' or '.' (at most 40)"))

    def post_add(self, item: Calculator) -> None:
        svc.save_version(db.session, item.id, svc.VersionInput(note=gettext("Created")))

    def pre_delete(self, item: Calculator) -> None:
        raise ValueError(gettext("A calculator keeps its versions and results: make it inactive instead"))

    @expose("/editor/<int:pk>", methods=["GET", "POST"])
    @has_access
    def editor(self, pk: int):
        """Edit the definition; saving checks everything and writes a new version."""
        calc = db.session.get(Calculator, pk) or abort(404)
        version = db.session.get(CalculatorVersion, calc.current_version_id)
        data = svc.VersionInput(version.parameters, version.formulas, version.outputs, "")
        problems: list[str] = []
        if request.method == "POST":
            data = svc.VersionInput(request.form.get("parameters", ""), request.form.get("formulas", ""),
                                    request.form.get("outputs", ""), request.form.get("note", ""))
            try:
                saved = svc.save_version(db.session, pk, data)
                if saved.id != version.id:
                    flash(gettext("Saved as version %(number)s", number=saved.number), "success")
                else:
                    flash(gettext("Nothing changed: version %(number)s stays current", number=saved.number), "info")
                return redirect(url_for("CalculatorView.editor", pk=pk))
            except CalcError as exc:
                problems = exc.messages(gettext)
        try:
            compiled = compile_definition(data.parameters, data.formulas, data.outputs)
        except CalcError:
            compiled = svc.compiled_version(version)
        tables = load_tables(db.session, compiled.tables)
        all_tables = db.session.query(LookupTable).order_by(LookupTable.name).all()
        return self.render_template(
            "fabrika/calculator_editor.html", calc=calc, version=version, data=data, problems=problems,
            fields=form_fields(compiled, {}, tables), t=TEXT, functions=sorted(FUNCTIONS), tables=all_tables,
            testrun_url=url_for("CalculatorView.testrun", pk=pk))

    @expose("/testrun/<int:pk>", methods=["POST"])
    @has_access
    def testrun(self, pk: int):
        """The editor's live panel: run the draft definition on the given inputs; JSON, nothing written."""
        calc = db.session.get(Calculator, pk) or abort(404)
        body = request.get_json(silent=True) or {}
        try:
            compiled = compile_definition(str(body.get("parameters", "")), str(body.get("formulas", "")),
                                          str(body.get("outputs", "")))
            result = svc.run_compiled(db.session, compiled, body.get("inputs") or {}, calc.current_version_id or 0,
                                      calc.id, yes=gettext("yes"), no=gettext("no"))
        except CalcError as exc:
            return jsonify(ok=False, problems=exc.messages(gettext))
        return jsonify(result_json(result, compiled))

    @expose("/run/<int:pk>", methods=["GET", "POST"])
    @has_access
    def run(self, pk: int):
        """The user's page: fill in the parameters, get the result stored as a calculation result."""
        calc = db.session.get(Calculator, pk) or abort(404)
        version = db.session.get(CalculatorVersion, calc.current_version_id)
        compiled = svc.compiled_version(version)
        tables = load_tables(db.session, compiled.tables)
        values: dict[str, Any] = {p.name: request.args.get(p.name) for p in compiled.params
                                  if request.args.get(p.name) is not None}
        problems: list[str] = []
        if request.method == "POST":
            values = {p.name: (request.form.get(p.name) if p.kind != "bool" else request.form.get(p.name, "0"))
                      for p in compiled.params}
            try:
                result = svc.run_and_record(db.session, pk, values)
                return redirect(url_for("CalculationRunView.show", pk=result.run_id))
            except CalcError as exc:
                problems = exc.messages(gettext)
        return self.render_template("fabrika/calculator_run.html", calc=calc, version=version, t=TEXT,
                                    fields=form_fields(compiled, values, tables), problems=problems)


@titles(_l("Calculation results"), _l("Calculation result"))
class CalculationRunView(ReadOnlyModelView):
    datamodel = interface(CalculationRun)
    class_permission_name = RESOURCE_CALCULATOR
    method_permission_name = READ_ONLY
    list_columns = ["id", "calculator", "version", "description", "cost", "price", "weight", "created_by",
                    "created_at"]
    search_columns = ["calculator", "description", "created_by", "created_at", "cost", "price"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"cost": fmt_money, "price": fmt_money, "weight": fmt_qty}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        run = db.session.get(CalculationRun, pk) or abort(404)
        version = run.version
        labels, names = {}, {}
        try:
            compiled = svc.compiled_version(version)
            loc = locale_name().split("_")[0]
            labels = {p.name: (p.label(loc), p.unit_label(loc)) for p in compiled.params}
            names = choice_labels(compiled, load_tables(db.session, compiled.tables))
        except CalcError:
            pass
        inputs = [(labels.get(k, (k, ""))[0], names.get(k, {}).get(v) if isinstance(v, str) and k in names
                   else _input_text(v), labels.get(k, ("", ""))[1]) for k, v in (run.inputs or {}).items()]
        outputs = run.outputs or {}
        from app.models.catalog import Item

        bom = outputs.get("bom", [])
        items = {i.id: i.label(locale_name().split("_")[0])
                 for i in db.session.query(Item).filter(Item.id.in_([b["item_id"] for b in bom]))} if bom else {}
        bom = [(b["code"], items.get(b["item_id"], ""), _input_text(b["qty"])) for b in bom]
        intermediates = [(k, _input_text(v)) for k, v in outputs.get("intermediates", {}).items()]
        links = {"order": _first_url(ORDER_ENDPOINTS, calc_run=run.id),
                 "proposal": _first_url(PROPOSAL_ENDPOINTS, calc_run=run.id),
                 "again": url_for("CalculatorView.run", pk=run.calculator_id, **{
                     k: _again(v) for k, v in (run.inputs or {}).items()})}
        return self.render_template("fabrika/calculator_result.html", run=run, version=version, inputs=inputs,
                                    intermediates=intermediates, bom=bom,
                                    links=links, t=TEXT, fmt_money=fmt_money, fmt_qty=fmt_qty, fmt_date=fmt_date,
                                    pick=gettext("An order or proposal line picks this result by its number: %(id)s",
                                                 id=run.id))


def _again(value: Any) -> str:
    """A stored input (machine text: "2.125") as the run form shows it to the reader ("2,125"), so that
    "Run again" submits what was run: the stored text retyped on a Spanish page would be 2125."""
    if isinstance(value, bool):
        return "1" if value else "0"
    try:
        return input_text(Decimal(str(value)), grouped=False)
    except ArithmeticError:  # a choice or a table key
        return str(value)


def _input_text(value: Any) -> str:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    try:
        return num(Decimal(str(value)))
    except Exception:  # noqa: BLE001 - a choice or table key is shown as it is
        return str(escape(value))


def register(appbuilder) -> None:
    """Add this context's views under the "Calculators" menu."""
    cat = dict(category=CAT)
    appbuilder.add_view(CalculatorView, "Calculators", label=_l("Calculators"), icon="fa-calculator",
                        category=CAT, category_label=_l("Calculators"), category_icon="fa-calculator")
    appbuilder.add_view(CalculationRunView, "Calculation results", label=_l("Calculation results"),
                        icon="fa-list", **cat)
    appbuilder.add_view(LookupTableView, "Lookup tables", label=_l("Lookup tables"), icon="fa-table", **cat)
    appbuilder.add_view(CalculatorVersionView, "Calculator versions", label=_l("Calculator versions"),
                        icon="fa-history", **cat)
    appbuilder.add_view_no_menu(LookupRowView)
