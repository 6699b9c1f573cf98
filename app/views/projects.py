"""Pages of projects and tasks (lists, cards, the board, the timeline, "my tasks") and of business processes.

Pages parse input and call app.services.projects. Lists and cards show only what the user's team may
see (access.visible_projects); the board moves a card with a JSON POST like the deals board (the same
Sortable drag, app/static/js/projects_board.js), refused moves answered 422 in words; the timeline draws
the vendored frappe-gantt with each person's hours per week under it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.planning import BOARD_COLUMNS, PROJECT_TASK
from app.extensions import db
from app.models.projects import (
    EVENT_KINDS,
    PROJECT_STATES,
    ChecklistItem,
    ProcessInstance,
    ProcessTemplate,
    Project,
    ProjectTask,
    TaskAttachment,
    TaskComment,
    TaskLink,
    TimeEntry,
)
from app.permission_labels import role_label
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_PROCESS, RESOURCE_PROJECT
from app.services.projects import access, files
from app.services.projects import processes as proc
from app.services.projects import tasks as svc
from app.services.projects.calendar import person_ics
from app.services.workflow import lazy_state_labels, state_choices
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    choice_field,
    file_response,
    fmt_date,
    fmt_number,
    interface,
    locale_name,
    run_command,
)
from app.views.labels import COMMON_LABELS
from app.views.production.common import ShowWithActions, action
from app.views.show import show_page
from app.views.titles import titles

CATEGORY = "ProjectsMenu"
LABELS = COMMON_LABELS | {
    "project": _l("Project"), "title": _l("Task"), "assignee": _l("Assignee"), "assignee_role": _l("Role"),
    "start_date": _l("Start"), "due_date": _l("Deadline"), "estimate_hours": _l("Estimate, h"),
    "is_milestone": _l("Milestone"), "production_order": _l("Production order"), "work_center": _l("Work centre"),
    "owner": _l("Owner"), "members": _l("Team"), "partner": _l("Client"), "deal": _l("Deal"),
    "proposal": _l("Proposal (TCP)"), "sales_order": _l("Customer order"), "predecessor": _l("Previous task"),
    "successor": _l("Next task"), "lag_days": _l("Lag, working days"), "text": _l("Item"), "done": _l("Done"),
    "body": _l("Comment"), "created_by": _l("Author"), "user": _l("Employee"), "work_date": _l("Date"),
    "minutes": _l("Minutes"), "labour_cost": _l("Labour cost"), "event": _l("Event"), "condition": _l("Condition"),
    "steps": _l("Steps (JSON)"), "active": _l("Active"), "version": _l("Version"), "step_index": _l("Step"),
    "started_at": _l("Started"), "finished_at": _l("Finished"), "done_at": _l("Done at"), "done_by": _l("Done by"),
    "task": _l("Task"),
}
PROJECT_STATE_LABELS = {"active": _l("Active"), "on_hold": _l("On hold"), "done": _l("Done"),
                        "cancelled": _l("Cancelled")}
# "Order confirmed" as an event, not the order's state (ru "Подтверждён"): its own context
EVENT_LABELS = {"order_confirmed": lazy_pgettext("process event", "Order confirmed"),
                "proposal_approved": _l("TCP approved"),
                "complaint_registered": _l("Complaint registered"), "payment_overdue": _l("Payment overdue"),
                "shortage_found": _l("Shortage found by the logistics analysis"), "kpi_red": _l("KPI turned red")}
INSTANCE_LABELS = {"running": _l("Running"), "done": _l("Finished"), "cancelled": _l("Cancelled")}
TASK_STATES = lazy_state_labels(PROJECT_TASK)
ICONS = {"start": "fa-play", "review": "fa-eye", "complete": "fa-check", "reopen": "fa-undo", "cancel": "fa-times"}


def _labelled(labels: dict):
    return lambda value: str(labels.get(value, value or ""))


def _kilobytes(size: int) -> str:
    """A file's size in KB with one decimal, in the reader's number format (inside running text)."""
    from babel.numbers import format_decimal

    return format_decimal(round(size / 1024, 1), format="#,##0.0", locale=locale_name())


def _state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, TASK_STATES.get(value, value))


def _refuse_in_words(check, item) -> None:
    """FAB shows a ValueError raised before a save as the form's message: the problems, translated."""
    try:
        check(db.session, item)
    except DomainError as exc:
        raise ValueError(" ".join(exc.messages(gettext))) from exc


