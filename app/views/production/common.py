"""Shared pieces of the production views: labels, the table page, form guards, command buttons.

Pages beyond CRUD (order tree, availability, explosion, cost roll-up, where-used, the forms for
completing and reporting) share one table page (PAGE); their words come from PAGE_TEXT so that
babel extracts them from Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import render_template_string, request
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.documents import PRODUCTION_ORDER, TRANSFORMATION
from app.domain.errors import DomainError
from app.extensions import db
from app.services.workflow import lazy_state_labels
from app.views.base import BaseModelView
from app.views.labels import COMMON_LABELS
from app.views.show import show_page

CAT_PRODUCTION = "ProductionMenu"

# orders' states and, for output receipts and transformations, the posting states (one declaration each)
ORDER_STATE_LABELS = lazy_state_labels(TRANSFORMATION) | lazy_state_labels(PRODUCTION_ORDER)
SHARE_CHOICES = [("standard", _l("By standard cost")), ("weight", _l("By weight")), ("manual", _l("By hand"))]
COST_METHOD_LABELS = {
    "standard": _l("Standard cost"), "last_purchase": _l("Last purchase price"),
    "fifo": _l("FIFO layers on hand"), "average": _l("Average cost"),
}
LABELS = COMMON_LABELS | {
    "labour_rate": _l("Labour rate per hour"), "overhead_rate": _l("Overhead rate per hour"),
    "output_qty": _l("Output quantity"), "bom": _l("Bill of materials"), "scrap_pct": _l("Scrap, %"),
    "is_byproduct": _l("By-product"), "routing": _l("Routing"), "seq": _l("Step"), "work_center": _l("Work centre"),
    "setup_minutes": _l("Set-up, min"), "run_minutes": _l("Run per unit, min"), "is_software": _l("Software stage"),
    "software_version": _l("Software version"), "instructions": _l("Instructions"), "qty_done": _l("Completed"),
    "component_warehouse": _l("Components from"), "output_warehouse": _l("Output to"),
    "planned_start": _l("Planned start"), "planned_end": _l("Planned end"), "parent": _l("Parent order"),
    "planned_material": _l("Planned material"), "planned_labour": _l("Planned labour"),
    "planned_overhead": _l("Planned overhead"), "actual_material": _l("Actual material"),
    "actual_labour": _l("Actual labour"), "actual_overhead": _l("Actual overhead"), "released_by": _l("Released by"),
    "released_at": _l("Released at"), "planned_setup_minutes": _l("Planned set-up, min"),
    "planned_run_minutes": _l("Planned run per unit, min"), "qty_reported": _l("Reported quantity"),
    "actual_setup_minutes": _l("Actual set-up, min"), "actual_run_minutes": _l("Actual run, min"),
    "reported_by": _l("Reported by"), "order": _l("Production order"), "material_cost": _l("Material"),
    "labour_cost": _l("Labour"), "overhead_cost": _l("Overhead"), "output_value": _l("Output value"),
    "byproduct_value": _l("By-products"), "share_rule": _l("Cost sharing"), "share": _l("Share"),
    "consumed_value": _l("Consumed cost"),
}
PAGE_TEXT = {
    "order_tree": _l("Production order tree"), "availability": _l("Component availability"),
    "component": _l("Component"), "required": _l("Required"), "available": _l("Available"),
    "short": _l("Short"), "sources": _l("Where it could come from"), "making": _l("Being made by"),
    "ok": _l("Enough"), "can_make": _l("can be made"), "byproduct": _l("by-product"),
    "complete": _l("Complete"), "complete_title": _l("Complete production order %(number)s"),
    "report_title": _l("Report operation %(name)s"), "report": _l("Report"), "back": _l("Back to the order"),
    "on_date": _l("Date"), "explosion": _l("Multi-level explosion"), "level": _l("Level"),
    "per_parent": _l("Per parent"), "total_qty": _l("Total quantity"), "totals": _l("Totals of bought-in parts"),
    "cost_rollup": _l("Cost roll-up"), "method": _l("Method"), "unit_cost": _l("Unit cost"),
    "material": _l("Material"), "labour": _l("Labour and overhead"), "total": _l("Total"),
    "where_used": _l("Where used"), "used_in": _l("Used in"), "path": _l("Path"),
    "per_unit": _l("Quantity per unit"), "finished": _l("Finished product"), "show": _l("Show"),
    "nothing": _l("Nothing to show"), "costs": _l("Planned and actual cost"), "planned_full": _l("Planned"),
    "planned_done": _l("Planned for the completed quantity"), "actual": _l("Actual"), "variance": _l("Variance"),
    "no_price": _l("no price"), "qty": _l("Quantity"), "setup": _l("Set-up, min"), "run": _l("Run, min"),
    "mark_done": _l("Operation done"), "levels": _l("Levels"), "level_totals": _l("Level subtotals"),
    "operations": _l("Operations"), "remaining": _l("Remaining"),
}
COST_KEYS = {"material": _l("Material"), "labour": _l("Labour"), "overhead": _l("Overhead"), "total": _l("Total")}

PAGE = """{% extends "appbuilder/base.html" %}
{% import 'appbuilder/general/lib.html' as lib %}
{% block content %}
{{ lib.panel_begin(title) }}
{% if links %}<p class="fab-prod-links">{% for l in links %}<a class="btn btn-sm btn-default" href="{{ l[1] }}"
  data-link="{{ l[2] }}"><i class="fa {{ l[2] }}"></i> {{ l[0] }}</a> {% endfor %}</p>{% endif %}
{% if form %}
<form method="{{ form.method }}" action="{{ form.action }}" class="form-inline" style="margin-bottom:14px">
  {% if form.method == 'post' %}<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{% endif %}
  {% for f in form.fields %}
  <div class="form-group" style="margin-right:12px"><label for="f-{{ f.name }}">{{ f.label }}</label>
  {% if f.choices %}<select class="form-control input-sm" id="f-{{ f.name }}" name="{{ f.name }}">
    {% for v, lab in f.choices %}<option value="{{ v }}"{% if v == f.value %} selected{% endif %}>{{ lab }}</option>
    {% endfor %}
  </select>
  {% elif f.type == 'checkbox' %}<input type="checkbox" id="f-{{ f.name }}" name="{{ f.name }}" value="1"
    {%- if f.value %} checked{% endif %}>
  {% else %}<input class="form-control input-sm" id="f-{{ f.name }}" name="{{ f.name }}" type="{{ f.type or 'text' }}"
    value="{{ f.value if f.value is not none else '' }}" size="10">{% endif %}</div>
  {% endfor %}
  <button type="submit" class="btn btn-sm btn-primary" data-submit="1">{{ form.submit }}</button>
