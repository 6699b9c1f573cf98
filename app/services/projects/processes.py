"""Business processes without code: templates of steps, run on events, versioned, with a dry run.

A template says: on this event (an order confirmed, a TCP approved, a complaint registered, a payment
overdue, an item short for an order in the logistics analysis, a KPI turned red), when this condition
holds, do these steps. The condition and each step's `when` are written in the calculator language
(app/calculators: the same checker and Decimal evaluator, so a hostile formula is refused exactly as in a
calculator) over the event's fields, written with a dot: `order.total > 500000`.
A step (JSON) creates a task for a role or a person, due in `days` working days, notifies them in their
language, and by default waits for it before the next step; a step whose `when` is false is skipped (the
branch). Example:

    [{"key": "design", "title": "Check the design", "title_ru": "Проверить конструкцию", "role": "Engineer",
      "days": 2, "hours": 6, "when": "order.custom_lines > 0"},
     {"key": "cost", "title": "Price the order", "role": "Economist", "days": 1, "wait": false}]

Publishing freezes the template's condition and steps as a new ProcessVersion; an instance runs on the
version it started with to the end. Events are written in the transaction of what happened (record_event,
called from the workflow kernel's transition hook) and dispatched by the `project-events` scheduler job
every minute (the claims machinery runs one fire at a time; the unique (version, event) row makes a second
dispatch of the same event a no-op), so an event becomes a task within a minute, never twice.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calculators.errors import CalcError, Fail
from app.calculators.evaluator import Evaluator, deadline_after
from app.calculators.language import parse_expression
from app.domain.errors import DomainError, Problem
from app.models.base import utcnow
from app.models.projects import (
    EVENT_KINDS,
    ProcessEvent,
    ProcessInstance,
    ProcessTemplate,
    ProcessVersion,
    Project,
    ProjectTask,
)
from app.services.base import current_actor, savepoint, unit_of_work
from app.services.projects.notify import notify

#: the fields a condition may read, per event
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "order_confirmed": ("order.id", "order.number", "order.total", "order.lines", "order.custom_lines",
                        "client.name"),
    "proposal_approved": ("proposal.id", "proposal.number", "proposal.total", "client.name"),
    "complaint_registered": ("complaint.id", "complaint.number", "complaint.qty", "complaint.cost",
                             "client.name"),
    "payment_overdue": ("invoice.id", "invoice.number", "invoice.total", "invoice.days_overdue", "client.name"),
    "shortage_found": ("shortage.item", "shortage.item_name", "shortage.qty", "shortage.need_by_days", "order.id",
                       "order.number", "order.total", "client.name"),
    "kpi_red": ("kpi.code", "kpi.name", "kpi.value", "kpi.target", "kpi.red_threshold", "kpi.previous",
                "kpi.previous_status", "kpi.period_start", "kpi.employee"),
}
ENTITY_OF = {"order_confirmed": "sales_order", "proposal_approved": "proposal", "complaint_registered": "complaint",
             "payment_overdue": "sales_invoice", "shortage_found": "sales_order", "kpi_red": "kpi_value"}
MAX_STEPS = 50
MAX_DAYS = 365
_DOTTED = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\b")
MSG_TASK = "New task “%(title)s”, due %(due)s"


def _name(dotted: str) -> str:
    return dotted.replace(".", "__")


# --- conditions ---------------------------------------------------------------------------------

class _NoEnvironment:
    """A condition reads only the event's fields: lookup tables and catalog prices are not for it."""

    def lookup(self, table, key, column):
        raise Fail("unknown function '%(name)s'", name="lookup")

    def item_cost(self, code, source):
        raise Fail("unknown function '%(name)s'", name="item_cost")

    def item_price(self, code):
        raise Fail("unknown function '%(name)s'", name="item_price")


@dataclass(frozen=True)
class Condition:
    text: str
    tree: Any

    def holds(self, fields: dict[str, Any]) -> bool:
        """True when the condition holds for these event fields (an empty condition always does)."""
        if self.tree is None:
            return True
        names = {_name(k): v for k, v in fields.items()}
        try:
            return bool(Evaluator(names, _NoEnvironment(), deadline_after()).value(self.tree))
        except Fail:
            return False  # a field missing or of the wrong kind in this event: the condition does not hold


