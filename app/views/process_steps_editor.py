"""What the visual step editor of a process template (static/js/process_steps.js) offers: the roles and
persons a step may go to, and the fields each event gives to conditions.

The editor only writes the steps' JSON into the form's `steps` box; the server checks it exactly as typed
JSON (services/projects/processes.parse_steps), so its messages still name the step and the field.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.projects import EVENT_KINDS
from app.permission_labels import role_label
from app.services.projects.processes import EVENT_FIELDS


def editor_context(session: Session, event_labels: dict) -> dict[str, Any]:
    """Roles (stored name, label), active persons (username, name) and each event's condition fields."""
    roles = [(name, role_label(name)) for name in session.scalars(select(Role.name).order_by(Role.name))]
    rows = session.execute(select(User.username, User.first_name, User.last_name)
                           .where(User.active.is_(True)).order_by(User.first_name, User.last_name))
    users = [(login, f"{first or ''} {last or ''}".strip() or login) for login, first, last in rows]
    events = [(e, str(event_labels.get(e, e)), list(EVENT_FIELDS.get(e, ()))) for e in EVENT_KINDS]
    return {"roles": roles, "users": users, "events": events}
