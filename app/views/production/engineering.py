"""Engineering views: work centres, BOMs with their lines and reports (explosion, cost roll-up,
where-used), routings with their operations and the printed technological map.

A BOM line that would close a cycle is refused in the form with the cycle's path (the service's
check, run by pre_add / pre_update).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Response, abort, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.errors import DomainError
from app.extensions import db
from app.models.production import Bom, BomLine, Routing, RoutingOperation, WorkCenter
from app.permissions import ACTION_READ, CRUD, RESOURCE_ENGINEERING
from app.services.production import engineering
from app.views.base import BaseModelView, flash_domain_error, fmt_money, fmt_qty, interface
from app.views.production.common import (
    COST_METHOD_LABELS,
    LABELS,
    ShowWithActions,
    action,
    date_arg,
    decimal_arg,
    guarded,
    indent,
    item_cell,
    render_page,
    short_qty,
    t,
)
from app.views.show import printed_form
from app.views.titles import one_form, titles
from app.views.versioned import VersionedEditMixin


class _EngineeringView:
    """Engineering registers (work centres, BOMs, routings): one permission, one label table."""

    class_permission_name = RESOURCE_ENGINEERING
    label_columns = LABELS

@titles(_l("Work centres"), _l("Work centre"), _l("Add work centre"), _l("Edit work centre"))
@one_form("code", "name", "name_ru", "name_es", "labour_rate", "overhead_rate", "active")
class WorkCenterView(_EngineeringView, BaseModelView):
    datamodel = interface(WorkCenter)
    search_columns = ["code", "name", "active"]

    def pre_add(self, item: WorkCenter) -> None:
        self._check(item)

    def pre_update(self, item: WorkCenter) -> None:
        self._check(item)

    def _check(self, item: WorkCenter) -> None:
        if (item.labour_rate or 0) < 0 or (item.overhead_rate or 0) < 0:
            db.session.rollback()
            raise ValueError(gettext("Rates cannot be negative"))


@titles(_l("Components"), _l("Component"), _l("Add component"), _l("Edit component"))
class BomLineView(_EngineeringView, BaseModelView):
    datamodel = interface(BomLine)
    list_columns = ["line_no", "item", "qty", "unit", "scrap_pct", "is_byproduct", "note"]
    add_columns = edit_columns = ["bom", "item", "qty", "unit", "scrap_pct", "is_byproduct", "note"]
    show_columns = ["bom", *list_columns]
    base_order = ("line_no", "asc")
    page_size = 100
    description_columns = {
        "qty": _l("Per output quantity of the BOM; a negative quantity is a by-product"),
        "scrap_pct": _l("Extra quantity lost in production, in percent"),
    }

    def pre_add(self, item: BomLine) -> None:
        if item.bom is not None:
            item.line_no = 1 + max((ln.line_no for ln in item.bom.lines if ln is not item), default=0)
        guarded(lambda: engineering.validate_line(db.session, item))

    def pre_update(self, item: BomLine) -> None:
        guarded(lambda: engineering.validate_line(db.session, item))


@titles(_l("Bills of materials"), _l("Bill of materials"), _l("Add bill of materials"), _l("Edit bill of materials"))
class BomView(_EngineeringView, VersionedEditMixin, ShowWithActions):
    datamodel = interface(Bom)
    method_permission_name = CRUD | {"explode": ACTION_READ, "cost": ACTION_READ, "whereused": ACTION_READ}
    related_views = [BomLineView]
    list_columns = ["item", "version", "name", "output_qty", "valid_from", "valid_to", "active"]
    add_columns = edit_columns = ["item", "version", "name", "output_qty", "valid_from", "valid_to", "active", "note"]
    show_columns = add_columns
    search_columns = ["item", "version", "name", "valid_from", "valid_to", "active"]
    base_order = ("id", "desc")

    def pre_add(self, item: Bom) -> None:
        guarded(lambda: engineering.validate_bom(db.session, item))

    def pre_update(self, item: Bom) -> None:
        super().pre_update(item)  # the version it was opened with
        guarded(lambda: engineering.validate_bom(db.session, item))

    def _doc_actions(self, item: Bom) -> list[dict]:
        return [action("explode", t("explosion"), "fa-sitemap"), action("cost", t("cost_rollup"), "fa-calculator"),
                action("whereused", t("where_used"), "fa-level-up")]

    def _bom(self, pk: int) -> Bom:
        bom = db.session.get(Bom, pk) or abort(404)
        return bom

    def _links(self, pk: int) -> list:
        return [(str(self.show_title), url_for(f"{self.endpoint}.show", pk=pk), "fa-arrow-left")]

    @expose("/explode/<int:pk>")
    @has_access
    def explode(self, pk: int) -> str:
        bom = self._bom(pk)
        qty = decimal_arg("qty", "1") or Decimal(1)
        on = date_arg(request.args.get("on")) or bom.valid_from or date.today()
        tables: list[dict] = []
        try:
            book = engineering.load_book(db.session, bom.item_id, on, first=bom)
            from app.domain.bom import explode

            ex = explode(book, bom.item_id, qty)
            items = engineering.items_by_id(db.session, {r.component for r in ex.rows})
            tables = _explosion_tables(ex, items)
        except DomainError as exc:
            flash_domain_error(exc)
        form = dict(method="get", action=url_for(f"{self.endpoint}.explode", pk=pk), submit=t("show"),
                    fields=[dict(name="qty", label=t("qty"), value=qty)])
        return render_page(self, f"{t('explosion')}: {bom}", tables, self._links(pk), form)

    @expose("/cost/<int:pk>")
    @has_access
    def cost(self, pk: int) -> str:
        bom = self._bom(pk)
        method = request.args.get("method") or "standard"
        qty = decimal_arg("qty", "1") or Decimal(1)
        tables: list[dict] = []
        try:
            tree = engineering.cost_rollup(db.session, bom.item_id, method, qty, on_date=bom.valid_from)
            items = engineering.items_by_id(db.session, {n.item for n in tree.walk()})
            tables = _cost_tables(tree, items)
        except DomainError as exc:
            flash_domain_error(exc)
        form = dict(method="get", action=url_for(f"{self.endpoint}.cost", pk=pk), submit=t("show"), fields=[
            dict(name="method", label=t("method"), value=method,
                 choices=[(k, str(v)) for k, v in COST_METHOD_LABELS.items()]),
            dict(name="qty", label=t("qty"), value=qty)])
        return render_page(self, f"{t('cost_rollup')}: {bom}", tables, self._links(pk), form)

    @expose("/whereused/<int:pk>")
    @has_access
    def whereused(self, pk: int) -> str:
        bom = self._bom(pk)
        try:  # a cycle already stored is named on the page, not a 500
            rows = engineering.where_used(db.session, bom.item_id)
        except DomainError as exc:
            flash_domain_error(exc)
            rows = []
        items = engineering.items_by_id(db.session, {i for r in rows for i in r.path})
        table = dict(headers=[t("level"), t("used_in"), t("per_unit"), t("path")], rows=[
            ([r.level, item_cell(items, r.item, r.top), fmt_qty(r.qty_per_unit),
              " → ".join(items[i].code for i in r.path)], "") for r in rows])
        return render_page(self, f"{t('where_used')}: {bom.item}", [table], self._links(pk))


def _explosion_tables(ex, items: dict) -> list[dict]:
    rows = [([r.level, indent(r.level, escape(str(items[r.component]))), fmt_qty(r.qty_per_parent.normalize()),
              fmt_qty(r.scrap_pct), fmt_qty(short_qty(r.qty)),
              t("byproduct") if r.byproduct else ""], "mo-row" if r.has_bom else "") for r in ex.rows]
    totals = sorted(ex.leaves().items(), key=lambda p: items[p[0]].code)
    return [
        dict(headers=[t("level"), t("component"), t("per_parent"), LABELS["scrap_pct"], t("total_qty"), ""],
             rows=rows),
        dict(caption=t("totals"), headers=[t("component"), t("total_qty")],
             rows=[([escape(str(items[i])), fmt_qty(short_qty(q))], "") for i, q in totals]),
    ]


def _cost_tables(tree, items: dict) -> list[dict]:
    from app.domain.money import round_money

    rows = []
    for node in tree.walk():
        unit = fmt_money(round_money(node.unit_cost)) if node.known or node.children else Markup(
            '<span class="text-danger">%s</span>') % t("no_price")
        rows.append(([node.level, indent(node.level + 1, escape(str(items[node.item]))), fmt_qty(short_qty(node.qty)),
                      unit, fmt_money(round_money(node.material)), fmt_money(round_money(node.labour)),
                      fmt_money(node.total_money)], "mo-row" if node.children else ""))
    by_level: dict[int, list[Decimal]] = {}
    for node in tree.walk():  # what each level costs: its parts and nodes, and the labour spent on it
        sums = by_level.setdefault(node.level, [Decimal(0)] * 3)
        sums[0] += node.material - node.byproduct_credit
        sums[1] += node.labour
        sums[2] += node.total
    return [
        dict(headers=[t("level"), t("component"), t("qty"), t("unit_cost"), t("material"), t("labour"), t("total")],
             rows=rows),
        dict(caption=t("level_totals"), headers=[t("level"), t("material"), t("labour"), t("total")],
             rows=[([lvl, *(fmt_money(round_money(v)) for v in sums)], "") for lvl, sums in sorted(by_level.items())]),
    ]


@titles(_l("Operations"), _l("Operation"), _l("Add operation"), _l("Edit operation"))
class RoutingOperationView(_EngineeringView, BaseModelView):
    datamodel = interface(RoutingOperation)
    list_columns = ["seq", "name", "work_center", "setup_minutes", "run_minutes", "is_software"]
    add_columns = edit_columns = ["routing", "seq", "name", "name_ru", "name_es", "work_center", "setup_minutes",
                                  "run_minutes", "is_software", "software_version", "instructions"]
    show_columns = add_columns
    base_order = ("seq", "asc")
    page_size = 100

    def pre_add(self, item: RoutingOperation) -> None:
        guarded(lambda: engineering.validate_operation(item))

    def pre_update(self, item: RoutingOperation) -> None:
        guarded(lambda: engineering.validate_operation(item))


@titles(_l("Routings"), _l("Routing"), _l("Add routing"), _l("Edit routing"))
class RoutingView(_EngineeringView, ShowWithActions):
    datamodel = interface(Routing)
    method_permission_name = CRUD | {"print_map": ACTION_READ}
    related_views = [RoutingOperationView]
    list_columns = ["item", "version", "name", "valid_from", "valid_to", "active"]
    add_columns = edit_columns = ["item", "version", "name", "valid_from", "valid_to", "active", "note"]
    show_columns = add_columns
    search_columns = ["item", "version", "name", "active"]
    base_order = ("id", "desc")

    def pre_add(self, item: Routing) -> None:
        guarded(lambda: engineering.validate_routing(db.session, item))

    def pre_update(self, item: Routing) -> None:
        guarded(lambda: engineering.validate_routing(db.session, item))

    def _doc_actions(self, item: Routing) -> list[dict]:
        return [action("print_map", gettext("Print the technological map"), "fa-print")]

    @expose("/print/<int:pk>")
    @has_access
    def print_map(self, pk: int) -> Response:
        from app.services.production.printing import routing_pdf

        return printed_form(routing_pdf, pk)