def compile_condition(text: str, event: str, field_name: str) -> Condition:
    """Check a condition like a calculator formula; a DomainError naming `field_name` when refused."""
    text = (text or "").strip()
    if not text:
        return Condition("", None)
    known = {_name(f) for f in EVENT_FIELDS.get(event, ())}
    try:
        tree, _program = parse_expression(_DOTTED.sub(r"\1__\2", text), known, field_name)
    except CalcError as exc:
        raise DomainError([Problem("%(field)s: %(problem)s", {"field": field_name, "problem": p.msgid % _safe(p.params)
                                                               if p.params else p.msgid}, field=field_name)
                           for p in exc.problems]) from None
    return Condition(text, tree)


def _safe(params: dict) -> dict:
    return {k: str(v).replace("__", ".") for k, v in params.items()}


# --- steps --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    key: str
    titles: dict[str, str]
    role: str
    user: str
    days: int
    hours: Decimal
    when: Condition
    wait: bool = True

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or self.titles["en"]


def parse_steps(text: str, event: str) -> list[Step]:
    """The steps of a template, each checked; every problem names the step and the field."""
    try:
        raw = json.loads(text or "[]")
    except ValueError:
        raise DomainError([Problem("%(field)s is not valid JSON", {"field": "steps"}, field="steps")]) from None
    if not isinstance(raw, list) or len(raw) > MAX_STEPS:
        raise DomainError([Problem("%(field)s must be a list of at most %(max)s steps", {"field": "steps",
                                                                                        "max": MAX_STEPS},
                                   field="steps")])
    problems: list[Problem] = []
    steps: list[Step] = []
    keys: set[str] = set()
    for i, item in enumerate(raw, start=1):
        try:
            steps.append(_step(item, i, event, keys))
        except DomainError as exc:
            problems += exc.problems
    if problems:
        raise DomainError(problems)
    return steps


def _step(item: Any, i: int, event: str, keys: set[str]) -> Step:
    where = f"steps[{i}]"
    if not isinstance(item, dict):
        raise DomainError([Problem("%(field)s must be an object", {"field": where}, field=where)])
    problems = []
    key = str(item.get("key") or f"step{i}")[:64]
    if key in keys:
        problems.append(Problem("%(field)s: the key %(key)s is used twice", {"field": where, "key": key}, field=where))
    keys.add(key)
    title = str(item.get("title") or "").strip()
    if not title:
        problems.append(Problem("%(field)s: give the task a title", {"field": f"{where}.title"},
                                field=f"{where}.title"))
    role, user = str(item.get("role") or ""), str(item.get("user") or "")
    if not role and not user:
        problems.append(Problem("%(field)s: name a role or a person", {"field": f"{where}.role"},
                                field=f"{where}.role"))
    days = item.get("days", 1)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
        problems.append(Problem("%(field)s must be a whole number of working days from 0 to %(max)s",
                                {"field": f"{where}.days", "max": MAX_DAYS}, field=f"{where}.days"))
        days = 1
    try:
        hours = Decimal(str(item.get("hours", 0)))
    except InvalidOperation:
        hours = Decimal(-1)
    if not hours.is_finite() or hours < 0 or hours > 10_000:
        problems.append(Problem("%(field)s must be a number of hours", {"field": f"{where}.hours"},
                                field=f"{where}.hours"))
    try:
        when = compile_condition(str(item.get("when") or ""), event, f"{where}.when")
    except DomainError as exc:
        problems += exc.problems
        when = Condition("", None)
    if problems:
        raise DomainError(problems)
    titles = {"en": title, "ru": str(item.get("title_ru") or ""), "es": str(item.get("title_es") or "")}
    return Step(key, titles, role, user, days, hours, when, bool(item.get("wait", True)))


def check_template(template: ProcessTemplate) -> list[Step]:
    """A template about to be saved: a known event, a condition and steps that pass the checker."""
    if template.event not in EVENT_KINDS:
        raise DomainError([Problem("Unknown event: %(event)s", {"event": template.event or ""}, field="event")])
    problems: list[Problem] = []
    steps: list[Step] = []
    for check in (lambda: compile_condition(template.condition, template.event, "condition"),
                  lambda: steps.extend(parse_steps(template.steps, template.event))):
        try:
            check()
        except DomainError as exc:
            problems += exc.problems
    if problems:
        raise DomainError(problems)
    return steps