class FilterVisibleProjects(BaseFilter):
    """The projects of the user's team (Admin and Manager: all)."""

    name = _l("My team's projects")
    arg_name = "teamprojects"

    def apply(self, query, value):
        return query.filter(access.visible_projects(access.request_user()))


class FilterVisibleTasks(BaseFilter):
    name = _l("My team's tasks")
    arg_name = "teamtasks"

    def apply(self, query, value):
        return query.filter(access.visible_tasks(access.request_user()))


class _Projects:
    class_permission_name = RESOURCE_PROJECT
    label_columns = LABELS


# --- tasks and what hangs on them -----------------------------------------------------------------

@titles(_l("Checklist"), _l("Checklist item"), _l("New checklist item"), _l("Edit checklist item"))
class ChecklistItemView(_Projects, BaseModelView):
    datamodel = interface(ChecklistItem)
    list_columns = ["task", "text", "done"]
    add_columns = edit_columns = show_columns = ["task", "text", "done"]


@titles(_l("Comments"), _l("Comment"), _l("New comment"), _l("Edit comment"))
class TaskCommentView(_Projects, BaseModelView):
    datamodel = interface(TaskComment)
    list_columns = ["task", "body", "created_by", "created_at"]
    add_columns = edit_columns = ["task", "body"]
    show_columns = list_columns
    base_order = ("id", "asc")

    def pre_add(self, item: TaskComment) -> None:
        from app.services.base import current_actor

        item.created_by = current_actor().username


@titles(_l("Time logged"), _l("Time entry"), _l("New time entry"), _l("Edit time entry"))
class TimeEntryView(_Projects, BaseModelView):
    datamodel = interface(TimeEntry)
    method_permission_name = CRUD
    list_columns = ["task", "user", "work_date", "minutes", "labour_cost", "note"]
    add_columns = ["task", "user", "work_date", "minutes", "note"]
    edit_columns = ["note"]
    show_columns = list_columns
    base_order = ("work_date", "desc")

    def pre_add(self, item: TimeEntry) -> None:
        """The time goes through the service, so a production order's task charges its labour."""
        if not item.minutes or item.minutes <= 0 or item.minutes > 24 * 60:
            raise ValueError(gettext("%(field)s must be between 1 and 1440 minutes", field=gettext("Minutes")))
        task = item.task or db.session.get(ProjectTask, item.task_id)
        if task is not None and task.production_order_id:
            from app.services.production.costing import charge_task_labour

            item.labour_cost = charge_task_labour(db.session, task.production_order_id, task.work_center_id,
                                                  item.minutes)


@titles(_l("Task links"), _l("Task link"), _l("New task link"), _l("Edit task link"))
class TaskLinkView(_Projects, BaseModelView):
    datamodel = interface(TaskLink)
    list_columns = ["predecessor", "successor", "lag_days"]
    add_columns = edit_columns = show_columns = ["predecessor", "successor", "lag_days"]

    def pre_add(self, item: TaskLink) -> None:
        _refuse_in_words(svc.prepare_link, item)

    pre_update = pre_add

    def post_add(self, item: TaskLink) -> None:
        """The successor follows the new link at once (its own use case: FAB committed the link)."""
        from app.services.base import run_use_case

        run_use_case(db.session, lambda: svc.reschedule_from(db.session, item.predecessor))

    post_update = post_add


def _move_endpoint(name: str):
    def move(self, pk: int) -> Response:
        return run_command(lambda: svc.move_task(db.session, pk, name), lambda _t: gettext("Task saved"),
                           url_for("ProjectTaskView.show", pk=pk))

    move.__name__ = f"move_{name}"
    return expose(f"/move/{name}/<int:pk>", methods=["POST"])(has_access(move))


