"""REST API of the service desk: service requests (registered, moved, commented, repaired), SLA set-up.

A request is created through the service (`POST /api/v1/service_request/`: number, warranty, deadlines),
changes state only by `POST /api/v1/service_request/<id>/transition {"action": "start", "comment": ""}`,
takes comments by `POST .../<id>/comment {"body": ""}` and repairs by `POST .../<id>/repair
{"warehouse_id": 1, "parts": [{"item_id": 2, "qty": "1"}], "labour": "0", "defective_warehouse_id": null}`
(the post right on Service). Each response carries the request's SLA state (on_time / at_risk / breached).
"""

from __future__ import annotations

from collections.abc import Callable

from flask_appbuilder.api import expose, protect, safe

from app.api import params as p
from app.api.base import PATH_PK, FabrikaApi, command_doc
from app.extensions import db
from app.models.service import SERVICE_CHANNELS, SERVICE_PRIORITIES, Holiday, ServiceRequest, SlaPolicy, WorkingCalendar
from app.permissions import ACTION_POST, ACTION_WRITE, CRUD, RESOURCE_QUALITY, RESOURCE_SERVICE, perm
from app.services.service_desk import repairs
from app.services.service_desk import requests as svc
from app.services.service_desk.complaint import open_complaint
from app.views.base import FabrikaInterface

_TEXT, _INT = {"type": "string"}, {"type": "integer"}
_BODIES = {
    "transition": {"type": "object", "required": ["action"], "properties": {"action": _TEXT, "comment": _TEXT}},
    "comment": {"type": "object", "required": ["body"], "properties": {"body": _TEXT}},
    "repair": {"type": "object", "required": ["warehouse_id", "parts"], "properties": {
        "warehouse_id": _INT, "defective_warehouse_id": _INT, "labour": _TEXT, "parts": {"type": "array", "items": {
            "type": "object", "required": ["item_id", "qty"], "properties": {"item_id": _INT, "qty": _TEXT}}}}},
}
_REQUEST_STATE = {"type": "object", "properties": {"id": _INT, "state": _TEXT, "sla": _TEXT}}


def _post_doc(body: str) -> Callable:
    """The OpenAPI part of a request command: its request body and the request it returns."""
    return command_doc(_REQUEST_STATE, "the request after the command", body=_BODIES[body], parameters=PATH_PK)


def _request_out(req: ServiceRequest) -> dict:
    return {"id": req.id, "number": req.number, "state": req.state, "sla": req.sla_code(),
            "warranty": req.warranty, "repair_cost": str(req.repair_cost), "chargeable": str(req.chargeable)}


class _Service(FabrikaApi):
    class_permission_name = RESOURCE_SERVICE


