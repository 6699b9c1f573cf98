"""KPI pages: the role dashboard (the home page of a signed-in user), a figure's lineage, the scorecard
PDF, KPI definitions, restatements, scheduled reports with "Send now" and a preview, and their runs.

The pages read stored values through app.services.kpi (never the registers directly) and turn a
DomainError into flash messages. Charts are drawn by app/static/js/kpi_dashboard.js from a JSON
block (no inline script: the CSP forbids it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.jobs.runner import run_job
from app.models.base import utcnow
from app.models.kpi import (
    DIVISIONS,
    KpiDefinition,
    KpiRestatement,
    KpiValue,
    ScheduledReport,
    ScheduledReportRun,
)
from app.permissions import (
    ACTION_READ,
    ACTION_RUN,
    ACTION_WRITE,
    CRUD,
    RESOURCE_DEAL,
    RESOURCE_INVOICE,
    RESOURCE_KPI,
    RESOURCE_PRODUCTION,
    RESOURCE_SERVICE,
    RESOURCE_STOCK_REPORT,
    perm,
)
from app.services import crm
from app.services.base import current_actor
from app.services.jobs import TRIGGER_MANUAL
from app.services.kpi import dashboard as panels
from app.services.kpi import reports as report_svc
from app.services.kpi import scorecard
from app.services.kpi.access import can_read, reader, security_manager
from app.services.kpi.compute import validate_definition
from app.services.kpi.metrics import METRICS
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    choice_field,
    fmt_date,
    fmt_money,
    fmt_number,
    interface,
    locale_name,
)
from app.views.kpi_labels import (
    DIRECTION_LABELS,
    DIVISION_LABELS,
    FORMAT_LABELS,
    LABELS,
    PERIOD_LABELS,
    RUN_STATUS_LABELS,
    STATUS_LABELS,
    light,
    list_url,
    metric_label,
    period_text,
    ref_url,
)
from app.views.production.common import guarded

CAT = "KpiMenu"
UNIT_PLACES = {"money": 2, "percent": 1, "days": 1, "count": 0, "times": 2, "number": 2}


def fmt_kpi(value: Any, unit: str) -> str:
    """A KPI figure in the reader's locale, inline: money with kopeks, percent with one place, counts whole.

    Plain text, not fmt_number's right-aligned cell span: it sits inside sentences and tile headings.
    """
    if value is None:
        return "—"
    places = UNIT_PLACES.get(unit, 2)
    text = format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=locale_name())
    return f"{text}\u00a0%" if unit == "percent" else text


def fmt_month(day: date) -> str:
    """A chart's month label: "нояб. 2026", "nov 2026"."""
    return format_date(day, "LLL yyyy", locale=locale_name())


# --- the dashboard -----------------------------------------------------------------------------------


def dashboard_context(today: date) -> dict[str, Any]:
    """Everything the role's dashboard shows, as plain values (the template formats, the JS draws)."""
    session = db.session
    who = reader()
    all_tiles = scorecard.tiles(session, scorecard.visible_definitions(session, who), today)
    panels_available = _panels(today)
    available = {t.key for t in all_tiles} | set(panels_available)
    hidden = panels.hidden_tiles(session, g.user.id)
    shown_tiles = [t for t in all_tiles if t.key not in hidden]
    charts: dict[str, Any] = {"locale": locale_name().replace("_", "-"), "tiles": {}, "series": {}}
    for t in shown_tiles:
        charts["tiles"][t.key] = {"labels": [fmt_month(d) for d, _ in t.trend],
                                  "values": [float(v) if v is not None else None for _, v in t.trend]}
    for key, panel in panels_available.items():
        if key in hidden or "series" not in panel:
            continue
        charts["series"][key] = {"label": str(panel["title"]),
                                 "labels": [fmt_month(d) for d, _ in panel["series"]],
                                 "values": [float(v) if v is not None else None for _, v in panel["series"]]}
    if "panel:funnel" in panels_available and "panel:funnel" not in hidden:
        rows = panels_available["panel:funnel"]["rows"]
        charts["funnel"] = {"labels": [r.stage.label() for r in rows], "reached": [r.reached for r in rows],
                            "title": str(_l("Deals reached the stage"))}
    return {
        "tiles": shown_tiles, "scores": scorecard.scores(session, who, today), "panels": panels_available,
        "hidden": hidden,
        "available": available, "all_tiles": all_tiles, "charts": charts, "divisions": who.divisions,
        "may_run": security_manager().has_access(perm(ACTION_RUN), RESOURCE_KPI),
    }


