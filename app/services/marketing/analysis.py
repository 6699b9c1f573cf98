"""RFM groups of the client base and "who to call this week" (clients past their usual reorder interval)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.models.marketing import ClientStats
from app.models.partners import Partner
from app.services.marketing.labels import RFM_GROUP_LABELS

GROUP_ORDER = ("champions", "loyal", "new", "at_risk", "lost", "others")


def rfm_group(r: int, f: int) -> str:
    """The usual reading of the recency and frequency scores."""
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r >= 4 and f <= 2:
        return "new"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 1:
        return "lost"
    return "others"


@dataclass
class RfmGroup:
    key: str
    label: Any
    clients: int = 0
    revenue: Decimal = ZERO


def rfm_groups(session: Session) -> list[RfmGroup]:
    out = {k: RfmGroup(k, RFM_GROUP_LABELS[k]) for k in GROUP_ORDER}
    for r, f, revenue in session.execute(select(ClientStats.r_score, ClientStats.f_score, ClientStats.revenue)
                                         .where(ClientStats.orders > 0)):
        g = out[rfm_group(r, f)]
        g.clients += 1
        g.revenue += revenue
    return [out[k] for k in GROUP_ORDER]


@dataclass(frozen=True)
class CallSuggestion:
    partner_id: int
    name: str
    phone: str
    last_order: date
    interval_days: int
    due: date
    manager_id: int | None


def call_this_week(session: Session, today: date, manager_id: int | None = None,
                   limit: int = 50) -> list[CallSuggestion]:
    """Clients whose usual reorder interval has passed or passes within the week, most overdue first."""
    q = (select(Partner.id, Partner.name, Partner.phone, ClientStats.last_order, ClientStats.interval_days,
                ClientStats.next_due, Partner.manager_id)
         .join(ClientStats, ClientStats.partner_id == Partner.id)
         .where(ClientStats.next_due.is_not(None), ClientStats.next_due <= today + timedelta(days=7),
                Partner.active.is_(True))
         .order_by(ClientStats.next_due, Partner.id).limit(limit))
    if manager_id is not None:
        q = q.where(Partner.manager_id == manager_id)
    return [CallSuggestion(*row) for row in session.execute(q)]