@titles(_l("Tasks"), _l("Task"), _l("New task"), _l("Edit task"))
class ProjectTaskView(_Projects, ShowWithActions):
    datamodel = interface(ProjectTask)
    method_permission_name = CRUD | {f"move_{a}": ACTION_WRITE for a in PROJECT_TASK.transitions} | {
        "comment": ACTION_WRITE, "log": ACTION_WRITE, "attach": ACTION_WRITE, "attachment": ACTION_READ,
        "drop_attachment": ACTION_WRITE}
    show_template = "fabrika/projects/task_show.html"
    base_filters = [["id", FilterVisibleTasks, ""]]
    related_views = [ChecklistItemView, TaskCommentView, TimeEntryView]
    list_columns = ["title", "project", "assignee", "assignee_role", "start_date", "due_date", "estimate_hours",
                    "state"]
    add_columns = edit_columns = ["project", "title", "description", "assignee", "assignee_role", "start_date",
                                  "due_date", "estimate_hours", "is_milestone", "production_order", "work_center"]
    show_columns = ["project", "title", "description", "state", "assignee", "assignee_role", "start_date", "due_date",
                    "estimate_hours", "is_milestone", "production_order", "work_center", "done_at", "done_by"]
    search_columns = ["title", "project", "assignee", "assignee_role", "due_date", "state"]
    search_form_extra_fields = {"state": choice_field(_l("State"), state_choices(PROJECT_TASK))}
    formatters_columns = {"state": _state}
    base_order = ("due_date", "asc")

    def pre_add(self, item: ProjectTask) -> None:
        _refuse_in_words(svc.prepare_task, item)

    def pre_update(self, item: ProjectTask) -> None:
        """A changed date moves the dependants in the same save (they and their people are told)."""
        _refuse_in_words(svc.prepare_task, item)
        db.session.flush()
        svc.reschedule_from(db.session, item)

    def _doc_actions(self, item: ProjectTask) -> list[dict]:
        if not self._can(ACTION_WRITE):
            return []
        out = [action(f"move_{t.action}", gettext(t.label), ICONS.get(t.action, "fa-arrow-right"),
                      "btn-danger" if t.action == "cancel" else "btn-default", method="post")
               for t in PROJECT_TASK.actions_from(item.state)]
        out.append(action("comment", gettext("Comment"), "fa-comment", method="post", reason=gettext("Comment")))
        out.append(action("log", gettext("Log time"), "fa-clock-o", method="post", reason=gettext("Minutes")))
        return out

    for _name in PROJECT_TASK.transitions:
        locals()[f"move_{_name}"] = _move_endpoint(_name)
    del _name

    @expose("/comment/<int:pk>", methods=["POST"])
    @has_access
    def comment(self, pk: int) -> Response:
        text = request.form.get("reason", "")
        return run_command(lambda: svc.add_comment(db.session, pk, text), lambda _c: gettext("Comment added"),
                           url_for("ProjectTaskView.show", pk=pk))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The task with its command buttons and its files (an upload form for those who may write)."""
        return show_page(self, pk, lambda item: {
            "doc_actions": self._doc_actions(item), "files": item.attachments, "can_attach": self._can(ACTION_WRITE),
            "max_mb": files.MAX_BYTES // (1024 * 1024), "accept": ",".join(f".{e}" for e in sorted(files.ALLOWED)),
            "fmt_date": fmt_date, "kb": _kilobytes})

    @expose("/attach/<int:pk>", methods=["POST"])
    @has_access
    def attach(self, pk: int) -> Response:
        upload = request.files.get("file")
        name = upload.filename if upload is not None else ""
        content = upload.read(files.MAX_BYTES + 1) if upload is not None else b""
        return run_command(lambda: files.attach(db.session, pk, name, upload.mimetype if upload else "", content),
                           lambda a: gettext("File %(name)s attached", name=a.filename),
                           url_for("ProjectTaskView.show", pk=pk))

    @expose("/attachment/<int:file_id>", methods=["GET"])
    @has_access
    def attachment(self, file_id: int) -> Response:
        """Download a file: only of a task the user sees (404 otherwise, as for the task itself)."""
        try:
            row = files.readable(db.session, file_id)
        except DomainError:
            abort(404)
        return file_response(row.content, row.filename)

    @expose("/attachment/<int:file_id>/delete", methods=["POST"])
    @has_access
    def drop_attachment(self, file_id: int) -> Response:
        row = db.session.get(TaskAttachment, file_id)
        back = url_for("ProjectTaskView.show", pk=row.task_id) if row else url_for("ProjectTaskView.list")
        return run_command(lambda: files.remove(db.session, file_id), lambda _t: gettext("File deleted"), back)

    @expose("/log/<int:pk>", methods=["POST"])
    @has_access
    def log(self, pk: int) -> Response:
        raw = (request.form.get("reason") or "").strip()
        minutes = int(raw) if raw.isdigit() else 0
        return run_command(lambda: svc.log_time(db.session, pk, minutes), lambda _e: gettext("Time logged"),
                           url_for("ProjectTaskView.show", pk=pk))


# --- projects -------------------------------------------------------------------------------------

@titles(_l("Projects"), _l("Project"), _l("New project"), _l("Edit project"))
class ProjectView(_Projects, ShowWithActions):
    datamodel = interface(Project)
    base_filters = [["id", FilterVisibleProjects, ""]]
    related_views = [ProjectTaskView]
    list_columns = ["code", "name", "state", "partner", "sales_order", "owner", "start_date"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "state", "description", "start_date", "owner",
                                  "members", "partner", "deal", "proposal", "sales_order"]
    show_columns = add_columns
    search_columns = ["code", "name", "state", "partner", "owner", "start_date"]
    add_form_extra_fields = edit_form_extra_fields = {
        "state": choice_field(_l("State"), [(s, PROJECT_STATE_LABELS[s]) for s in PROJECT_STATES], default="active")}
    formatters_columns = {"state": _labelled(PROJECT_STATE_LABELS),
                          "members": lambda users: Markup("<br>").join(str(u) for u in users or [])}
    base_order = ("code", "asc")

    def _doc_actions(self, item: Project) -> list[dict]:
        board = url_for("ProjectBoardView.board", pk=item.id)
        return [dict(action("board", gettext("Board"), "fa-columns"), url=board),
                dict(action("timeline", gettext("Timeline"), "fa-tasks"),
                     url=url_for("ProjectBoardView.timeline", pk=item.id))]


def _visible_project(pk: int) -> Project:
    project = db.session.scalar(select(Project).where(Project.id == pk,
                                                      access.visible_projects(access.request_user())))
    if project is None:
        abort(404)
    return project


class ProjectBoardView(BaseView):
    """A project's kanban board and its timeline with the weekly load of each person."""

    route_base = "/projects"
    default_view = "mine"
    class_permission_name = RESOURCE_PROJECT
    method_permission_name = {"board": ACTION_READ, "timeline": ACTION_READ, "team": ACTION_READ, "move": ACTION_WRITE,
                              "mine": ACTION_READ, "ics": ACTION_READ}

    @expose("/board/<int:pk>")
    @has_access
    def board(self, pk: int) -> Any:
        project = _visible_project(pk)
        columns = svc.board(db.session, project)
        return self.render_template(
            "fabrika/projects/board.html", title=gettext("Board: %(project)s", project=project.label()),
            project=project, columns=[(s, TASK_STATES[s], columns[s]) for s in BOARD_COLUMNS], fmt_date=fmt_date,
            who=svc.who_of, can_write=self.appbuilder.sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_PROJECT))

    @expose("/board/move", methods=["POST"])
    @has_access_api
    def move(self) -> Response:
        """Move a card: JSON {task_id, state, position?} -> {ok, state} or 422 {ok: false, messages}."""
        body = request.get_json(silent=True) or {}
        try:
            task_id, state = int(body.get("task_id")), str(body.get("state") or "")
            position = int(body["position"]) if body.get("position") is not None else None
        except (TypeError, ValueError):
            return jsonify(ok=False, messages=[gettext("Choose a task and a column")]), 400
        from app.services.base import run_use_case

        try:
            task = run_use_case(db.session, lambda: svc.set_state(db.session, task_id, state, position))
        except DomainError as exc:
            return jsonify(ok=False, messages=exc.messages(gettext)), 422
        return jsonify(ok=True, task_id=task.id, state=task.state)

    @expose("/timeline/<int:pk>")
    @has_access
    def timeline(self, pk: int) -> Any:
        project = _visible_project(pk)
        return self._timeline(gettext("Timeline: %(project)s", project=project.label()), project,
                              svc.timeline(db.session, project))

    @expose("/team/")
    @has_access
    def team(self) -> Any:
        """Every live project the reader sees on one timeline, with each person's load per week across them."""
        projects = list(db.session.scalars(select(Project).where(
            Project.state.in_(("active", "on_hold")), access.visible_projects(access.request_user()))
            .order_by(Project.code)))
        return self._timeline(gettext("Team timeline"), None, svc.team_timeline(db.session, projects), "Month"
                              if len(projects) > 10 else "Week")

    def _timeline(self, title: str, project: Project | None, data: dict, view_mode: str = "Week") -> Any:
        return self.render_template(
            "fabrika/projects/timeline.html", title=title, project=project, data=data, fmt_date=fmt_date,
            fmt_number=fmt_number, lang=locale_name()[:2], view_mode=view_mode, week_hours=int(svc.WEEK_HOURS))

    @expose("/mine/")
    @has_access
    def mine(self) -> Any:
        user = access.request_user()
        return self.render_template("fabrika/projects/mine.html", title=gettext("My tasks"),
                                    tasks=svc.my_tasks(db.session, user), fmt_date=fmt_date, states=TASK_STATES,
                                    today=date.today())

    @expose("/mine.ics")
    @has_access
    def ics(self) -> Response:
        text = person_ics(db.session, access.request_user(), request.host.split(":")[0] or "fabrika")
        return Response(text, mimetype="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="tasks.ics"'})


def home_tasks() -> list[ProjectTask]:
    """The home dashboard's "My tasks" panel: the signed-in user's first open tasks (none without the right)."""
    from flask import current_app

    user = access.request_user()
    if user is None or not current_app.appbuilder.sm.has_access(f"can_{ACTION_READ}", RESOURCE_PROJECT):
        return []
    return svc.my_tasks(db.session, user, limit=8)


# --- business processes ---------------------------------------------------------------------------

@titles(_l("Process instances"), _l("Process instance"))
class ProcessInstanceView(ReadOnlyModelView):
    datamodel = interface(ProcessInstance)
    class_permission_name = RESOURCE_PROCESS
    method_permission_name = READ_ONLY
    list_columns = ["version", "event", "project", "state", "step_index", "started_at", "finished_at"]
    show_columns = list_columns
    search_columns = ["version", "project", "state", "started_at"]
    label_columns = LABELS
    formatters_columns = {"state": _labelled(INSTANCE_LABELS),
                          "event": lambda e: f"{EVENT_LABELS.get(e.kind, e.kind)} #{e.entity_id or ''}" if e else ""}
    base_order = ("id", "desc")
    show_template = "fabrika/projects/instance_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's fields, then each step: its task, who has it, the deadline, and who is late by how much."""
        states = {**{k: str(v) for k, v in TASK_STATES.items()}, "waiting": gettext("Not reached yet"),
                  "skipped": gettext("Skipped (its condition did not hold)")}
        return show_page(self, pk, lambda item: {
            "steps": proc.instance_status(db.session, item, locale_name()[:2]), "states": states,
            "fmt_date": fmt_date})


@titles(_l("Process templates"), _l("Process template"), _l("New process template"), _l("Edit process template"))
class ProcessTemplateView(ShowWithActions):
    datamodel = interface(ProcessTemplate)
    class_permission_name = RESOURCE_PROCESS
    method_permission_name = CRUD | {"publish": ACTION_WRITE, "dry_run": ACTION_READ}
    list_columns = ["code", "name", "event", "active"]
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "event", "condition", "steps", "active"]
    show_columns = add_columns
    search_columns = ["code", "name", "event", "active"]
    add_form_extra_fields = edit_form_extra_fields = {
        "event": choice_field(_l("Event"), [(e, EVENT_LABELS[e]) for e in EVENT_KINDS], default="order_confirmed")}
    formatters_columns = {"event": _labelled(EVENT_LABELS)}
    label_columns = LABELS
    add_template = "fabrika/projects/process_template_add.html"
    edit_template = "fabrika/projects/process_template_edit.html"

    def render_template(self, template, **kwargs):
        """The add and edit forms also get what the visual step editor offers (roles, persons, fields)."""
        if template in (self.add_template, self.edit_template):
            from app.views.process_steps_editor import editor_context

            kwargs["step_editor"] = editor_context(db.session, EVENT_LABELS)
        return super().render_template(template, **kwargs)

    def pre_add(self, item: ProcessTemplate) -> None:
        _refuse_in_words(lambda _s, t: proc.check_template(t), item)

    pre_update = pre_add

    def _doc_actions(self, item: ProcessTemplate) -> list[dict]:
        out = [action("dry_run", gettext("Dry run over 90 days"), "fa-flask")]
        if self._can(ACTION_WRITE):
            out.insert(0, action("publish", gettext("Publish a new version"), "fa-upload", "btn-primary",
                                 method="post"))
        return out

    @expose("/publish/<int:pk>", methods=["POST"])
    @has_access
    def publish(self, pk: int) -> Response:
        return run_command(lambda: proc.publish(db.session, pk),
                           lambda v: gettext("Version %(number)s published", number=v.number),
                           url_for("ProcessTemplateView.show", pk=pk))

    @expose("/dry_run/<int:pk>")
    @has_access
    def dry_run(self, pk: int) -> Any:
        template = db.session.get(ProcessTemplate, pk)
        if template is None:
            abort(404)
        try:
            result, problems = proc.dry_run(db.session, template), []
        except DomainError as exc:
            result, problems = None, exc.messages(gettext)
        weeks = sorted({w for per in (result.weekly_hours.values() if result else []) for w in per})
        return self.render_template("fabrika/projects/dry_run.html", title=gettext("Dry run: %(name)s",
                                                                                   name=template.label()),
                                    process=template, result=result, problems=problems, weeks=weeks,
                                    fmt_date=fmt_date, fmt_number=fmt_number, who_label=role_label)


