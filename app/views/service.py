"""The Service menu: service requests (list with the SLA state, the page with state buttons, comments,
files and repairs), the SLA breaches list, working calendars, holidays, SLA policies, repairs per product.

Every change goes through app/services/service_desk (run_command: one use case, refusals in words); the
list reads each request's SLA state from its own stored deadlines, so it costs one query at any size.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.domain.documents import SERVICE_REQUEST
from app.domain.errors import DomainError
from app.domain.sla import AT_RISK, BREACHED, ON_TIME
from app.extensions import db
from app.models.base import utcnow
from app.models.service import (
    Holiday,
    ServiceComment,
    ServiceRepair,
    ServiceRequest,
    SlaPolicy,
    WorkingCalendar,
)
from app.models.stock import Warehouse
from app.permissions import ACTION_POST, ACTION_READ, ACTION_WRITE, CRUD, RESOURCE_QUALITY, RESOURCE_SERVICE, perm
from app.services.service_desk import complaint as complaint_service
from app.services.service_desk import repairs as repair_service
from app.services.service_desk import requests as service
from app.services.workflow import lazy_state_labels
from app.views.base import BaseModelView, choice_field, fmt_date, fmt_money, interface, run_command
from app.views.labels import COMMON_LABELS
from app.views.partners.widgets import partner_lookup
from app.views.show import show_page
from app.views.titles import titles

CAT_SERVICE = "ServiceMenu"
STATE_LABELS = lazy_state_labels(SERVICE_REQUEST)
CHANNEL_LABELS = {"phone": _l("Phone"), "email": _l("E-mail"), "visit": _l("Visit"), "web": _l("Web form"),
                  "messenger": _l("Messenger")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "critical": _l("Critical")}
SLA_LABELS = {ON_TIME: _l("On time"), AT_RISK: _l("At risk"), BREACHED: _l("Breached")}
SLA_CSS = {ON_TIME: "label-success", AT_RISK: "label-warning", BREACHED: "label-danger"}
LABELS = COMMON_LABELS | {
    "number": _l("Number"), "opened_at": _l("Opened"), "channel": _l("Channel"), "subject": _l("Subject"),
    "item": _l("Product"), "serial_no": _l("Serial / lot"), "shipment": _l("Shipment"), "priority": _l("Priority"),
    "assignee": _l("Assignee"), "sla_code": _l("SLA"), "response_due_at": _l("Respond by"),
    "resolution_due_at": _l("Resolve by"), "first_response_at": _l("First response"), "resolved_at": _l("Resolved"),
    "closed_at": _l("Closed"), "warranty": _l("Under warranty"), "warranty_until": _l("Warranty until"),
    "repair_cost": _l("Repair cost"), "chargeable": _l("To be paid by the client"), "reopened": _l("Reopened"),
    "paused_minutes": _l("Paused, working minutes"), "weekdays": _l("Working days (1 = Monday)"),
    "work_start_minute": _l("Work starts, minutes after midnight"),
    "work_end_minute": _l("Work ends, minutes after midnight"), "calendar": _l("Working calendar"),
    "day": _l("Day"), "holidays": _l("Holidays"), "response_minutes": _l("First response, working minutes"),
    "resolution_minutes": _l("Resolution, working minutes"),
}


def fmt_state(value: Any) -> str:
    return str(STATE_LABELS.get(value, value))


def fmt_sla(value: Any) -> Markup:
    return Markup('<span class="label %s sla-%s">%s</span>') % (SLA_CSS.get(value, ""), value,
                                                                  SLA_LABELS.get(value, value))


def _choices(labels: dict) -> list[tuple[str, Any]]:
    return list(labels.items())


class FilterSlaBreached(BaseFilter):
    """Open requests past a deadline (judged at the pause while waiting): the dashboard tile's list."""

    name = _l("SLA breached")
    arg_name = "slabreached"

    def apply(self, query, value):
        return query.filter(service.breached_condition(utcnow()))