def publish(session: Session, template_id: int) -> ProcessVersion:
    """Freeze the template's condition and steps as its next version (running instances keep theirs)."""
    with unit_of_work(session):
        template = session.get(ProcessTemplate, template_id)
        if template is None:
            raise DomainError("Process template %(id)s does not exist", id=template_id)
        check_template(template)
        number = 1 + max((v.number for v in template.versions), default=0)
        version = ProcessVersion(template=template, number=number, event=template.event, condition=template.condition,
                                 steps=template.steps, published_by=current_actor().username)
        session.add(version)
        template.active = True
        session.flush()
        return version


def latest_versions(session: Session, event: str) -> list[ProcessVersion]:
    """The version each active template of `event` runs new instances on (its latest)."""
    out = []
    for template in session.scalars(select(ProcessTemplate).where(ProcessTemplate.event == event,
                                                                  ProcessTemplate.active.is_(True))):
        if template.versions:
            out.append(template.versions[-1])
    return out


# --- events -------------------------------------------------------------------------------------

def record_event(session: Session, kind: str, entity_id: int | None, fields: dict[str, Any],
                 when: datetime | None = None) -> ProcessEvent:
    """Write an event in the caller's transaction (it is dispatched by the scheduler within a minute)."""
    payload = json.dumps({k: str(v) for k, v in fields.items()}, ensure_ascii=False)
    event = ProcessEvent(kind=kind, entity=ENTITY_OF.get(kind, ""), entity_id=entity_id, payload=payload,
                         occurred_at=when or utcnow())
    session.add(event)
    return event


def event_fields(event: ProcessEvent) -> dict[str, Any]:
    """The payload with numbers as Decimal (what conditions compare)."""
    out: dict[str, Any] = {}
    for key, value in json.loads(event.payload or "{}").items():
        try:
            number = Decimal(value)
            out[key] = number if number.is_finite() else value
        except (InvalidOperation, TypeError):
            out[key] = value
    return out


def on_transition(session: Session, doc_type: str, action: str, doc: Any) -> None:
    """The workflow kernel's hook: an order confirmed or a TCP approved becomes an event."""
    if doc_type == "sales_order" and action == "confirm":
        lines = list(getattr(doc, "lines", []) or [])
        custom = sum(1 for ln in lines if getattr(ln, "calculator_version_id", None))  # made to order
        record_event(session, "order_confirmed", doc.id, {
            "order.id": doc.id, "order.number": doc.number or "", "order.total": doc.amount_total or 0,
            "order.lines": len(lines), "order.custom_lines": custom,
            "client.name": getattr(getattr(doc, "partner", None), "name", "")})
    elif doc_type == "proposal" and action == "approve":
        record_event(session, "proposal_approved", doc.id, {
            "proposal.id": doc.id, "proposal.number": getattr(doc, "number", "") or "",
            "proposal.total": doc.grand_total or 0,
            "client.name": getattr(getattr(doc, "partner", None), "name", "")})


def record_overdue_payments(session: Session, today: date | None = None) -> int:
    """An event for each posted invoice past its due date and not paid, once per invoice."""
    from app.models.sales import SalesInvoice

    today = today or date.today()
    seen = select(ProcessEvent.entity_id).where(ProcessEvent.kind == "payment_overdue")
    rows = session.scalars(select(SalesInvoice).where(
        SalesInvoice.state == "posted", SalesInvoice.due_date < today,
        SalesInvoice.amount_paid < SalesInvoice.amount_total, SalesInvoice.id.not_in(seen)).limit(500)).all()
    for inv in rows:
        record_event(session, "payment_overdue", inv.id, {
            "invoice.id": inv.id, "invoice.number": inv.number, "invoice.total": inv.amount_total,
            "invoice.days_overdue": (today - inv.due_date).days, "client.name": inv.partner.name})
    return len(rows)