def _panels(today: date) -> dict[str, dict[str, Any]]:
    session = db.session
    out: dict[str, dict[str, Any]] = {}
    series = (("panel:revenue", "revenue", RESOURCE_INVOICE, _l("Revenue by month")),
              ("panel:output", "production_output", RESOURCE_PRODUCTION, _l("Production output by month")),
              ("panel:stock", "stock_value", RESOURCE_STOCK_REPORT, _l("Stock value by month")))
    for key, metric, resource, title in series:
        if can_read(resource):
            points = scorecard.monthly_series(session, metric, today)
            if points:
                out[key] = {"title": title, "series": points, "metric": metric}
    if can_read(RESOURCE_DEAL):
        out["panel:funnel"] = {"title": _l("Sales funnel"), "rows": crm.funnel(session)}
    if can_read(RESOURCE_INVOICE):
        count, total, rows = panels.overdue_invoices(session, today)
        out["panel:overdue"] = {"title": _l("Overdue invoices"), "count": count, "total": total, "rows": rows}
        out["panel:top"] = {"title": _l("Top items, last 30 days"), "rows": panels.top_items(session, today)}
    if can_read(RESOURCE_STOCK_REPORT):
        out["panel:shortages"] = {"title": _l("Today's shortages"), "rows": panels.shortages(session)}
    if can_read(RESOURCE_SERVICE):
        from app.services.service_desk.requests import sla_counts

        out["panel:service"] = {"title": _l("Service requests"), "counts": sla_counts(session)}
    return out


def render_dashboard(view: BaseView) -> str:
    """The home page of a signed-in user: their role's dashboard."""
    context = dashboard_context(date.today())
    return view.render_template(
        "fabrika/kpi_dashboard.html", title=_l("Dashboard"), fmt_kpi=fmt_kpi, fmt_money=fmt_money,
        fmt_number=fmt_number, fmt_date=fmt_date, light=light, list_url=list_url, period_text=period_text,
        division_labels=DIVISION_LABELS, status_labels=STATUS_LABELS, locale=locale_name()[:2],
        period_label=scorecard.period_label, fmt_month=fmt_month, **context)


