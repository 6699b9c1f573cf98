"""Who sees which projects: the Admin and Manager roles see all; everyone else the projects of their team.

A user's team on a project is its owner, its members, and whoever has a task on it (by name or by one of
their roles). Pages, lists and the REST API all filter through `visible_projects` / `may_see`, so the API
can't show what the pages hide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from app.models.projects import Project, ProjectTask, project_member

ALL_SEEING = ("Admin", "Manager")


def role_ids(user: Any) -> list[int]:
    return [r.id for r in getattr(user, "roles", []) or []]


def sees_all(user: Any) -> bool:
    return user is None or any(r.name in ALL_SEEING for r in getattr(user, "roles", []) or [])


def visible_projects(user: Any) -> ColumnElement[bool]:
    """A WHERE clause on Project: the projects `user` may see (None: the system, which sees all)."""
    if sees_all(user):
        return true()
    uid = getattr(user, "id", None)
    if uid is None:
        return false()
    roles = role_ids(user)
    task_of_mine = ProjectTask.assignee_id == uid
    if roles:
        task_of_mine = or_(task_of_mine, ProjectTask.assignee_role_id.in_(roles))
    return or_(Project.owner_id == uid,
               Project.id.in_(project_member.select().with_only_columns(project_member.c.project_id)
                              .where(project_member.c.user_id == uid)),
               Project.tasks.any(task_of_mine))


def visible_tasks(user: Any) -> ColumnElement[bool]:
    """A WHERE clause on ProjectTask: tasks of visible projects, and tasks without a project that are theirs."""
    if sees_all(user):
        return true()
    uid = getattr(user, "id", None)
    roles = role_ids(user)
    mine = ProjectTask.assignee_id == uid
    if roles:
        mine = or_(mine, ProjectTask.assignee_role_id.in_(roles))
    return or_(mine, ProjectTask.project.has(visible_projects(user)))


def may_see(session, user: Any, project_id: int | None) -> bool:
    if project_id is None or sees_all(user):
        return True
    from sqlalchemy import select

    return session.scalar(select(Project.id).where(Project.id == project_id, visible_projects(user))) is not None


def request_user() -> Any:
    """The signed-in user (page or bearer token), else None (jobs, CLI, tests: the system sees all)."""
    try:
        from flask import g, has_request_context
        from flask_login import current_user

        if not has_request_context():
            return None
        if getattr(current_user, "is_authenticated", False):
            return current_user
        user = getattr(g, "user", None)
        return user if getattr(user, "is_authenticated", False) else None
    except Exception:  # noqa: BLE001 - outside Flask: the system
        return None
