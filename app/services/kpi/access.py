"""Who is reading KPIs in this request: the divisions their roles cover, the registers they may read,
themselves. One definition for the dashboard pages and the REST API, so both show the same KPIs."""

from __future__ import annotations

from flask import current_app, g, request

from app.permissions import ACTION_READ, perm
from app.services.kpi import scorecard


def security_manager():
    return current_app.appbuilder.sm


def can_read(resource: str) -> bool:
    """May the signed-in user read `resource` (memoized for the request: a dashboard asks per KPI)."""
    memo = request.environ.setdefault("fabrika.kpi_can_read", {})  # per request, whatever `g` outlives
    if resource not in memo:
        memo[resource] = bool(g.user and security_manager().has_access(perm(ACTION_READ), resource))
    return memo[resource]


def reader() -> scorecard.Reader:
    """The signed-in reader (a session or a bearer token: FAB puts either user on `g.user`)."""
    roles = [r.name for r in getattr(g.user, "roles", [])]
    return scorecard.Reader(scorecard.role_divisions(roles), can_read, getattr(g.user, "id", None),
                            bool(scorecard.EVERYONE_ROLES & set(roles)))