@titles(_l("Service requests"), _l("Service request"), _l("New service request"), _l("Edit service request"))
class ServiceRequestView(BaseModelView):
    """Every client request: registered here or from the client card, worked on its page."""

    datamodel = interface(ServiceRequest)
    class_permission_name = RESOURCE_SERVICE
    method_permission_name = CRUD | {"act": ACTION_WRITE, "comment": ACTION_WRITE, "file": ACTION_READ,
                                     "repair": ACTION_POST, "complaint": ACTION_WRITE}
    show_template = "fabrika/service_request_show.html"
    add_template = "fabrika/service_request_add.html"  # knowledge-base articles suggested while typing
    exclude_route_methods = {"delete", "muldelete"}  # a request is history: it is closed, never deleted
    list_columns = ["number", "opened_at", "partner", "subject", "item", "priority", "state", "assignee", "sla_code",
                    "resolution_due_at"]
    export_columns = list_columns
    show_columns = ["number", "opened_at", "partner", "channel", "subject", "description", "item", "serial_no",
                    "shipment", "warranty", "warranty_until", "priority", "state", "assignee",
                    "response_due_at", "first_response_at", "resolution_due_at", "resolved_at", "closed_at",
                    "paused_minutes", "reopened", "repair_cost", "chargeable"]
    add_columns = ["partner", "channel", "priority", "subject", "description", "item", "serial_no", "shipment",
                   "assignee"]
    edit_columns = ["channel", "subject", "description", "serial_no", "assignee"]
    search_columns = ["number", "partner", "state", "priority", "assignee", "item", "serial_no", "opened_at",
                      "first_response_at", "resolved_at", "resolution_due_at"]
    order_columns = ["number", "opened_at", "priority", "state", "resolution_due_at"]
    base_order = ("opened_at", "desc")
    label_columns = LABELS
    formatters_columns = {"state": fmt_state, "sla_code": fmt_sla, "channel": lambda v: CHANNEL_LABELS.get(v, v),
                          "priority": lambda v: PRIORITY_LABELS.get(v, v), "warranty": lambda v: gettext(
                              "Yes") if v else gettext("No")}
    add_form_extra_fields = {
        "partner": partner_lookup(_l("Client"), interface(ServiceRequest), "partner"),
        "channel": choice_field(_l("Channel"), _choices(CHANNEL_LABELS), "phone"),
        "priority": choice_field(_l("Priority"), _choices(PRIORITY_LABELS), "normal"),
    }
    edit_form_extra_fields = {"channel": choice_field(_l("Channel"), _choices(CHANNEL_LABELS))}
    search_form_extra_fields = {"partner": partner_lookup(_l("Client"), interface(ServiceRequest), "partner")}

    def pre_add(self, item: ServiceRequest) -> None:
        """A page's new request is checked and numbered by the service, as one from the API is."""
        try:
            service.prepare(db.session, item)
        except DomainError as exc:
            raise ValueError("; ".join(exc.messages(gettext))) from exc

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        sm = self.appbuilder.sm
        can_write = sm.has_access(perm(ACTION_WRITE), RESOURCE_SERVICE)
        return show_page(self, pk, lambda req: dict(
            req=req, sla=service.sla_of(req), sla_labels=SLA_LABELS, sla_css=SLA_CSS, fmt_date=fmt_date,
            fmt_money=fmt_money, state=fmt_state(req.state),
            actions=[t for t in SERVICE_REQUEST.actions_from(req.state) if t.action != "repair"] if can_write else [],
            can_write=can_write, can_complain=can_write and sm.has_access(perm(ACTION_WRITE), RESOURCE_QUALITY),
            can_repair=sm.has_access(perm(ACTION_POST), RESOURCE_SERVICE)
            and SERVICE_REQUEST.allows(req.state, "repair"),
            comments=list(db.session.scalars(select(ServiceComment).where(ServiceComment.request_id == req.id)
                                             .order_by(ServiceComment.id))),
            repairs=list(db.session.scalars(select(ServiceRepair).where(ServiceRepair.request_id == req.id)
                                            .order_by(ServiceRepair.id))),
            warehouses=list(db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True))
                                               .order_by(Warehouse.code))),
            defective=repair_service.defective_warehouse(db.session)))

    @expose("/act/<int:pk>/<string:action>", methods=["POST"])
    @has_access
    def act(self, pk: int, action: str) -> Response:
        if action not in SERVICE_REQUEST.transitions or action == "repair":
            abort(404)
        return run_command(lambda: service.change_state(db.session, pk, action, request.form.get("comment", "")),
                           lambda req: gettext("Service request %(number)s: %(state)s", number=req.number,
                                               state=fmt_state(req.state)),
                           url_for(".show", pk=pk))

    @expose("/comment/<int:pk>", methods=["POST"])
    @has_access
    def comment(self, pk: int) -> Response:
        upload = request.files.get("file")
        content = upload.read() if upload and upload.filename else None
        return run_command(lambda: service.add_comment(
            db.session, pk, request.form.get("body", ""), filename=upload.filename if content else "",
            content=content, mimetype=(upload.mimetype if content else "") or "application/octet-stream"),
            lambda _c: gettext("Comment added"), url_for(".show", pk=pk))

    @expose("/file/<int:comment_id>")
    @has_access
    def file(self, comment_id: int) -> Response:
        row = db.session.get(ServiceComment, comment_id)
        if row is None or not row.content:
            abort(404)
        return Response(row.content, mimetype=row.mimetype or "application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{row.filename or "file"}"'})

    @expose("/repair/<int:pk>", methods=["POST"])
    @has_access
    def repair(self, pk: int) -> Response:
        form = request.form
        parts = [(int(i), q) for i, q in zip(form.getlist("part_item"), form.getlist("part_qty"), strict=False)
                 if i.isdigit() and q.strip()]
        wh = form.get("warehouse_id", "")
        defect = form.get("defective_warehouse_id", "")
        data = repair_service.RepairInput(int(wh) if wh.isdigit() else None, parts, form.get("labour", "0"),
                                          int(defect) if defect.isdigit() and form.get("return_defective") else None)
        return run_command(lambda: repair_service.repair(db.session, pk, data),
                           lambda r: gettext("Repair recorded: parts cost %(cost)s, to be paid %(charge)s",
                                             cost=fmt_money(r.cost).striptags(),
                                             charge=fmt_money(r.chargeable).striptags()),
                           url_for(".show", pk=pk))


    @expose("/complaint/<int:pk>", methods=["POST"])
    @has_access
    def complaint(self, pk: int) -> Response:
        """Open a complaint from the request (the client, product, words and lot carried over), then show it."""
        if not self.appbuilder.sm.has_access(perm(ACTION_WRITE), RESOURCE_QUALITY):
            abort(403)
        made: list[int] = []

        def command():
            complaint = complaint_service.open_complaint(db.session, pk)
            made.append(complaint.id)
            return complaint

        response = run_command(command, lambda c: gettext("Complaint %(number)s opened", number=c.number),
                               url_for(".show", pk=pk))
        return redirect(url_for("ComplaintView.show", pk=made[0])) if made else response


class SlaBreachView(ServiceRequestView):
    """Open requests past a deadline: the list the dashboard's service tile opens."""

    base_filters = [["state", FilterSlaBreached, ""]]
    list_title = _l("SLA breaches")


@titles(_l("Working calendars"), _l("Working calendar"))
class WorkingCalendarView(BaseModelView):
    datamodel = interface(WorkingCalendar)
    class_permission_name = RESOURCE_SERVICE
    list_columns = ["name", "weekdays", "work_start_minute", "work_end_minute"]
    add_columns = edit_columns = show_columns = ["name", "name_ru", "name_es", "weekdays", "work_start_minute",
                                                 "work_end_minute"]
    label_columns = LABELS


@titles(_l("Holidays"), _l("Holiday"))
class HolidayView(BaseModelView):
    datamodel = interface(Holiday)
    class_permission_name = RESOURCE_SERVICE
    list_columns = add_columns = edit_columns = show_columns = ["calendar", "day", "name"]
    base_order = ("day", "asc")
    label_columns = LABELS


@titles(_l("SLA policies"), _l("SLA policy"))
class SlaPolicyView(BaseModelView):
    datamodel = interface(SlaPolicy)
    class_permission_name = RESOURCE_SERVICE
    list_columns = add_columns = edit_columns = show_columns = ["priority", "response_minutes", "resolution_minutes",
                                                                "calendar"]
    formatters_columns = {"priority": lambda v: PRIORITY_LABELS.get(v, v)}
    add_form_extra_fields = edit_form_extra_fields = {
        "priority": choice_field(_l("Priority"), _choices(PRIORITY_LABELS))}
    label_columns = LABELS


class RepairReportView(BaseView):
    """Repairs per product: how many, how many under warranty, what the parts cost, what clients paid."""

    route_base = "/servicerepairs"
    default_view = "index"
    class_permission_name = RESOURCE_SERVICE
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> str:
        return self.render_template("fabrika/service_repairs.html", title=gettext("Repairs by product"),
                                    rows=repair_service.repairs_by_product(db.session), fmt_money=fmt_money)


def register(appbuilder) -> None:
    """The Service menu."""
    cat = dict(category=CAT_SERVICE)
    appbuilder.add_view(ServiceRequestView, "Service requests", label=_l("Service requests"), icon="fa-wrench",
                        category=CAT_SERVICE, category_label=_l("Service"), category_icon="fa-life-ring")
    appbuilder.add_view(SlaBreachView, "SLA breaches", label=_l("SLA breaches"), icon="fa-exclamation-triangle",
                        **cat)
    appbuilder.add_view(RepairReportView, "Repairs by product", label=_l("Repairs by product"), icon="fa-bar-chart",
                        **cat)
    appbuilder.add_separator(CAT_SERVICE)
    appbuilder.add_view(SlaPolicyView, "SLA policies", label=_l("SLA policies"), icon="fa-clock-o", **cat)
    appbuilder.add_view(WorkingCalendarView, "Working calendars", label=_l("Working calendars"), icon="fa-calendar",
                        **cat)
    appbuilder.add_view(HolidayView, "Holidays", label=_l("Holidays"), icon="fa-calendar-times-o", **cat)