class ServiceRequestApi(_Service):
    resource_name = "service_request"
    datamodel = FabrikaInterface(ServiceRequest)
    method_permission_name = CRUD | {"transition": ACTION_WRITE, "comment": ACTION_WRITE, "repair": ACTION_POST,
                                     "complaint": ACTION_WRITE}
    include_route_methods = {"get", "get_list", "info", "post", "put", "transition", "comment", "repair", "complaint"}
    list_columns = show_columns = [
        "id", "number", "opened_at", "partner.id", "partner.name", "channel", "subject", "description", "item.id",
        "serial_no", "shipment.id", "priority", "assignee.id", "state", "warranty", "warranty_until",
        "response_due_at", "first_response_at", "resolution_due_at", "resolved_at", "closed_at", "paused_minutes",
        "reopened", "repair_cost", "chargeable"]
    add_columns = ["partner", "channel", "priority", "subject", "description", "item", "serial_no", "shipment",
                   "assignee"]
    edit_columns = ["channel", "subject", "description", "serial_no", "assignee"]
    search_columns = ["number", "partner", "state", "priority", "assignee", "item", "serial_no", "opened_at",
                      "resolution_due_at"]

    def post_headless(self):
        """Register a request through the service desk (number, warranty, SLA deadlines), not FAB's CRUD."""
        def use_case():
            body = p.json_body(required=True)
            partner, channel, priority, subject, description, item, serial, shipment, assignee = p.collect(
                lambda: p.ident(body.get("partner_id", body.get("partner")), "partner_id", required=True),
                lambda: p.choice(body.get("channel"), "channel", SERVICE_CHANNELS, default="phone"),
                lambda: p.choice(body.get("priority"), "priority", SERVICE_PRIORITIES, default="normal"),
                lambda: p.text(body.get("subject"), "subject", max_len=200, required=True),
                lambda: p.text(body.get("description"), "description"),
                lambda: p.ident(body.get("item_id", body.get("item")), "item_id"),
                lambda: p.text(body.get("serial_no"), "serial_no", max_len=64),
                lambda: p.ident(body.get("shipment_id", body.get("shipment")), "shipment_id"),
                lambda: p.ident(body.get("assignee_id", body.get("assignee")), "assignee_id"))
            return svc.create_request(db.session, svc.RequestInput(
                partner_id=partner, channel=channel, priority=priority, subject=subject, description=description or "",
                item_id=item, serial_no=serial or "", shipment_id=shipment, assignee_id=assignee))

        return self.command(use_case, _request_out, status=201)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @_post_doc("transition")
    def transition(self, pk: int):
        """Move a request by a workflow action (start, wait, resolve, close, reopen...)."""
        def use_case():
            body = p.json_body(required=True)
            action, comment = p.collect(lambda: p.text(body.get("action"), "action", max_len=32, required=True),
                                        lambda: p.text(body.get("comment"), "comment", max_len=2000))
            return svc.change_state(db.session, pk, action, comment or "")

        return self.command(use_case, _request_out)

    @expose("/<int:pk>/comment", methods=["POST"])
    @protect()
    @safe
    @_post_doc("comment")
    def comment(self, pk: int):
        """Add a comment (the first one is the first response)."""
        def use_case():
            body = p.json_body(required=True)
            svc.add_comment(db.session, pk, p.text(body.get("body"), "body", max_len=10_000) or "")
            return db.session.get(ServiceRequest, pk)

        return self.command(use_case, _request_out)

    @expose("/<int:pk>/repair", methods=["POST"])
    @protect()
    @safe
    @_post_doc("repair")
    def repair(self, pk: int):
        """Repair: issue the parts from stock (FIFO cost kept; free under warranty)."""
        def use_case():
            body = p.json_body(required=True)
            warehouse, defective, labour = p.collect(
                lambda: p.ident(body.get("warehouse_id"), "warehouse_id", required=True),
                lambda: p.ident(body.get("defective_warehouse_id"), "defective_warehouse_id"),
                lambda: p.number(body.get("labour"), "labour", money=True))
            parts = [(p.ident(line.get("item_id"), "item_id", required=True, line=n),
                      p.number(line.get("qty"), "qty", required=True, line=n))
                     for n, line in p.lines(body, "parts", required=True) or []]
            repairs.repair(db.session, pk, repairs.RepairInput(warehouse, parts, labour if labour is not None else "0",
                                                               defective))
            return db.session.get(ServiceRequest, pk)

        return self.command(use_case, _request_out)

    @expose("/<int:pk>/complaint", methods=["POST"])
    @protect()
    @safe
    @command_doc({"type": "object", "properties": {"id": _INT, "number": _TEXT, "state": _TEXT}},
                 "the complaint opened", status=201, parameters=PATH_PK)
    def complaint(self, pk: int):
        """Open a complaint from the request (client, product, subject, description and lot carried over); it needs
        the write right on Quality too."""
        if not self.appbuilder.sm.has_access(perm(ACTION_WRITE), RESOURCE_QUALITY):
            return self.response_403()
        return self.command(lambda: open_complaint(db.session, pk),
                            lambda c: {"id": c.id, "number": c.number, "state": c.state}, status=201)


class WorkingCalendarApi(_Service):
    resource_name = "working_calendar"
    datamodel = FabrikaInterface(WorkingCalendar)
    list_columns = show_columns = ["id", "name", "name_ru", "name_es", "weekdays", "work_start_minute",
                                   "work_end_minute"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "weekdays", "work_start_minute", "work_end_minute"]


class HolidayApi(_Service):
    resource_name = "working_calendar_holiday"
    datamodel = FabrikaInterface(Holiday)
    list_columns = show_columns = ["id", "calendar.id", "day", "name"]
    add_columns = edit_columns = ["calendar", "day", "name"]


class SlaPolicyApi(_Service):
    resource_name = "sla_policy"
    datamodel = FabrikaInterface(SlaPolicy)
    list_columns = show_columns = ["id", "priority", "response_minutes", "resolution_minutes", "calendar.id"]
    add_columns = edit_columns = ["priority", "response_minutes", "resolution_minutes", "calendar"]


APIS = (ServiceRequestApi, WorkingCalendarApi, HolidayApi, SlaPolicyApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
