"""Projects and tasks, time logged on them, and the business processes that create tasks from events.

A project is linked to what it delivers (a client, a deal, a TCP, a customer order) and has a team
(its owner and members): a user sees the projects of their team only (app/services/projects/access.py).
Tasks carry an assignee (a person, or a role when the process does not know the person yet), dates in
working days, an estimate, finish-to-start links with a lag, a checklist and comments. Time entries on a
task tied to a production order add labour to that order's actual cost at the work centre's rate.

Process templates are versioned: editing the steps publishes a new ProcessVersion and every running
ProcessInstance keeps the version it started with. Events are recorded in the transaction of what
happened (an order confirmed) and dispatched by the scheduler; one instance per (version, event).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Keyed, TimestampMixin, named, utcnow
from app.models.types import Money, Quantity

PROJECT_STATES = ("active", "on_hold", "done", "cancelled")
TASK_STATES = ("todo", "in_progress", "review", "done", "cancelled")
INSTANCE_STATES = ("running", "done", "cancelled")
EVENT_KINDS = ("order_confirmed", "proposal_approved", "complaint_registered", "payment_overdue", "shortage_found",
               "kpi_red")

project_member = Table(
    "project_member", Model.metadata,
    Column("project_id", Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
)


class Project(named(200, 32), Audited, TimestampMixin, Model):
    """A piece of work with a team, linked to the client, deal, TCP or order it delivers."""

    __tablename__ = "project"
    __table_args__ = (CheckConstraint("state IN ('active','on_hold','done','cancelled')", name="ck_project_state"),)
    state: Mapped[str] = mapped_column(String(16), default="active", nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    start_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True, index=True)
    owner = relationship("User", foreign_keys=[owner_id])
    members = relationship("User", secondary=project_member)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    partner = relationship("Partner", foreign_keys=[partner_id])
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"), nullable=True, index=True)
    deal = relationship("Deal", foreign_keys=[deal_id])
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), nullable=True, index=True)
    proposal = relationship("Proposal", foreign_keys=[proposal_id])
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), nullable=True, index=True)
    sales_order = relationship("SalesOrder", foreign_keys=[sales_order_id])
    tasks: Mapped[list[ProjectTask]] = relationship(back_populates="project", order_by="ProjectTask.start_date")

    def __repr__(self) -> str:
        return self.titled()


class ProjectTask(Keyed, Audited, TimestampMixin, Model):
    """A task: who (a person or a role), when (working days), how long (estimate), its state on the board."""

    __tablename__ = "project_task"
    __table_args__ = (
        CheckConstraint("state IN ('todo','in_progress','review','done','cancelled')", name="ck_task_state"),
        CheckConstraint("start_date <= due_date", name="ck_task_dates"),
        CheckConstraint("estimate_hours >= 0", name="ck_task_estimate"),
        Index("ix_task_assignee_state", "assignee_id", "state"),
        Index("ix_task_role_state", "assignee_role_id", "state"),
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    project: Mapped[Project | None] = relationship(back_populates="tasks")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="todo", nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    assignee = relationship("User", foreign_keys=[assignee_id])
    assignee_role_id: Mapped[int | None] = mapped_column(ForeignKey("ab_role.id"), nullable=True)
    assignee_role = relationship("Role", foreign_keys=[assignee_role_id])
    start_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    estimate_hours = mapped_column(Quantity(), nullable=False, default=0)
    is_milestone: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    production_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_order.id"), nullable=True,
                                                            index=True)
    production_order = relationship("ProductionOrder", foreign_keys=[production_order_id])
    work_center_id: Mapped[int | None] = mapped_column(ForeignKey("work_center.id"), nullable=True)
    work_center = relationship("WorkCenter", foreign_keys=[work_center_id])
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), nullable=True, index=True)
    step_key: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    checklist: Mapped[list[ChecklistItem]] = relationship(back_populates="task", order_by="ChecklistItem.id",
                                                          cascade="all, delete-orphan")
    comments: Mapped[list[TaskComment]] = relationship(back_populates="task", order_by="TaskComment.id",
                                                       cascade="all, delete-orphan")
    attachments: Mapped[list[TaskAttachment]] = relationship(back_populates="task", order_by="TaskAttachment.id",
                                                             cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.title


class TaskLink(Keyed, Audited, Model):
    """Finish-to-start: the successor starts `lag_days` working days after the predecessor's finish."""

    __tablename__ = "project_task_link"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id", name="uq_task_link"),
        CheckConstraint("predecessor_id <> successor_id", name="ck_task_link_self"),
        CheckConstraint("lag_days >= 0", name="ck_task_link_lag"),
    )
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False,
                                                index=True)
    predecessor = relationship("ProjectTask", foreign_keys=[predecessor_id])
    successor_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    successor = relationship("ProjectTask", foreign_keys=[successor_id])
    lag_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def __repr__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class ChecklistItem(Keyed, Audited, Model):
    __tablename__ = "project_checklist_item"
    task_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False, index=True)
    task: Mapped[ProjectTask] = relationship(back_populates="checklist")
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    def __repr__(self) -> str:
        return self.text