def on_shortages(session: Session, order: Any, short: dict[int, Decimal]) -> int:
    """The logistics analysis found items short for an order (what is left to buy after stock, open work and
    earlier requests): an event per item, so a rerun that finds nothing new records nothing."""
    from app.models.catalog import Item

    short = {i: q for i, q in short.items() if q > 0}
    if not short:
        return 0
    names = {i: (c, n) for i, c, n in session.execute(select(Item.id, Item.code, Item.name).where(Item.id.in_(short)))}
    days = (order.delivery_date - date.today()).days if order.delivery_date else ""
    for item_id, qty in sorted(short.items()):
        code, name = names.get(item_id, (str(item_id), ""))
        record_event(session, "shortage_found", order.id, {
            "shortage.item": code, "shortage.item_name": name, "shortage.qty": qty, "shortage.need_by_days": days,
            "order.id": order.id, "order.number": order.number, "order.total": order.amount_total or 0,
            "client.name": getattr(order.partner, "name", "")})
    return len(short)


def record_red_kpis(session: Session, now: datetime | None = None, periods: list[tuple[str, date]] | None = None
                    ) -> int:
    """An event for each KPI value that turned red against the definition's previous period (its light was
    not red, or there was none), once per value (at most 500 a call); values computed in the last two days
    only. The KPI job calls it after storing its values, with `periods` (kind, start) limited to the last
    closed and the running period of each kind, so a first run does not replay history. The previous
    light is compared in the query, so a KPI that stays red costs the scan nothing."""
    from sqlalchemy import and_, or_
    from sqlalchemy.orm import aliased

    from app.domain.kpi import RED
    from app.models.kpi import KpiDefinition, KpiValue

    now = now or utcnow()
    earlier = aliased(KpiValue)

    def previous(column):
        return (select(column).where(earlier.definition_id == KpiValue.definition_id,
                                     earlier.period_start < KpiValue.period_start)
                .order_by(earlier.period_start.desc()).limit(1).scalar_subquery())

    prev_status, prev_value = previous(earlier.status), previous(earlier.value)
    seen = select(ProcessEvent.entity_id).where(ProcessEvent.kind == "kpi_red", ProcessEvent.entity_id.is_not(None))
    rows = session.execute(select(KpiValue, KpiDefinition, prev_value, prev_status)
                           .join(KpiDefinition, KpiDefinition.id == KpiValue.definition_id)
                           .where(KpiValue.status == RED, KpiValue.computed_at >= now - timedelta(days=2),
                                  or_(prev_status.is_(None), prev_status != RED), KpiValue.id.not_in(seen),
                                  *([or_(*(and_(KpiValue.period_kind == k, KpiValue.period_start == s)
                                           for k, s in periods))] if periods is not None else []))
                           .order_by(KpiValue.id).limit(500)).all()
    for value, defn, before, before_status in rows:
        fields = {"kpi.code": defn.code, "kpi.name": defn.name, "kpi.value": value.value, "kpi.target": defn.target,
                  "kpi.red_threshold": defn.red_threshold, "kpi.previous": before,
                  "kpi.previous_status": before_status or "", "kpi.period_start": value.period_start,
                  "kpi.employee": defn.employee.username if defn.employee_id else ""}
        record_event(session, "kpi_red", value.id, {k: v for k, v in fields.items() if v is not None})
    return len(rows)


def on_complaint(session: Session, complaint: Any) -> None:
    """A complaint registered (numbered for the first time) becomes an event."""
    record_event(session, "complaint_registered", complaint.id, {
        "complaint.id": complaint.id or 0, "complaint.number": complaint.number or "",
        "complaint.qty": complaint.qty or 0, "complaint.cost": complaint.cost_total or 0,
        "client.name": getattr(complaint.partner, "name", "") if complaint.partner_id else ""})


# --- running instances --------------------------------------------------------------------------

def _assignee(session: Session, step: Step) -> tuple[int | None, int | None]:
    from flask_appbuilder.security.sqla.models import Role, User

    user_id = session.scalar(select(User.id).where(User.username == step.user)) if step.user else None
    role_id = session.scalar(select(Role.id).where(Role.name == step.role)) if step.role else None
    return user_id, role_id


def _project_for(session: Session, event: ProcessEvent) -> int | None:
    if event.entity == "sales_order" and event.entity_id:
        return session.scalar(select(Project.id).where(Project.sales_order_id == event.entity_id).limit(1))
    if event.entity == "proposal" and event.entity_id:
        return session.scalar(select(Project.id).where(Project.proposal_id == event.entity_id).limit(1))
    return None


