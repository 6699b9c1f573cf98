"""Tasks: checks before saving, links without cycles, slips that move dependants, states, comments, time.

Dates are in working days of the company's working calendar (the first one stored, else Monday to
Friday). A slip moves every dependant forward by the working days its links require (app/domain/planning)
and tells the people on the moved tasks. A task's state moves only through its workflow
(app/domain/planning.PROJECT_TASK via app/services/workflow.transition); completing a task started by a
business process lets the process go on (app/services/projects/processes.advance). Time logged on a task
tied to a production order adds its labour, at the work centre's rate, to that order's actual cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.domain.errors import DomainError, Problem
from app.domain.planning import ACTION_INTO, PROJECT_TASK, Link, Move, PlanTask, WorkDays, find_cycle, reschedule
from app.domain.sla import WorkCalendar
from app.models.projects import ChecklistItem, Project, ProjectTask, TaskComment, TaskLink, TimeEntry
from app.services.base import current_actor, unit_of_work
from app.services.locking import lock_row
from app.services.projects import access
from app.services.projects.notify import notify
from app.services.workflow import transition

MSG_CYCLE = "%(field)s: this link would make a cycle: %(path)s"
MSG_MOVED = "Task “%(title)s” moved by %(days)s days because “%(cause)s” slipped: now %(start)s to %(due)s"
MSG_NO_TASK = "Task %(id)s does not exist"
OPEN = ("todo", "in_progress", "review")


def work_days(session: Session) -> WorkDays:
    """The company's working days: the first working calendar stored (the service desk's), else Mon-Fri."""
    from app.models.service import WorkingCalendar
    from app.services.service_desk.requests import work_calendar

    row = session.scalar(select(WorkingCalendar).order_by(WorkingCalendar.id).limit(1))
    return WorkDays(work_calendar(row) if row is not None else WorkCalendar())


def _task(session: Session, task_id: int, lock: bool = False) -> ProjectTask:
    task = lock_row(session, ProjectTask, task_id) if lock else session.get(ProjectTask, task_id)
    if task is None or not access.may_see(session, access.request_user(), task.project_id):
        raise DomainError(MSG_NO_TASK, id=task_id)
    return task


# --- saving a task ----------------------------------------------------------------------------------

def prepare_task(session: Session, task: ProjectTask) -> ProjectTask:
    """A task about to be saved: a title, dates in order, a non-negative estimate, a project the user sees."""
    problems = []
    if not (task.title or "").strip():
        problems.append(Problem("Give the task a title", field="title"))
    task.start_date = task.start_date or date.today()
    task.due_date = task.due_date or task.start_date
    if task.due_date < task.start_date:
        problems.append(Problem("%(field)s can't be before the start", {"field": "due_date"}, field="due_date"))
    if task.estimate_hours is not None and Decimal(task.estimate_hours) < 0:
        problems.append(Problem("%(field)s can't be negative", {"field": "estimate_hours"}, field="estimate_hours"))
    if task.project_id and not access.may_see(session, access.request_user(), task.project_id):
        problems.append(Problem("You are not on the team of this project", field="project"))
    if problems:
        raise DomainError(problems)
    task.estimate_hours = task.estimate_hours or Decimal(0)
    if task.is_milestone:
        task.due_date = task.start_date
    return task


def prepare_link(session: Session, link: TaskLink) -> TaskLink:
    """A new or changed link: two different tasks, a lag of 0 or more, and no cycle through the others."""
    pred_id = link.predecessor_id or getattr(link.predecessor, "id", None)
    succ_id = link.successor_id or getattr(link.successor, "id", None)
    problems = []
    if not pred_id:
        problems.append(Problem("Choose the task that comes first", field="predecessor"))
    if not succ_id:
        problems.append(Problem("Choose the task that follows", field="successor"))
    if (link.lag_days or 0) < 0:
        problems.append(Problem("%(field)s can't be negative", {"field": "lag_days"}, field="lag_days"))
    if problems:
        raise DomainError(problems)
    if pred_id == succ_id:
        raise DomainError([Problem(MSG_CYCLE, {"field": "successor", "path": _titles(session, [pred_id, pred_id])},
                                   field="successor")])
    others = session.execute(select(TaskLink.predecessor_id, TaskLink.successor_id)
                             .where(TaskLink.id != (link.id or 0))).all()
    cycle = find_cycle([Link(p, s) for p, s in others] + [Link(pred_id, succ_id)])
    if cycle:
        raise DomainError([Problem(MSG_CYCLE, {"field": "predecessor", "path": _titles(session, cycle)},
                                   field="predecessor")])
    link.lag_days = link.lag_days or 0
    return link


def _titles(session: Session, ids: list[int]) -> str:
    names = dict(session.execute(select(ProjectTask.id, ProjectTask.title).where(ProjectTask.id.in_(set(ids)))).all())
    return " → ".join(names.get(i, f"#{i}") for i in ids)


def add_link(session: Session, predecessor_id: int, successor_id: int, lag_days: int = 0) -> TaskLink:
    """Link two tasks (refusing a cycle) and push the successor if the link requires it."""
    with unit_of_work(session):
        link = prepare_link(session, TaskLink(predecessor_id=predecessor_id, successor_id=successor_id,
                                              lag_days=lag_days))
        session.add(link)
        session.flush()
        reschedule_from(session, _task(session, predecessor_id))
        return link


# --- rescheduling -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slip:
    task: ProjectTask
    moves: list[Move]


def _scope(session: Session, task: ProjectTask) -> tuple[dict[int, ProjectTask], list[Link]]:
    """The tasks a slip of `task` may move: its project's (two queries), else those reachable by links."""
    if task.project_id:
        rows = list(session.scalars(select(ProjectTask).where(ProjectTask.project_id == task.project_id)))
    else:
        rows, frontier, seen = [task], {task.id}, {task.id}
        while frontier:
            nxt = set(session.scalars(select(TaskLink.successor_id).where(TaskLink.predecessor_id.in_(frontier))))
            frontier = nxt - seen
            seen |= frontier
        rows += list(session.scalars(select(ProjectTask).where(ProjectTask.id.in_(seen - {task.id}))))
    by_id = {t.id: t for t in rows}
    links = [Link(p, s, lag) for p, s, lag in session.execute(
        select(TaskLink.predecessor_id, TaskLink.successor_id, TaskLink.lag_days)
        .where(TaskLink.predecessor_id.in_(by_id.keys())))]
    return by_id, links