</form>
{% endif %}
{% for table in tables %}
{% if table.caption %}<h4>{{ table.caption }}</h4>{% endif %}
<div class="table-responsive"><table class="table table-bordered table-condensed table-hover {{ table.css }}">
<thead><tr>{% for h in table.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}<tr class="{{ row[1] }}">{% for c in row[0] %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
{% if not table.rows %}<tr><td colspan="{{ table.headers|length }}" class="text-muted">{{ empty }}</td></tr>{% endif %}
</tbody></table></div>
{% endfor %}
{{ lib.panel_end() }}
<style>
tr.mo-row td { font-weight: 600; background: #f5f8fb; }
tr.short td { color: #a94442; }
tr.ok td { color: #3c763d; }
.mo-indent { display: inline-block; }
.state-released, .state-in_progress { color: #31708f; font-weight: 600; }
.state-done { color: #3c763d; font-weight: 600; }
</style>
{% endblock %}
"""


def t(key: str) -> str:
    return str(PAGE_TEXT[key])


def fmt_order_state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, ORDER_STATE_LABELS.get(value, value))


def _problem_text(exc: DomainError) -> str:
    return " ".join(exc.messages(gettext))


def guarded(check: Callable[[], None]) -> None:
    """Run a service check for a FAB form; a refusal becomes the translated ValueError FAB flashes.

    No autoflush: the half-filled object must not reach the database before it is validated, and
    a refused edit is rolled back so nothing of it stays in the session.
    """
    try:
        with db.session.no_autoflush:
            check()
    except DomainError as exc:
        db.session.rollback()
        raise ValueError(_problem_text(exc)) from exc


def render_page(view, title: str, tables: Iterable[dict] = (), links: list | None = None,
                form: dict | None = None) -> str:
    return render_template_string(PAGE, title=title, tables=list(tables), links=links or [], form=form,
                                  empty=t("nothing"), appbuilder=view.appbuilder,
                                  base_template=view.appbuilder.base_template)


def decimal_arg(name: str, default: str) -> Decimal | None:
    from app.domain.money import parse_quantity

    value, err = parse_quantity(request.args.get(name) or default)
    return value if not err and value is not None and value > 0 else None


def date_arg(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def action(endpoint: str, label: str, icon: str, css: str = "btn-default", method: str = "get",
           confirm: str = "", reason: str = "") -> dict:
    """A command button of a document page; `reason` (a placeholder) adds a text field posted as "reason"."""
    return dict(endpoint=endpoint, method=method, label=label, icon=icon, css=css, confirm=confirm, reason=reason)


class ShowWithActions(BaseModelView):
    """A register whose show page carries command buttons (fabrika/document_show.html)."""

    show_template = "fabrika/document_show.html"

    def _doc_actions(self, item: Any) -> list[dict]:
        return []

    def _can(self, action: str) -> bool:
        return self.appbuilder.sm.has_access(f"can_{action}", self.class_permission_name)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return show_page(self, pk, lambda item: {"doc_actions": self._doc_actions(item)})


def item_cell(items: dict, item_id: int, top: bool = False) -> Markup:
    it = items.get(item_id)
    text = escape(str(it) if it is not None else item_id)
    return Markup("%s <small class='text-muted'>(%s)</small>") % (text, t("finished")) if top else text


def indent(level: int, text: Any) -> Markup:
    return Markup('<span class="mo-indent" style="padding-left:%spx">%s</span>') % (20 * max(level - 1, 0), text)


def short_qty(value: Decimal) -> Decimal:
    from app.domain.money import round_qty

    return round_qty(value).normalize()


def plain_qty(value: Decimal) -> str:
    """A quantity inside running text, in the reader's number format (no right-aligned block)."""
    from babel.numbers import format_decimal

    from app.views.base import locale_name

    return format_decimal(short_qty(value), locale=locale_name())