def register(appbuilder) -> None:
    c = dict(category=CATEGORY)
    board = appbuilder.add_view(ProjectBoardView, "My tasks", label=_l("My tasks"), icon="fa-check-square-o",
                        category=CATEGORY, category_label=_l("Projects"), category_icon="fa-tasks")
    appbuilder.add_view(ProjectView, "Projects", label=_l("Projects"), icon="fa-folder-open-o", **c)
    appbuilder.add_view(ProjectTaskView, "Tasks", label=_l("Tasks"), icon="fa-list-ul", **c)
    appbuilder.add_view(TimeEntryView, "Time logged", label=_l("Time logged"), icon="fa-clock-o", **c)
    appbuilder.add_view(ProcessTemplateView, "Process templates", label=_l("Process templates"), icon="fa-sitemap",
                        **c)
    appbuilder.add_view(ProcessInstanceView, "Process instances", label=_l("Process instances"), icon="fa-play", **c)
    appbuilder.add_link("Team timeline", label=_l("Team timeline"), href=f"{board.endpoint}.team", icon="fa-users",
                        category=CATEGORY, baseview=board)
    appbuilder.add_view(TaskLinkView, "Task links", label=_l("Task links"), icon="fa-link", **c)
    appbuilder.add_view_no_menu(ChecklistItemView)
    appbuilder.add_view_no_menu(TaskCommentView)
    from flask import current_app

    current_app.jinja_env.globals["project_home_tasks"] = home_tasks  # the home dashboard's panel