def start_instance(session: Session, version: ProcessVersion, event: ProcessEvent) -> ProcessInstance | None:
    """Start `version` on `event` when its condition holds (once: a second start of the pair is a no-op)."""
    fields = event_fields(event)
    if not compile_condition(version.condition, version.event, "condition").holds(fields):
        return None
    exists = session.scalar(select(ProcessInstance.id).where(ProcessInstance.version_id == version.id,
                                                             ProcessInstance.event_id == event.id))
    if exists:
        return None
    instance = ProcessInstance(version=version, event=event, project_id=_project_for(session, event))
    session.add(instance)
    session.flush()
    _run(session, instance, fields)
    return instance


def _run(session: Session, instance: ProcessInstance, fields: dict[str, Any]) -> None:
    """Create the tasks from the instance's current step on, until one to wait for (or the end)."""
    from app.services.projects.tasks import work_days

    steps = parse_steps(instance.version.steps, instance.version.event)
    days = work_days(session)
    today = date.today()
    while instance.step_index < len(steps):
        step = steps[instance.step_index]
        instance.step_index += 1
        if not step.when.holds(fields):
            continue
        user_id, role_id = _assignee(session, step)
        start = days.first_on_or_after(today)
        task = ProjectTask(title=step.title("en")[:300], project_id=instance.project_id, assignee_id=user_id,
                           assignee_role_id=role_id, start_date=start, due_date=days.add(start, step.days),
                           estimate_hours=step.hours, instance_id=instance.id, step_key=step.key,
                           description=_titles_note(step))
        session.add(task)
        session.flush()
        task.title = step.title(_common_locale(session, task))[:300]
        notify(session, task, MSG_TASK, title=step.title, due=task.due_date.isoformat())
        if step.wait:
            return
    instance.state, instance.finished_at = "done", utcnow()


def _common_locale(session: Session, task: ProjectTask) -> str:
    """The language the task's people share (its title is written in it), else English."""
    from app.services.projects.notify import recipients, user_locale

    locales = {user_locale(session, u.id) for u in recipients(session, task)}
    return locales.pop() if len(locales) == 1 else "en"


def _titles_note(step: Step) -> str:
    return "\n".join(f"{lang}: {text}" for lang, text in step.titles.items() if text)


