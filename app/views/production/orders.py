"""Production order views: orders with release / complete / cancel buttons, the order tree, component
availability, planned vs actual cost, operations reported with actual times, output receipts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.documents import PRODUCTION_ORDER, PRODUCTION_RECEIPT
from app.domain.errors import DomainError
from app.extensions import db
from app.models.production import ORDER_DRAFT, ProductionCompletion, ProductionOperation, ProductionOrder
from app.permissions import ACTION_POST, ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_PRODUCTION
from app.services import production as svc
from app.services.production import orders, status
from app.views.base import ReadOnlyModelView, flash_domain_error, fmt_date, fmt_money, fmt_qty, interface
from app.views.production.common import (
    COST_KEYS,
    LABELS,
    PAGE_TEXT,
    ShowWithActions,
    action,
    date_arg,
    fmt_order_state,
    guarded,
    indent,
    plain_qty,
    render_page,
    short_qty,
    t,
)
from app.views.show import printed_form
from app.views.titles import titles


@titles(_l("Operations"), _l("Operation"))
class ProductionOperationView(ShowWithActions, ReadOnlyModelView):
    datamodel = interface(ProductionOperation)
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = READ_ONLY | {"report": ACTION_WRITE}
    include_route_methods = {"list", "show", "export", "report"}
    list_columns = ["seq", "name", "work_center", "planned_setup_minutes", "planned_run_minutes", "qty_reported",
                    "actual_setup_minutes", "actual_run_minutes", "done"]
    show_columns = ["order", *list_columns, "is_software", "software_version", "instructions", "reported_by"]
    base_order = ("seq", "asc")
    label_columns = LABELS
    page_size = 100

    def _doc_actions(self, item: ProductionOperation) -> list[dict]:
        if PRODUCTION_ORDER.allows(item.order.state, "report") and self._can(ACTION_WRITE):
            return [action("report", t("report"), "fa-clock-o", "btn-primary")]
        return []

    @expose("/report/<int:pk>", methods=["GET", "POST"])
    @has_access
    def report(self, pk: int):
        op = db.session.get(ProductionOperation, pk) or abort(404)
        back = url_for("ProductionOrderView.show", pk=op.order_id)
        if request.method == "POST":
            form = request.form
            try:
                svc.report_operation(db.session, pk, form.get("qty", ""), form.get("setup_minutes"),
                                     form.get("run_minutes"), bool(form.get("done")))
                flash(gettext("Operation %(name)s reported", name=op.label()), "success")
                return redirect(back)
            except DomainError as exc:
                flash_domain_error(exc)
        remaining = op.order.qty - op.qty_reported
        form = dict(method="post", action=url_for(f"{self.endpoint}.report", pk=pk), submit=t("report"), fields=[
            dict(name="qty", label=t("qty"), value=short_qty(remaining) if remaining > 0 else 0),
            dict(name="setup_minutes", label=t("setup"), value=0),
            dict(name="run_minutes", label=t("run"), value=0),
            dict(name="done", label=t("mark_done"), type="checkbox", value=False)])
        title = str(PAGE_TEXT["report_title"]) % {"name": f"{op.seq} {op.label()}"}
        return render_page(self, title, [], [(t("back"), back, "fa-arrow-left")], form)


@titles(_l("Output receipts"), _l("Output receipt"))
class ProductionCompletionView(ShowWithActions, ReadOnlyModelView):
    datamodel = interface(ProductionCompletion)
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = READ_ONLY | {"print_receipt": ACTION_READ, "cancel_receipt": ACTION_POST}
    include_route_methods = {"list", "show", "export", "print_receipt", "cancel_receipt"}
    list_columns = ["number", "doc_date", "order", "qty", "material_cost", "labour_cost", "overhead_cost",
                    "output_value", "state"]
    show_columns = [*list_columns, "byproduct_value", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]
    search_columns = ["number", "doc_date", "order", "state"]
    label_columns = LABELS
    base_order = ("id", "desc")
    formatters_columns = {"state": fmt_order_state}

    def _doc_actions(self, item: ProductionCompletion) -> list[dict]:
        out = [action("print_receipt", gettext("Print"), "fa-print")]
        if PRODUCTION_RECEIPT.allows(item.state, "cancel") and self._can(ACTION_POST):
            out.append(action("cancel_receipt", gettext("Cancel posting"), "fa-undo", "btn-warning", "post",
                               gettext("Cancel this output receipt? Reversal entries will be posted today.")))
        return out

    @expose("/print/<int:pk>")
    @has_access
    def print_receipt(self, pk: int) -> Response:
        from app.services.production.printing import completion_pdf

        return printed_form(completion_pdf, pk)

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_receipt(self, pk: int) -> Response:
        try:
            rec = svc.cancel_completion(db.session, pk, date.today())
            flash(gettext("Document %(number)s cancelled", number=rec.number), "success")
        except DomainError as exc:
            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))


@titles(_l("Production orders"), _l("Production order"), _l("New production order"), _l("Edit production order"))
class ProductionOrderView(ShowWithActions):
    datamodel = interface(ProductionOrder)
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = CRUD | {
        "release": ACTION_POST, "complete": ACTION_POST, "cancel_order": ACTION_POST, "tree": ACTION_READ,
        "availability": ACTION_READ, "costs": ACTION_READ, "print_order": ACTION_READ,
    }
    related_views = [ProductionOperationView, ProductionCompletionView]
    list_columns = ["number", "order_date", "item", "qty", "qty_done", "state", "planned_start", "planned_end",
                    "parent"]
    add_columns = edit_columns = ["item", "qty", "bom", "routing", "component_warehouse", "output_warehouse",
                                  "order_date", "planned_start", "planned_end", "note"]
    show_columns = ["number", "order_date", "state", "item", "qty", "qty_done", "bom", "routing",
                    "component_warehouse", "output_warehouse", "planned_start", "planned_end", "parent", "note",
                    "planned_material", "planned_labour", "planned_overhead", "actual_material", "actual_labour",
                    "actual_overhead", "released_by", "released_at", "cancelled_by", "cancelled_at"]
    search_columns = ["number", "order_date", "item", "state", "planned_start", "parent"]
    label_columns = LABELS
    base_order = ("id", "desc")
    formatters_columns = {"state": fmt_order_state}
    description_columns = {
        "bom": _l("Empty: the version in force on the planned start"),
        "routing": _l("Empty: the version in force on the planned start"),
    }

    def pre_add(self, item: ProductionOrder) -> None:
        item.state, item.qty_done = ORDER_DRAFT, Decimal(0)
        guarded(lambda: orders.validate_order(db.session, item))

    def pre_update(self, item: ProductionOrder) -> None:
        guarded(lambda: (orders.assert_editable(item), orders.validate_order(db.session, item)))

    def pre_delete(self, item: ProductionOrder) -> None:
        guarded(lambda: orders.assert_editable(item))
        if item.children:
            raise ValueError(gettext("An order with child orders cannot be deleted; cancel it instead"))

    def _doc_actions(self, item: ProductionOrder) -> list[dict]:
        post = self._can(ACTION_POST)
        out = []
        allows = partial(PRODUCTION_ORDER.allows, item.state)
        if allows("release") and post:
            out.append(action("release", gettext("Release"), "fa-play", "btn-primary", "post",
                               gettext("Release this order? Child orders are created for missing nodes.")))
        if allows("complete") and post:
            out.append(action("complete", gettext("Complete"), "fa-check", "btn-primary"))
        if allows("cancel") and post:
            out.append(action("cancel_order", gettext("Cancel order"), "fa-undo", "btn-warning", "post",
                               gettext("Cancel this order? Its output receipts are reversed today.")))
        out += [action("tree", t("order_tree"), "fa-sitemap"), action("availability", t("availability"), "fa-cubes"),
                action("costs", t("costs"), "fa-calculator"), action("print_order", gettext("Print"), "fa-print")]
        return out

    def _order(self, pk: int) -> ProductionOrder:
        order = db.session.get(ProductionOrder, pk) or abort(404)
        return order

    def _back(self, pk: int) -> Response:
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/release/<int:pk>", methods=["POST"])
    @has_access
    def release(self, pk: int) -> Response:
        self._order(pk)
        try:
            result = svc.release_order(db.session, pk)
            flash(gettext("Order %(number)s released", number=result.order.number), "success")
            if result.children:
                flash(gettext("Child orders created: %(orders)s",
                              orders=", ".join(c.number for c in result.children)), "info")
            for short in result.shortages:
                flash(f"{short.order}: {short.problem().render(gettext)}", "warning")
        except DomainError as exc:
            flash_domain_error(exc)
        return self._back(pk)

    @expose("/complete/<int:pk>", methods=["GET", "POST"])
    @has_access
    def complete(self, pk: int):
        order = self._order(pk)
        if request.method == "POST":
            try:
                rec = svc.complete_order(db.session, pk, request.form.get("qty", ""),
                                         date_arg(request.form.get("on_date")))
                flash(gettext("Output receipt %(number)s posted", number=rec.number), "success")
                return self._back(pk)
            except DomainError as exc:
                flash_domain_error(exc)
        form = dict(method="post", action=url_for(f"{self.endpoint}.complete", pk=pk), submit=t("complete"), fields=[
            dict(name="qty", label=t("qty"), value=short_qty(order.qty_remaining)),
            dict(name="on_date", label=t("on_date"), type="date", value=date.today().isoformat())])
        title = str(PAGE_TEXT["complete_title"]) % {"number": order.number or order.id}
        tables = [_availability_table(status.check_availability(db.session, pk))] if order.bom_id else []
        return render_page(self, title, tables, [(t("back"), url_for(f"{self.endpoint}.show", pk=pk),
                                                  "fa-arrow-left")], form)

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_order(self, pk: int) -> Response:
        self._order(pk)
        try:
            order = svc.cancel_order(db.session, pk, date.today())
            flash(gettext("Order %(number)s cancelled", number=order.number or order.id), "success")
        except DomainError as exc:
            flash_domain_error(exc)
        return self._back(pk)

    @expose("/tree/<int:pk>")
    @has_access
    def tree(self, pk: int) -> str:
        self._order(pk)
        tree = status.order_tree(db.session, pk)
        rows = []
        for node in tree.walk():
            o = node.order
            link = Markup('<a href="%s">%s</a>') % (url_for(f"{self.endpoint}.show", pk=o.id), o.number or f"#{o.id}")
            rows.append(([indent(node.depth + 1, Markup("%s %s") % (link, o.item)), fmt_qty(o.qty),
                          fmt_qty(o.qty_done), fmt_order_state(o.state), fmt_date(o.planned_start),
                          fmt_date(o.planned_end), ""], "mo-row"))
            for c in node.components:
                rows.append(([indent(node.depth + 2, escape(f"{c.code} {c.name}")), fmt_qty(c.required),
                              fmt_qty(c.available), _status_cell(c), "", "", ", ".join(c.open_orders)],
                             "short" if c.shortage and not c.open_orders else "ok"))
        headers = [LABELS["order"], t("qty") + " / " + t("required"), str(LABELS["qty_done"]) + " / " + t("available"),
                   LABELS["state"], LABELS["planned_start"], LABELS["planned_end"], t("making")]
        return render_page(self, t("order_tree"), [dict(headers=headers, rows=rows, css="mo-tree")],
                           [(t("back"), url_for(f"{self.endpoint}.show", pk=pk), "fa-arrow-left")])

    @expose("/availability/<int:pk>")
    @has_access
    def availability(self, pk: int) -> str:
        order = self._order(pk)
        try:
            tables = [_availability_table(status.check_availability(db.session, pk))]
        except DomainError as exc:
            flash_domain_error(exc)
            tables = []
        return render_page(self, f"{t('availability')}: {order}", tables,
                           [(t("back"), url_for(f"{self.endpoint}.show", pk=pk), "fa-arrow-left")])

    @expose("/costs/<int:pk>")
    @has_access
    def costs(self, pk: int) -> str:
        from app.services.production.costing import comparison

        order = self._order(pk)
        rows = [([COST_KEYS[c.key], fmt_money(c.planned_full), fmt_money(c.planned_done), fmt_money(c.actual),
                  fmt_money(c.variance), fmt_qty(c.variance_pct)], "mo-row" if c.key == "total" else "")
                for c in comparison(order)]
        table = dict(headers=["", t("planned_full"), t("planned_done"), t("actual"), t("variance"), "%"], rows=rows)
        return render_page(self, f"{t('costs')}: {order}", [table],
                           [(t("back"), url_for(f"{self.endpoint}.show", pk=pk), "fa-arrow-left")])

    @expose("/print/<int:pk>")
    @has_access
    def print_order(self, pk: int) -> Response:

        from app.services.production.printing import order_pdf

        self._order(pk)
        return printed_form(order_pdf, pk)


def _status_cell(c) -> Markup:
    if c.byproduct:
        return Markup(escape(t("byproduct")))
    if c.shortage is None:
        return Markup('<span class="text-success">%s</span>') % t("ok")
    return Markup('<span class="text-danger">%s: %s</span>') % (t("short"), plain_qty(c.shortage.short))


def _availability_table(components) -> dict:
    rows = []
    for c in components:
        sources = ""
        if c.shortage is not None:
            parts = [f"{code}: {plain_qty(q)}" for code, q in c.shortage.sources]
            if c.shortage.can_make:
                parts.append(t("can_make"))
            sources = ", ".join(parts)
        css = "" if c.byproduct else ("short" if c.shortage and not c.open_orders else "ok")
        rows.append(([escape(f"{c.code} {c.name}"), fmt_qty(c.required), fmt_qty(c.available), _status_cell(c),
                      sources, ", ".join(c.open_orders)], css))
    return dict(headers=[t("component"), t("required"), t("available"), "", t("sources"), t("making")], rows=rows)