class KpiView(BaseView):
    """The dashboard's own routes: a figure's lineage, tile choice, recompute, scorecard PDF."""

    route_base = "/kpi"
    default_view = "index"
    class_permission_name = RESOURCE_KPI
    method_permission_name = {"index": ACTION_READ, "value": ACTION_READ, "tiles": ACTION_READ,
                              "run": ACTION_RUN, "scorecard_pdf": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> str:
        return render_dashboard(self)

    @expose("/value/<int:pk>")
    @has_access
    def value(self, pk: int) -> Any:
        """The documents behind a stored KPI value; their sum is the value."""
        row = db.session.get(KpiValue, pk)
        if row is None or row.definition_id not in scorecard.visible_ids(db.session, reader()):
            abort(404)
        defn = row.definition
        facts = [{"metric": m.metric, "label": metric_label(m.metric), "fact": m.fact, "docs": m.docs}
                 for m in scorecard.lineage(db.session, row)]
        period = scorecard.period_of(row.period_kind, row.period_start)
        restatements = db.session.scalars(select(KpiRestatement).where(
            KpiRestatement.definition_id == defn.id, KpiRestatement.period_start == row.period_start)).all()
        return self.render_template(
            "fabrika/kpi_value.html", title=defn.label(locale_name()[:2]), row=row, defn=defn, facts=facts,
            period=period, restatements=restatements, fmt_kpi=fmt_kpi, fmt_money=fmt_money, fmt_date=fmt_date,
            ref_url=ref_url, list_url=list_url, period_text=period_text, light=light, status_labels=STATUS_LABELS,
            unit=scorecard._unit(defn))

    @expose("/tiles", methods=["POST"])
    @has_access
    def tiles(self) -> Response:
        context_keys = set(request.form.getlist("available"))
        shown = set(request.form.getlist("show"))
        panels.save_hidden_tiles(db.session, g.user.id, context_keys, shown)
        flash(gettext("Your dashboard tiles are saved"), "success")
        return redirect(url_for("KpiView.index"))

    @expose("/run", methods=["POST"])
    @has_access
    def run(self) -> Response:
        from app.views.jobs import flash_outcome

        flash_outcome(gettext("Nightly KPI computation"), run_job("kpi", TRIGGER_MANUAL, current_actor()))
        return redirect(request.referrer or url_for("KpiView.index"))

    @expose("/scorecard.pdf")
    @has_access
    def scorecard_pdf(self) -> Response:
        """The reader's scorecard as PDF in ?lang= (their language by default)."""
        lang = request.args.get("lang") or locale_name()[:2]
        data = report_svc.scorecard_document(db.session, lang, date.today(), reader())
        return Response(data.content, mimetype=data.mimetype,
                        headers={"Content-Disposition": f'inline; filename="{data.filename}"'})


# --- registers ----------------------------------------------------------------------------------


class KpiDefinitionView(BaseModelView):
    datamodel = interface(KpiDefinition)
    class_permission_name = RESOURCE_KPI
    method_permission_name = CRUD
    list_title = _l("KPI definitions")
    show_title = _l("KPI definition")
    add_title = _l("New KPI")
    edit_title = _l("Edit KPI")
    list_columns = ["code", "name", "division", "employee", "metric", "period", "target", "weight", "direction",
                    "active"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "metric", "formula", "division",
                                  "employee", "period", "target", "weight", "red_threshold", "green_threshold",
                                  "direction", "sort", "active"]
    show_columns = add_columns
    search_columns = ["code", "name", "division", "employee", "metric", "period", "active"]
    label_columns = LABELS
    base_order = ("sort", "asc")
    formatters_columns = {
        "division": lambda v: str(DIVISION_LABELS.get(v, v)), "period": lambda v: str(PERIOD_LABELS.get(v, v)),
        "direction": lambda v: str(DIRECTION_LABELS.get(v, v)), "metric": lambda v: metric_label(v) if v else "",
        "active": lambda v: str(_l("Yes") if v else _l("No")),
    }
    description_columns = {
        "formula": _l("Instead of a metric: a formula over metric codes, e.g. gross_margin / revenue * 100"),
        "red_threshold": _l("Red when the value is beyond this on the bad side"),
        "green_threshold": _l("Green when the value reaches this"),
    }

    def __init__(self, **kwargs: Any) -> None:
        metric_choices = [("", "—")] + [(m.code, m.label) for m in METRICS]  # lazy: the reader's language
        self.add_form_extra_fields = self.edit_form_extra_fields = {
            "metric": choice_field(LABELS["metric"], metric_choices),
            "division": choice_field(LABELS["division"], [(d, DIVISION_LABELS[d]) for d in DIVISIONS]),
            "period": choice_field(LABELS["period"], list(PERIOD_LABELS.items()), default="month"),
            "direction": choice_field(LABELS["direction"], list(DIRECTION_LABELS.items()), default="higher"),
        }
        super().__init__(**kwargs)

    def pre_add(self, item: KpiDefinition) -> None:
        guarded(lambda: validate_definition(item))

    pre_update = pre_add


class KpiRestatementView(ReadOnlyModelView):
    datamodel = interface(KpiRestatement)
    class_permission_name = RESOURCE_KPI
    list_title = show_title = _l("KPI restatements")
    list_columns = ["detected_at", "definition", "period_start", "period_end", "old_value", "new_value",
                    "documents_text"]
    show_columns = list_columns
    search_columns = ["definition", "period_start", "detected_at"]
    label_columns = LABELS
    base_order = ("detected_at", "desc")
    formatters_columns = {"documents_text": lambda v: v}


class ScheduledReportView(BaseModelView):
    datamodel = interface(ScheduledReport)
    class_permission_name = RESOURCE_KPI
    method_permission_name = CRUD | {"send_now": ACTION_WRITE, "preview": ACTION_READ}
    list_title = _l("Scheduled reports")
    show_title = _l("Scheduled report")
    add_title = _l("New scheduled report")
    edit_title = _l("Edit scheduled report")
    list_columns = ["name", "report", "fmt", "schedule_words", "next_run_at", "last_run_at", "active"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "report", "params", "fmt", "language", "recipients",
                                  "recipient_users", "cron", "skip_empty", "active"]
    show_columns = ["name", "name_ru", "name_es", "report", "params", "fmt", "language", "recipients",
                    "recipient_users", "cron", "schedule_words", "skip_empty", "next_run_at", "last_run_at", "active"]
    search_columns = ["name", "report", "fmt", "active"]
    label_columns = LABELS
    base_order = ("name", "asc")
    description_columns = {
        "params": _l('JSON, e.g. {"period": "last_month"}: yesterday, last_week, this_month, last_month, '
                     'last_quarter, last_year'),
        "cron": _l("minute hour day month weekday, e.g. 0 7 * * 1 = every Monday at 07:00"),
        "recipient_users": _l("User ids, e.g. [2, 5]: each gets the report in their own language"),
    }

    def __init__(self, **kwargs: Any) -> None:
        self.formatters_columns = {
            "report": lambda v: report_svc.report_label(v), "fmt": lambda v: FORMAT_LABELS.get(v, v),
            "schedule_words": lambda v: v, "active": lambda v: str(_l("Yes") if v else _l("No")),
            "skip_empty": lambda v: str(_l("Yes") if v else _l("No")),
        }
        self.add_form_extra_fields = self.edit_form_extra_fields = {
            "report": choice_field(LABELS["report"], report_svc.report_choices()),
            "fmt": choice_field(LABELS["fmt"], list(FORMAT_LABELS.items()), default="pdf"),
            "language": choice_field(LABELS["language"], [("ru", "Русский"), ("es", "Español"), ("en", "English")]),
        }
        super().__init__(**kwargs)

    def pre_add(self, item: ScheduledReport) -> None:
        guarded(lambda: report_svc.validate_report(item, utcnow()))

    pre_update = pre_add

    @action("send_now", _l("Send now"), _l("Send the selected reports now?"), "fa-paper-plane", multiple=False)
    def send_now(self, items: Any) -> Response:
        item = items[0] if isinstance(items, list) else items
        try:
            run = report_svc.send_report(db.session, item.id, trigger=TRIGGER_MANUAL)
            flash(gettext("Report run: %(status)s, %(to)s", status=RUN_STATUS_LABELS.get(run.status, run.status),
                          to=run.recipients or "—"), "success" if run.status != "failed" else "danger")
        except DomainError as exc:
            from app.views.base import flash_domain_error

            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    @expose("/preview/<int:pk>")
    @has_access
    def preview(self, pk: int) -> Response:
        """The attachment as it would go out, in ?lang= (the report's language by default)."""
        report = db.session.get(ScheduledReport, pk)
        if report is None:
            abort(404)
        try:
            doc = report_svc.build_document(db.session, report, request.args.get("lang") or report.language,
                                            date.today())
        except DomainError as exc:
            from app.views.base import flash_domain_error

            flash_domain_error(exc)
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return Response(doc.content, mimetype=doc.mimetype,
                        headers={"Content-Disposition": f'inline; filename="{doc.filename}"'})


class ScheduledReportRunView(ReadOnlyModelView):
    datamodel = interface(ScheduledReportRun)
    class_permission_name = RESOURCE_KPI
    list_title = show_title = _l("Scheduled report runs")
    list_columns = ["started_at", "report", "trigger", "slot", "status", "recipients", "rows", "message"]
    show_columns = list_columns + ["outbox_ids"]
    search_columns = ["report", "status", "started_at"]
    label_columns = LABELS
    base_order = ("id", "desc")
    formatters_columns = {"status": lambda v: str(RUN_STATUS_LABELS.get(v, v))}


def register(appbuilder: Any) -> None:
    appbuilder.add_view(KpiView, "Dashboard", label=_l("Dashboard"), icon="fa-tachometer", category=CAT,
                        category_label=_l("KPI"), category_icon="fa-line-chart")
    appbuilder.add_view(KpiDefinitionView, "KPI definitions", label=_l("KPI definitions"), icon="fa-bullseye",
                        category=CAT)
    appbuilder.add_view(KpiRestatementView, "KPI restatements", label=_l("KPI restatements"), icon="fa-history",
                        category=CAT)
    appbuilder.add_view(ScheduledReportView, "Scheduled reports", label=_l("Scheduled reports"),
                        icon="fa-envelope-o", category=CAT)
    appbuilder.add_view(ScheduledReportRunView, "Scheduled report runs", label=_l("Scheduled report runs"),
                        icon="fa-list", category=CAT)
