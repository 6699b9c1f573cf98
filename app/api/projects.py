"""REST API of projects and business processes: the same services and the same team filter as the pages.

Projects, tasks, task links and process templates are registers (a task, a link and a template pass the
same checks as their forms: prepare_task, prepare_link with the cycle refusal, check_template); a task's
state, its slips, comments, checklist and time go through command endpoints:

    POST /api/v1/project_task/<id>/transition {"action": "complete"}
    POST /api/v1/project_task/<id>/slip {"due_date": "2026-03-10", "start_date": "2026-03-09"?}
    POST /api/v1/project_task/<id>/comment {"body": "..."}
    POST /api/v1/project_task/<id>/checklist {"text": "..."}
    POST /api/v1/project_task/<id>/time {"minutes": 90, "work_date": "2026-03-09"?, "note": "..."?}
    POST /api/v1/process_template/<id>/publish
    GET  /api/v1/process_template/<id>/dry_run
"""

from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.filters import BaseFilter

from app.api import params as p
from app.api.base import FabrikaApi
from app.domain.errors import DomainError
from app.extensions import db
from app.models.projects import ProcessTemplate, Project, ProjectTask, TaskLink
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, RESOURCE_PROCESS, RESOURCE_PROJECT
from app.services.projects import access
from app.services.projects import processes as proc
from app.services.projects import tasks as svc
from app.views.base import FabrikaInterface


def _body_doc(properties: str, required: str, answer: str) -> str:
    return f"""
        ---
        post:
          parameters:
          - {{in: path, name: pk, required: true, schema: {{type: integer}}}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [{required}]
                  properties: {{{properties}}}
          responses:
            200:
              description: done
              content:
                application/json:
                  schema: {{type: object, properties: {{{answer}}}}}
"""


class _TeamProjects(BaseFilter):
    name = "team"
    arg_name = "team"

    def apply(self, query, value):
        return query.filter(access.visible_projects(access.request_user()))


class _TeamTasks(BaseFilter):
    name = "team"
    arg_name = "team"

    def apply(self, query, value):
        return query.filter(access.visible_tasks(access.request_user()))


class ProjectApi(FabrikaApi):
    resource_name = "project"
    datamodel = FabrikaInterface(Project)
    class_permission_name = RESOURCE_PROJECT
    base_filters = [["id", _TeamProjects, ""]]
    list_columns = show_columns = ["id", "code", "name", "name_ru", "name_es", "state", "description", "start_date",
                                   "owner.id", "partner.id", "deal.id", "proposal.id", "sales_order.id"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "state", "description", "start_date", "owner",
                                  "partner", "deal", "proposal", "sales_order"]
    search_columns = ["code", "name", "state", "partner", "owner", "sales_order"]
    method_permission_name = CRUD | {"order_delays": ACTION_READ}

    @expose("/order_delays/<int:order_id>", methods=["GET"])
    @protect()
    @safe
    def order_delays(self, order_id: int):
        """How the projects delivering a customer order delay it (their last open task after its promised day).
        ---
        get:
          parameters:
          - {in: path, name: order_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: one row per late project
              content:
                application/json:
                  schema: {type: object, properties: {promised: {type: string, format: date},
                           delays: {type: array, items: {type: object}}}}
        """
        from app.models.sales import SalesOrder
        from app.services.projects.delays import order_delays, promised_day

        order = db.session.get(SalesOrder, order_id)
        if order is None:
            return self.response_404()
        day = promised_day(order)
        return self.response(200, promised=day.isoformat() if day else None,
                             delays=[d.as_json() for d in order_delays(db.session, order)])