def reschedule_from(session: Session, task: ProjectTask, notify_people: bool = True) -> list[Move]:
    """Push the dependants of `task` (and theirs) to respect every link; tell the people on the moved ones."""
    by_id, links = _scope(session, task)
    days = work_days(session)
    plan = {i: PlanTask(i, t.start_date, t.due_date) for i, t in by_id.items() if t.state != "cancelled"}
    moves = reschedule(plan, links, days)
    for move in moves:
        moved = by_id[move.task_id]
        moved.start_date, moved.due_date = move.new_start, move.new_due
        if notify_people:
            notify(session, moved, MSG_MOVED, title=moved.title, days=move.days, cause=task.title,
                   start=move.new_start.isoformat(), due=move.new_due.isoformat())
    session.flush()
    return moves


def slip_task(session: Session, task_id: int, due: date, start: date | None = None) -> Slip:
    """Move a task's due day (and start); its dependants follow by the right working days."""
    with unit_of_work(session):
        task = _task(session, task_id, lock=True)
        start = start or task.start_date
        if due < start:
            raise DomainError([Problem("%(field)s can't be before the start", {"field": "due_date"},
                                       field="due_date")])
        task.start_date, task.due_date = start, due
        return Slip(task, reschedule_from(session, task))


# --- states, comments, checklist, time --------------------------------------------------------------

def move_task(session: Session, task_id: int, action: str) -> ProjectTask:
    """Start, review, complete, reopen or cancel a task; a completed process task lets its process go on."""
    with unit_of_work(session):
        task = _task(session, task_id, lock=True)
        transition(session, PROJECT_TASK, task, action)
        if action == "reopen":
            task.done_at, task.done_by = None, ""
        session.flush()
        if task.instance_id and task.state in ("done", "cancelled"):
            from app.services.projects.processes import advance

            advance(session, task.instance_id)
        return task


def set_state(session: Session, task_id: int, state: str, position: int | None = None) -> ProjectTask:
    """The board's drag: the action that leads into `state` (refused in words when the workflow forbids it)."""
    action = ACTION_INTO.get(state)
    if action is None:
        raise DomainError([Problem("Unknown state: %(state)s", {"state": state}, field="state")])
    with unit_of_work(session):
        task = _task(session, task_id)
        if task.state != state:
            task = move_task(session, task_id, action)
        if position is not None:
            task.position = position
        return task


def add_comment(session: Session, task_id: int, body: str) -> TaskComment:
    if not (body or "").strip():
        raise DomainError([Problem("Write the comment", field="body")])
    with unit_of_work(session):
        task = _task(session, task_id)
        comment = TaskComment(task=task, body=body.strip()[:5000], created_by=current_actor().username)
        session.add(comment)
        session.flush()
        return comment


def add_check(session: Session, task_id: int, text: str) -> ChecklistItem:
    if not (text or "").strip():
        raise DomainError([Problem("Write the checklist item", field="text")])
    with unit_of_work(session):
        item = ChecklistItem(task=_task(session, task_id), text=text.strip()[:300])
        session.add(item)
        session.flush()
        return item


def toggle_check(session: Session, item_id: int) -> ChecklistItem:
    with unit_of_work(session):
        item = session.get(ChecklistItem, item_id)
        if item is None:
            raise DomainError(MSG_NO_TASK, id=item_id)
        _task(session, item.task_id)
        item.done = not item.done
        session.flush()
        return item