class TaskComment(Keyed, Audited, Model):
    __tablename__ = "project_task_comment"
    task_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False, index=True)
    task: Mapped[ProjectTask] = relationship(back_populates="comments")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return self.body[:60]


class TaskAttachment(Keyed, Model):
    """A file kept with a task (a drawing, a supplier's quote): whoever sees the task may download it."""

    __tablename__ = "project_task_attachment"
    __table_args__ = (CheckConstraint("size > 0", name="ck_task_attachment_size"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False, index=True)
    task: Mapped[ProjectTask] = relationship(back_populates="attachments")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)  # read on download only
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return self.filename


class TimeEntry(Keyed, Audited, Model):
    """Time a person spent on a task; on a production order's task, its labour cost at the work centre rate."""

    __tablename__ = "project_time_entry"
    __table_args__ = (CheckConstraint("minutes > 0", name="ck_time_minutes"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=False, index=True)
    task = relationship("ProjectTask")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True, index=True)
    user = relationship("User", foreign_keys=[user_id])
    work_date: Mapped[date] = mapped_column(Date, default=date.today, nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    labour_cost = mapped_column(Money(), nullable=False, default=0)

    def __repr__(self) -> str:
        return f"{self.task} {self.minutes}"


class TaskNotice(Keyed, Model):
    """An in-app notification, written in the recipient's language when it is created."""

    __tablename__ = "project_notice"
    __table_args__ = (Index("ix_notice_user_read", "user_id", "read_at"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    user = relationship("User", foreign_keys=[user_id])
    task_id: Mapped[int | None] = mapped_column(ForeignKey("project_task.id", ondelete="CASCADE"), nullable=True)
    task = relationship("ProjectTask")
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ProcessTemplate(named(200, 32), Audited, TimestampMixin, Model):
    """A business process: on an event, when a condition holds, the steps of its latest version."""

    __tablename__ = "process_template"
    __table_args__ = (CheckConstraint(
        "event IN ('order_confirmed','proposal_approved','complaint_registered','payment_overdue','shortage_found',"
        "'kpi_red')",
        name="ck_process_event"),)
    event: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    condition: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
    steps: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON, see services/projects/processes
    active: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    versions: Mapped[list[ProcessVersion]] = relationship(back_populates="template", order_by="ProcessVersion.number")

    def __repr__(self) -> str:
        return self.titled()


class ProcessVersion(Keyed, Audited, Model):
    """A published, frozen copy of a template's condition and steps; instances run on one version."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("template_id", "number", name="uq_process_version"),)
    template_id: Mapped[int] = mapped_column(ForeignKey("process_template.id", ondelete="CASCADE"), nullable=False)
    template: Mapped[ProcessTemplate] = relationship(back_populates="versions")
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    condition: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
    steps: Mapped[str] = mapped_column(Text, nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    published_by: Mapped[str] = mapped_column(String(100), default="", nullable=False)

    def __repr__(self) -> str:
        return f"{self.template} v{self.number}"


class ProcessEvent(Keyed, Model):
    """Something that happened, with the fields a condition may read; dispatched once by the scheduler."""

    __tablename__ = "process_event"
    __table_args__ = (Index("ix_process_event_pending", "dispatched_at", "id"),
                      Index("ix_process_event_kind_time", "kind", "occurred_at"))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    entity: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON: {"order.total": "125000"}
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"#{self.id}"  # lists name its kind in words (app/views/projects.py EVENT_LABELS)


class ProcessInstance(Keyed, Model):
    """One run of a process version for one event: where it stands (the step it waits for)."""

    __tablename__ = "process_instance"
    __table_args__ = (UniqueConstraint("version_id", "event_id", name="uq_process_instance_once"),
                      CheckConstraint("state IN ('running','done','cancelled')", name="ck_instance_state"))
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), nullable=False, index=True)
    version: Mapped[ProcessVersion] = relationship()
    event_id: Mapped[int] = mapped_column(ForeignKey("process_event.id"), nullable=False, index=True)
    event: Mapped[ProcessEvent] = relationship()
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), nullable=True)
    project = relationship("Project")
    state: Mapped[str] = mapped_column(String(16), default="running", nullable=False, index=True)
    step_index: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"{self.version} · #{self.event_id}"