class ProjectTaskApi(FabrikaApi):
    resource_name = "project_task"
    datamodel = FabrikaInterface(ProjectTask)
    class_permission_name = RESOURCE_PROJECT
    method_permission_name = CRUD | {m: ACTION_WRITE for m in ("transition", "slip", "comment", "checklist", "time")}
    base_filters = [["id", _TeamTasks, ""]]
    list_columns = show_columns = ["id", "project.id", "title", "description", "state", "assignee.id",
                                   "assignee_role.id", "start_date", "due_date", "estimate_hours", "is_milestone",
                                   "production_order.id", "work_center.id", "done_at", "done_by"]
    add_columns = edit_columns = ["project", "title", "description", "assignee", "assignee_role", "start_date",
                                  "due_date", "estimate_hours", "is_milestone", "production_order", "work_center"]
    search_columns = ["project", "title", "state", "assignee", "assignee_role", "due_date"]

    def pre_add(self, item) -> None:
        super().pre_add(item)
        svc.prepare_task(db.session, item)

    def pre_update(self, item) -> None:
        super().pre_update(item)
        svc.prepare_task(db.session, item)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk: int):
        """Start, review, complete, reopen or cancel a task (a process task lets its process go on)."""
        def run():
            body = p.json_body(required=True)
            action = p.text(body.get("action"), "action", max_len=32, required=True)
            return svc.move_task(db.session, pk, action)

        return self.command(run, lambda t: {"id": t.id, "state": t.state})

    transition.__doc__ += _body_doc("action: {type: string}", "action", "id: {type: integer}, state: {type: string}")

    @expose("/<int:pk>/slip", methods=["POST"])
    @protect()
    @safe
    def slip(self, pk: int):
        """Move a task's dates; its dependants follow by the working days their links require."""
        def run():
            body = p.json_body(required=True)
            due, start = p.collect(lambda: p.day(body.get("due_date"), "due_date", required=True),
                                   lambda: p.day(body.get("start_date"), "start_date"))
            return svc.slip_task(db.session, pk, due, start)

        return self.command(run, lambda s: {"id": s.task.id, "moved": [
            {"id": m.task_id, "start_date": m.new_start.isoformat(), "due_date": m.new_due.isoformat()}
            for m in s.moves]})

    slip.__doc__ += _body_doc("due_date: {type: string, format: date}, start_date: {type: string, format: date}",
                              "due_date", "id: {type: integer}, moved: {type: array, items: {type: object}}")

    @expose("/<int:pk>/comment", methods=["POST"])
    @protect()
    @safe
    def comment(self, pk: int):
        """Comment on a task."""
        def run():
            body = p.json_body(required=True)
            return svc.add_comment(db.session, pk, p.text(body.get("body"), "body", max_len=5000, required=True))

        return self.command(run, lambda c: {"id": c.id}, 201)

    comment.__doc__ += _body_doc("body: {type: string}", "body", "id: {type: integer}").replace("200:", "201:")

    @expose("/<int:pk>/checklist", methods=["POST"])
    @protect()
    @safe
    def checklist(self, pk: int):
        """Add an item to a task's checklist."""
        def run():
            body = p.json_body(required=True)
            return svc.add_check(db.session, pk, p.text(body.get("text"), "text", max_len=300, required=True))

        return self.command(run, lambda c: {"id": c.id}, 201)

    checklist.__doc__ += _body_doc("text: {type: string}", "text", "id: {type: integer}").replace("200:", "201:")

    @expose("/<int:pk>/time", methods=["POST"])
    @protect()
    @safe
    def time(self, pk: int):
        """Log time on a task (a production order's task adds its labour to the order's actual cost)."""
        def run():
            body = p.json_body(required=True)
            minutes, day, note = p.collect(
                lambda: p.integer(body.get("minutes"), "minutes", low=1, high=24 * 60),
                lambda: p.day(body.get("work_date"), "work_date"),
                lambda: p.text(body.get("note"), "note", max_len=300))
            return svc.log_time(db.session, pk, minutes, day, note or "")

        return self.command(run, lambda e: {"id": e.id, "labour_cost": str(e.labour_cost)}, 201)

    time.__doc__ += _body_doc("minutes: {type: integer}, work_date: {type: string, format: date}, note: {type: string}",
                              "minutes", "id: {type: integer}, labour_cost: {type: string}").replace("200:", "201:")


class TaskLinkApi(FabrikaApi):
    resource_name = "project_task_link"
    datamodel = FabrikaInterface(TaskLink)
    class_permission_name = RESOURCE_PROJECT
    list_columns = show_columns = ["id", "predecessor.id", "successor.id", "lag_days"]
    add_columns = edit_columns = ["predecessor", "successor", "lag_days"]

    def pre_add(self, item) -> None:
        super().pre_add(item)
        svc.prepare_link(db.session, item)

    def pre_update(self, item) -> None:
        super().pre_update(item)
        svc.prepare_link(db.session, item)


class ProcessTemplateApi(FabrikaApi):
    resource_name = "process_template"
    datamodel = FabrikaInterface(ProcessTemplate)
    class_permission_name = RESOURCE_PROCESS
    method_permission_name = CRUD | {"publish": ACTION_WRITE, "dry_run": ACTION_READ}
    list_columns = show_columns = ["id", "code", "name", "name_ru", "name_es", "event", "condition", "steps", "active"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "event", "condition", "steps", "active"]

    def pre_add(self, item) -> None:
        super().pre_add(item)
        proc.check_template(item)

    def pre_update(self, item) -> None:
        super().pre_update(item)
        proc.check_template(item)

    @expose("/<int:pk>/publish", methods=["POST"])
    @protect()
    @safe
    def publish(self, pk: int):
        """Freeze the template's condition and steps as its next version; running instances keep theirs."""
        return self.command(lambda: proc.publish(db.session, pk), lambda v: {"id": v.id, "number": v.number}, 201)

    publish.__doc__ += """
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            201:
              description: the version
              content:
                application/json:
                  schema: {type: object, properties: {id: {type: integer}, number: {type: integer}}}
"""

    @expose("/<int:pk>/dry_run", methods=["GET"])
    @protect()
    @safe
    def dry_run(self, pk: int):
        """What the template (as it is now) would have done over the last 90 days of its event.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: the totals
              content:
                application/json:
                  schema: {type: object}
        """
        template = db.session.get(ProcessTemplate, pk)
        if template is None:
            return self.response_404()
        try:
            r = proc.dry_run(db.session, template)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, events=r.events, matched=r.matched, tasks=r.tasks, per_step=r.per_step,
                             missed=r.missed, missed_by_role=r.missed_by_role,
                             weekly_hours={who: {w.isoformat(): str(h) for w, h in weeks.items()}
                                           for who, weeks in r.weekly_hours.items()})


APIS = (ProjectApi, ProjectTaskApi, TaskLinkApi, ProcessTemplateApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
