"""Purchasing pages beyond CRUD: the dashboard, one page per generation method (its parameters, a
preview of the suggestions, the Generate button), the ABC result with its Pareto chart and XLSX
export, the best offer for an item, and the settings of the nightly run.

The pages parse the form, call app.services.purchasing and render; a DomainError (bad period,
thresholds, negative days) becomes flash messages and nothing is written.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain.errors import DomainError
from app.domain.money import parse_quantity
from app.extensions import db
from app.models.purchasing import METHODS
from app.permissions import ACTION_READ, ACTION_WRITE, RESOURCE_PURCHASING
from app.services.purchasing import best_offer
from app.services.purchasing import settings as settings_svc
from app.services.purchasing.abc_report import abc_report, export_rows
from app.services.purchasing.methods import generate, preview
from app.services.purchasing.params import PARAM_KEYS, parse_params
from app.services.stock import reports
from app.views.base import fmt_date, fmt_money, fmt_number, fmt_qty, locale_name
from app.views.fields import input_text
from app.views.purchasing_labels import (
    CRITERION_LABELS,
    METHOD_LABELS,
    REQUEST_STATE_LABELS,
    RUN_TRIGGER_LABELS,
    SOURCE_LABELS,
    fmt_count,
    fmt_method,
    reason_short,
)
from app.views.stock_reports import export_response

PREVIEW_LIMIT = 500
METHOD_HELP = {
    "sales": _l("Average daily consumption over the period (shipments and production issues) × (lead time + "
                "safety days) − available − on order − already requested."),
    "invoices": _l("What customers were invoiced for in the period and has not been shipped, less what is "
                   "available, on order or already requested."),
    "matrix": _l("Every item of the product matrix below its minimum (the reorder point's minimum; zero "
                 "without one): bring it back to the minimum."),
    "abc": _l("Pareto over the period by the chosen criterion; per class keep the given days of average "
              "consumption, or skip the class."),
    "minmax": _l("Per item and warehouse: when available + on order + requested falls below the minimum, "
                 "order up to the maximum."),
}
FIELD_LABELS = {
    "warehouse_id": _l("Warehouse"), "group_id": _l("Item group"), "date_from": _l("From"), "date_to": _l("To"),
    "period_days": _l("Period, days (when no dates)"), "safety_days": _l("Safety days"),
    "default_lead_time": _l("Lead time when no offer, days"),
    "include_writeoffs": _l("Count write-offs as consumption"),
    "criterion": _l("Criterion"), "source": _l("Data"), "threshold_a": _l("Class A up to, %"),
    "threshold_b": _l("Class B up to, %"), "cover_A": _l("Class A: cover days"), "cover_B": _l("Class B: cover days"),
    "cover_C": _l("Class C: cover days"), "policy_A": _l("Class A: skip"), "policy_B": _l("Class B: skip"),
    "policy_C": _l("Class C: skip"),
}


_MACHINE_NUMBER = re.compile(r"-?\d+\.\d+")


def _readable(values: dict[str, Any]) -> dict[str, Any]:
    """Saved parameters (machine form, "0.125") in the reader's format ("0,125"), as the form shows and
    the page then reads them: the same text the user would type."""
    return {k: input_text(Decimal(v), grouped=False) if isinstance(v, str) and _MACHINE_NUMBER.fullmatch(v) else v
            for k, v in values.items()}


def _fields(method: str, values: dict[str, Any], with_period_days: bool = False) -> list[dict]:
    """The form fields of a method, filled with `values` (a GET request's or the settings')."""
    session, locale = db.session, locale_name()
    out = []
    for key in PARAM_KEYS[method]:
        if key == "period_days" and not with_period_days:
            continue
        if key in ("date_from", "date_to") and with_period_days:
            continue
        field = {"name": key, "label": FIELD_LABELS[key], "value": values.get(key, ""), "type": "text"}
        if key == "warehouse_id":
            field["choices"] = [("", gettext("All warehouses"))] + reports.warehouse_choices(session, locale)
        elif key == "group_id":
            field["choices"] = [("", gettext("All groups"))] + reports.group_choices(session, locale)
        elif key == "criterion":
            field["choices"] = list(CRITERION_LABELS.items())
        elif key == "source":
            field["choices"] = list(SOURCE_LABELS.items())
        elif key in ("date_from", "date_to"):
            field["type"] = "date"
        elif key == "include_writeoffs":
            field["type"] = "checkbox"
        elif key.startswith("policy_"):
            field.update(type="checkbox", value=values.get(key) == "skip", checked_value="skip")
        out.append(field)
    return out


def _raw_from(source) -> dict[str, Any]:
    return {k: v for k, v in source.items() if k != "csrf_token"}


class _Page(BaseView):
    class_permission_name = RESOURCE_PURCHASING
    default_view = "index"

    def page(self, template: str, **context: Any) -> str:
        return self.render_template(template, fmt_money=fmt_money, fmt_qty=fmt_qty, fmt_number=fmt_number,
                                    fmt_date=fmt_date, method_labels=METHOD_LABELS, fmt_method=fmt_method,
                                    fmt_count=fmt_count, chart_locale=locale_name().replace("_", "-"),
                                    reason_short=reason_short, **context)


class PurchasingDashboardView(_Page):
    """What the nightly run left, requests by state, orders waiting for goods."""

    route_base = "/purchasing"
    method_permission_name = {"index": ACTION_READ, "run_now": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        data = settings_svc.dashboard(db.session)
        return self.page("fabrika/purchasing_dashboard.html", title=gettext("Purchasing dashboard"), data=data,
                         state_labels=REQUEST_STATE_LABELS, settings=settings_svc.get_settings(db.session),
                         trigger_labels=RUN_TRIGGER_LABELS,
                         methods=METHODS)

    @expose("/run", methods=["POST"])
    @has_access
    def run_now(self) -> Response:
        try:
            s = settings_svc.nightly_run(db.session, trigger="manual")
            flash(gettext("Done: %(requests)s new requests, %(lines)s new lines, %(updated)s updated",
                          requests=s.stats.requests_created, lines=s.stats.lines_created,
                          updated=s.stats.lines_updated), "success")
        except DomainError as exc:
            from app.views.base import flash_domain_error

            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.index"))


class GenerateView(_Page):
    """One page per method: parameters, preview of the suggestions, Generate."""

    route_base = "/purchasing/generate"
    method_permission_name = {"index": ACTION_READ, "run": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        method = request.args.get("method", "sales")
        if method not in METHODS:
            method = "sales"
        submitted = bool(request.args.get("preview"))
        args = _raw_from(request.args)
        values = _readable(settings_svc.method_raw(settings_svc.get_settings(db.session), method))
        days = values.pop("period_days", None)
        if submitted:  # an unticked box is not sent: the settings' value must not come back
            values.pop("include_writeoffs", None)
        if "date_from" not in args and "period_days" not in args:
            start = date.today() - timedelta(days=int(days) - 1) if str(days or "").isdigit() and int(days) > 0 \
                else date.today().replace(day=1)
            values.update(date_from=start.isoformat(), date_to=date.today().isoformat())
        values.update(args)
        plan, items = None, {}
        if submitted:
            try:
                plan = preview(db.session, parse_params(method, values))
                items = _item_labels([s.item_id for s in plan.suggestions])
            except DomainError as exc:
                from app.views.base import flash_domain_error

                flash_domain_error(exc)
        rows = [] if plan is None else [s for s in plan.suggestions if s.need > 0][:PREVIEW_LIMIT]
        return self.page("fabrika/purchasing_generate.html", title=gettext("Generate purchase requests"),
                         method=method, methods=METHODS, fields=_fields(method, values), values=values, plan=plan,
                         rows=rows, items=items, help=METHOD_HELP[method], offers=plan.offers if plan else {})

    @expose("/run", methods=["POST"])
    @has_access
    def run(self) -> Response:
        method = request.form.get("method", "")
        raw = _raw_from(request.form)
        try:
            summary = generate(db.session, [parse_params(method, raw)])
            flash(gettext("Done: %(requests)s new requests, %(lines)s new lines, %(updated)s updated",
                          requests=summary.stats.requests_created, lines=summary.stats.lines_created,
                          updated=summary.stats.lines_updated), "success")
            return redirect(url_for("PurchaseRequestView.list", _flt_0_state="draft"))
        except DomainError as exc:
            from app.views.base import flash_domain_error

            flash_domain_error(exc)
        back = "AbcView.index" if method == "abc" else f"{self.endpoint}.index"
        return redirect(url_for(back, **{k: v for k, v in raw.items() if k != "method"},
                                **({} if method == "abc" else {"method": method})))


def _item_labels(ids: list[int]) -> dict[int, str]:
    from sqlalchemy import select

    from app.models.catalog import Item

    lang = locale_name().split("_")[0]
    return {i.id: f"{i.code} {i.label(lang)}" for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))} \
        if ids else {}


class AbcView(_Page):
    """The ABC result: classes, a Pareto chart, the XLSX export, and generating requests per class."""

    route_base = "/purchasing/abc"
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        submitted = bool(request.args.get("run") or request.args.get("export"))
        defaults = _readable(settings_svc.method_raw(settings_svc.get_settings(db.session), "abc"))
        defaults.pop("period_days", None)
        if submitted:  # an unticked box is not sent: the settings' "skip" must not come back
            defaults = {k: v for k, v in defaults.items() if not k.startswith("policy_")}
        values = {**defaults, "date_to": date.today().isoformat(),
                  "date_from": date.today().replace(month=1, day=1).isoformat(), **_raw_from(request.args)}
        report = None
        if submitted:
            try:
                report = abc_report(db.session, parse_params("abc", values), locale_name())
            except DomainError as exc:
                from app.views.base import flash_domain_error

                flash_domain_error(exc)
        fmt = request.args.get("export")
        if report is not None and fmt in ("xlsx", "csv"):
            headers = [_l("Rank"), _l("Code"), _l("Item"), _l("Quantity"), CRITERION_LABELS[report.params.criterion],
                       _l("Share, %"), _l("Cumulative share, %"), _l("Class")]
            return export_response("abc_analysis", fmt, headers, export_rows(report))
        page = max(int(request.args.get("page", "1") or 1), 1) if str(request.args.get("page", "1")).isdigit() else 1
        rows = report.rows[(page - 1) * 100: page * 100] if report else []
        return self.page("fabrika/purchasing_abc.html", title=gettext("ABC analysis"), fields=_fields("abc", values),
                         values=values, report=report, rows=rows, page=page,
                         pages=(len(report.rows) + 99) // 100 if report else 0,
                         criterion_label=CRITERION_LABELS.get(values.get("criterion") or "revenue"),
                         help=METHOD_HELP["abc"])


class BestOfferView(_Page):
    """The best offer of the product matrix for an item, quantity and date, with the alternatives."""

    route_base = "/purchasing/best-offer"
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        item_id, code = request.args.get("item", ""), request.args.get("code", "").strip()
        raw_qty = request.args.get("qty", "1")
        on_raw = request.args.get("on_date", "") or date.today().isoformat()
        item = _find_item(int(item_id) if item_id.isdigit() else None, code)
        choice = None
        if item is None and (item_id or code):
            flash(gettext("Item not found"), "warning")
        if item is not None:
            qty, err = parse_quantity(raw_qty)
            try:
                on_date = date.fromisoformat(on_raw)
            except ValueError:
                on_date, err = None, "Not a date: %(value)s"
            if err or qty is None or on_date is None:
                flash(gettext(err or "A number is required", value=raw_qty if on_date else on_raw, places=6), "danger")
            else:
                choice = best_offer(db.session, item.id, on_date, qty)
        return self.page("fabrika/purchasing_best_offer.html", title=gettext("Best offer"), choice=choice,
                         searched=item is not None, item=item, code=item.code if item else code, qty=raw_qty,
                         on_date=on_raw)


def _find_item(item_id: int | None, code: str):
    """The item by id (links) or by its code as typed (a select of 100,000 items would not do)."""
    from sqlalchemy import select

    from app.models.catalog import Item

    if item_id is not None:
        return db.session.get(Item, item_id)
    return db.session.scalar(select(Item).where(Item.code == code)) if code else None


class PurchasingSettingsView(_Page):
    """Which methods the nightly run uses and with what parameters."""

    route_base = "/purchasing/settings"
    method_permission_name = {"index": ACTION_READ, "save": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        row = settings_svc.get_settings(db.session)
        forms = [(m, _fields(m, _readable(settings_svc.method_raw(row, m)), with_period_days=True)) for m in METHODS]
        return self.page("fabrika/purchasing_settings.html", title=gettext("Purchasing settings"), row=row,
                         forms=forms, warehouses=reports.warehouse_choices(db.session, locale_name()), methods=METHODS,
                         can_write=self.appbuilder.sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_PURCHASING))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self) -> Response:
        form = request.form
        methods = form.getlist("nightly")
        params = {m: {k: form.get(f"{m}__{k}", "") for k in PARAM_KEYS[m] if k not in ("warehouse_id",)}
                  for m in METHODS}
        wh = form.get("warehouse_id", "")
        try:
            settings_svc.save_settings(db.session, methods, params, int(wh) if wh.isdigit() else None,
                                       form.get("default_lead_time_days", "7"))
            flash(gettext("Settings saved"), "success")
        except DomainError as exc:
            from app.views.base import flash_domain_error

            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.index"))
