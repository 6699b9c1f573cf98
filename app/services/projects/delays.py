"""How a project's schedule delays the customer order it delivers.

A project is linked to an order directly (project.sales_order_id), or through the TCP the order was made
from (project.proposal_id = order.proposal_id), or through that TCP's deal (project.deal_id). When an open
task of such a project (not done, not cancelled: its dates already carry every slip of the tasks it
depends on) ends after the order's promised day, the order is late by the working days between the two.
The promised day is what the client was promised: the order's delivery date, else the latest promise date
of its lines (set by the logistics analysis). One delay per project: its last open task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models.projects import Project, ProjectTask

MSG_DELAY = "Project %(project)s delays this order by %(days)s working days: task “%(task)s” ends on %(date)s"
OPEN = ("todo", "in_progress", "review")
LIVE_PROJECTS = ("active", "on_hold")


@dataclass(frozen=True)
class OrderDelay:
    """One project that makes the order late: its last open task and by how many working days."""

    project_code: str
    task_id: int
    task_title: str
    task_due: date
    promised: date
    days: int

    def params(self, fmt_date: Any = date.isoformat) -> dict[str, Any]:
        """The message's parameters (the page formats the date in the reader's way)."""
        return {"project": self.project_code, "days": self.days, "task": self.task_title,
                "date": fmt_date(self.task_due)}

    def as_json(self) -> dict[str, Any]:
        return {"project": self.project_code, "task_id": self.task_id, "task": self.task_title,
                "task_due": self.task_due.isoformat(), "promised": self.promised.isoformat(), "days": self.days}


def promised_day(order: Any) -> date | None:
    """What the client was promised: the delivery date, else the latest promise date of a line."""
    if order.delivery_date:
        return order.delivery_date
    return max((ln.promise_date for ln in order.lines if ln.promise_date), default=None)


def linked_projects(session: Session, order: Any) -> list[Project]:
    """The live projects that deliver the order: by the order, its TCP, or the TCP's deal."""
    links = [Project.sales_order_id == order.id]
    if order.proposal_id:
        from app.models.proposals import Proposal

        links.append(Project.proposal_id == order.proposal_id)
        deal_id = session.scalar(select(Proposal.deal_id).where(Proposal.id == order.proposal_id))
        if deal_id:
            links.append(Project.deal_id == deal_id)
    return list(session.scalars(select(Project).where(or_(*links), Project.state.in_(LIVE_PROJECTS))
                                .order_by(Project.code)))


def order_delays(session: Session, order: Any) -> list[OrderDelay]:
    """The projects whose last open task ends after the order's promised day (none without a promise)."""
    promised = promised_day(order)
    if promised is None:
        return []
    projects = {p.id: p for p in linked_projects(session, order)}
    if not projects:
        return []
    from app.services.projects.tasks import work_days

    days = work_days(session)
    last: dict[int, ProjectTask] = {}
    for task in session.scalars(select(ProjectTask).where(
            ProjectTask.project_id.in_(projects), ProjectTask.state.in_(OPEN), ProjectTask.due_date > promised)
            .order_by(ProjectTask.due_date, ProjectTask.id)):
        last[task.project_id] = task  # ordered by due day: the last one wins
    return [OrderDelay(projects[pid].code, t.id, t.title, t.due_date, promised,
                       max(1, days.count(promised + timedelta(days=1), t.due_date)))
            for pid, t in sorted(last.items(), key=lambda kv: projects[kv[0]].code)]