def log_time(session: Session, task_id: int, minutes: int, work_date: date | None = None, note: str = "",
             user_id: int | None = None) -> TimeEntry:
    """Record time on a task; on a production order's task its labour goes into the order's actual cost."""
    if not isinstance(minutes, int) or minutes <= 0 or minutes > 24 * 60:
        raise DomainError([Problem("%(field)s must be between 1 and 1440 minutes", {"field": "minutes"},
                                   field="minutes")])
    with unit_of_work(session):
        task = _task(session, task_id)
        entry = TimeEntry(task=task, minutes=minutes, work_date=work_date or date.today(), note=(note or "")[:300],
                          user_id=user_id or current_actor().user_id)
        if task.production_order_id:
            from app.services.production.costing import charge_task_labour

            entry.labour_cost = charge_task_labour(session, task.production_order_id, task.work_center_id, minutes)
        session.add(entry)
        session.flush()
        return entry


# --- lists --------------------------------------------------------------------------------------

def my_tasks(session: Session, user: Any, limit: int = 50) -> list[ProjectTask]:
    """Open tasks of `user`, by name or by role, the earliest deadline first."""
    roles = access.role_ids(user)
    mine = ProjectTask.assignee_id == user.id
    if roles:
        mine = or_(mine, (ProjectTask.assignee_id.is_(None)) & ProjectTask.assignee_role_id.in_(roles))
    return list(session.scalars(select(ProjectTask).where(mine, ProjectTask.state.in_(OPEN))
                                .options(selectinload(ProjectTask.project))
                                .order_by(ProjectTask.due_date, ProjectTask.id).limit(limit)))


def board(session: Session, project: Project) -> dict[str, list[ProjectTask]]:
    """The project's tasks per board column (cancelled ones are left off)."""
    from app.domain.planning import BOARD_COLUMNS

    columns: dict[str, list[ProjectTask]] = {state: [] for state in BOARD_COLUMNS}
    for task in session.scalars(select(ProjectTask).where(ProjectTask.project_id == project.id)
                                .order_by(ProjectTask.position, ProjectTask.due_date, ProjectTask.id)):
        if task.state in columns:
            columns[task.state].append(task)
    return columns


WEEK_HOURS = Decimal(40)  # a person's week; a role's row holds as many weeks as its active people


def timeline(session: Session, project: Project) -> dict[str, Any]:
    """A project's Gantt (its tasks with their links) and each person's (or role's) hours per week."""
    return team_timeline(session, [project])


def team_timeline(session: Session, projects: list[Project]) -> dict[str, Any]:
    """The Gantt of several projects' tasks (named with their project's code when more than one) and each
    person's (or role's) hours per week across all of them; `over` holds the weeks above their capacity."""
    from app.domain.planning import weekly_load

    codes = {p.id: p.code for p in projects}
    tasks = list(session.scalars(select(ProjectTask).where(ProjectTask.project_id.in_(codes))
                                 .options(selectinload(ProjectTask.assignee), selectinload(ProjectTask.assignee_role))
                                 .order_by(ProjectTask.start_date, ProjectTask.id)))
    preds: dict[int, list[str]] = {}
    for p, s in session.execute(select(TaskLink.predecessor_id, TaskLink.successor_id)
                                .where(TaskLink.successor_id.in_([t.id for t in tasks]))):
        preds.setdefault(s, []).append(f"t{p}")
    prefix = len(projects) > 1
    rows = [{"id": f"t{t.id}", "name": f"{codes[t.project_id]} · {t.title}" if prefix else t.title,
             "start": t.start_date.isoformat(), "end": (t.due_date + timedelta(days=1)).isoformat(),
             "progress": 100 if t.state == "done" else 0, "dependencies": ",".join(preds.get(t.id, [])),
             "custom_class": f"state-{t.state}"} for t in tasks]
    capacity: dict[str, Decimal] = {}
    for t in tasks:
        people = 1 if t.assignee is not None or t.assignee_role is None else max(1, sum(
            1 for u in t.assignee_role.user if getattr(u, "active", True)))
        capacity[who_of(t)] = WEEK_HOURS * people
    load = weekly_load(((who_of(t), t.start_date, t.due_date, t.estimate_hours or Decimal(0)) for t in tasks
                        if t.state != "cancelled"), work_days(session))
    weeks = sorted({w for per in load.values() for w in per})
    over = {(who, w) for who, per in load.items() for w, hours in per.items() if hours > capacity[who]}
    return {"tasks": rows, "weeks": weeks, "load": load, "over": over, "capacity": capacity}


def who_of(task: ProjectTask) -> str:
    """How the assignee is named in the load table: the person, else the role, else a dash."""
    if task.assignee is not None:
        return f"{task.assignee.first_name} {task.assignee.last_name}".strip() or task.assignee.username
    if task.assignee_role is not None:
        from app.permission_labels import role_label

        return role_label(task.assignee_role.name)
    return "—"