def advance(session: Session, instance_id: int) -> None:
    """A task of the instance was done: when no task it waits for is still open, go on to the next steps
    (a step with "wait": false runs alongside and is not waited for)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.state != "running":
        return
    waited = [s.key for s in parse_steps(instance.version.steps, instance.version.event) if s.wait]
    open_tasks = session.scalar(select(ProjectTask.id).where(
        ProjectTask.instance_id == instance.id, ProjectTask.step_key.in_(waited),
        ProjectTask.state.in_(("todo", "in_progress", "review"))).limit(1))
    if open_tasks is None:
        _run(session, instance, event_fields(instance.event))


def dispatch(session: Session, limit: int = 500) -> int:
    """Start processes for the events not dispatched yet (the scheduler job); how many instances started."""
    started = 0
    with unit_of_work(session):
        record_overdue_payments(session)  # KPIs turned red are recorded by the KPI job (record_red_kpis)
        events = list(session.scalars(select(ProcessEvent).where(ProcessEvent.dispatched_at.is_(None))
                                      .order_by(ProcessEvent.id).limit(limit)))
        versions: dict[str, list[ProcessVersion]] = {}
        for event in events:
            for version in versions.setdefault(event.kind, latest_versions(session, event.kind)):
                try:
                    with savepoint(session):
                        started += start_instance(session, version, event) is not None
                except DomainError:
                    continue  # a version that no longer parses (never published so) starts nothing
            event.dispatched_at = utcnow()
    return started


# --- the dry run --------------------------------------------------------------------------------

@dataclass
class DryRun:
    """What a template would have done over past events."""

    events: int = 0
    matched: int = 0
    tasks: int = 0
    per_step: dict[str, int] = field(default_factory=dict)
    weekly_hours: dict[str, dict[date, Decimal]] = field(default_factory=dict)  # who -> week -> hours
    missed: int = 0  # tasks whose deadline would have fallen on a week where the role was over capacity
    missed_by_role: dict[str, int] = field(default_factory=dict)


def dry_run(session: Session, template: ProcessTemplate, since: datetime | None = None,
            capacity_hours: Decimal = Decimal(40), until: datetime | None = None) -> DryRun:
    """Replay the template (as it is now, published or not) over the events since `since` (90 days).

    Every step of a matching event is assumed to be created at the event and to take its `hours` in the
    week it is due (waiting steps follow each other: each starts when the previous one is due). A task is
    a missed deadline when its assignee's load in its due week exceeds `capacity_hours` per person of the
    role (the role's active users; a named person counts as one).
    """
    steps = check_template(template)
    condition = compile_condition(template.condition, template.event, "condition")
    since = since or utcnow() - timedelta(days=90)
    from app.services.projects.tasks import work_days

    days = work_days(session)
    stmt = select(ProcessEvent.occurred_at, ProcessEvent.payload).where(
        ProcessEvent.kind == template.event, ProcessEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(ProcessEvent.occurred_at < until)
    result = DryRun(per_step={s.key: 0 for s in steps})
    load: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    due_weeks: list[tuple[str, date]] = []
    for occurred, payload in session.execute(stmt):
        result.events += 1
        fields = event_fields(ProcessEvent(payload=payload))
        if not condition.holds(fields):
            continue
        result.matched += 1
        start = days.first_on_or_after(occurred.date())
        for step in steps:
            if not step.when.holds(fields):
                continue
            due = days.add(start, step.days)
            who = step.user or step.role
            week = due - timedelta(days=due.weekday())
            load[who][week] += step.hours
            due_weeks.append((who, week))
            result.tasks += 1
            result.per_step[step.key] += 1
            if step.wait:
                start = days.add(due, 1)
    people = _people_per_role(session, {s.role for s in steps if s.role and not s.user})
    for who, week in due_weeks:
        if load[who][week] > capacity_hours * people.get(who, 1):
            result.missed += 1
            result.missed_by_role[who] = result.missed_by_role.get(who, 0) + 1
    result.weekly_hours = {who: dict(sorted(weeks.items())) for who, weeks in load.items()}
    return result


def _people_per_role(session: Session, roles: set[str]) -> dict[str, int]:
    from flask_appbuilder.security.sqla.models import Role

    out = {}
    for role in session.scalars(select(Role).where(Role.name.in_(roles))) if roles else []:
        out[role.name] = max(1, sum(1 for u in role.user if getattr(u, "active", True)))
    return out


@dataclass(frozen=True)
class StepStatus:
    """One step of a running instance as its page shows it: who has it, until when, and how late."""

    key: str
    title: str
    who: str  # the person on the task, else the role (in the reader's language)
    task: ProjectTask | None  # none while the process has not reached the step (or skipped it)
    state: str  # a task state, or "late", "waiting" (not reached yet), "skipped" (its `when` was false)
    days_late: int = 0  # working days past the deadline, for a late task


def instance_status(session: Session, instance: ProcessInstance, locale: str = "en",
                    today: date | None = None) -> list[StepStatus]:
    """Where an instance stands, step by step: the tasks made so far (late ones with the working days they
    are late), the steps still to come, the steps their `when` skipped."""
    from app.permission_labels import role_label
    from app.services.projects.tasks import OPEN, who_of, work_days

    today = today or date.today()
    days = work_days(session)
    tasks = {t.step_key: t for t in session.scalars(select(ProjectTask).where(ProjectTask.instance_id == instance.id)
                                                     .order_by(ProjectTask.id))}
    out = []
    for index, step in enumerate(parse_steps(instance.version.steps, instance.version.event)):
        task = tasks.get(step.key)
        if task is None:
            reached = index < instance.step_index or instance.state != "running"
            out.append(StepStatus(step.key, step.title(locale), step.user or role_label(step.role), None,
                                  "skipped" if reached else "waiting"))
            continue
        late = task.state in OPEN and task.due_date < today
        out.append(StepStatus(step.key, task.title, who_of(task), task, "late" if late else task.state,
                              max(1, days.count(task.due_date + timedelta(days=1), today)) if late else 0))
    return out


def late_steps(session: Session, instance: ProcessInstance) -> list[StepStatus]:
    """The instance's late steps (its list's "who is late" column)."""
    return [s for s in instance_status(session, instance) if s.state == "late"]
