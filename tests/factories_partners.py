"""Builders for client-base and funnel test data (partners, stages, deals with a hand-made stage history)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from app.extensions import db
from app.models.crm import Deal, DealStage, DealStageChange
from app.models.partners import Partner
from app.services.crm import DealInput, create_deal, ensure_default_stages
from app.services.partners import PartnerInput, save_partner


def partner(name: str, **kw) -> Partner:
    """A partner saved through the service (duplicates allowed unless `check=True`)."""
    check = kw.pop("check", False)
    return save_partner(db.session, PartnerInput(name=name, **kw), confirm_duplicate=not check)


def stages() -> dict[str, DealStage]:
    return {s.name: s for s in ensure_default_stages(db.session)}


def deal(title: str, p: Partner, amount: str = "100", stage: str = "Lead", **kw) -> Deal:
    st = stages()
    return create_deal(db.session, DealInput(title=title, partner_id=p.id, amount=Decimal(amount),
                                             stage_id=st[stage].id, **kw))


def deal_with_history(title: str, p: Partner, path: list[str], amount: str = "100",
                      created: datetime | None = None, manager_id: int | None = None) -> Deal:
    """A deal whose stage history is exactly `path` (first = where it was created), written by hand."""
    st = stages()
    d = Deal(title=title, partner_id=p.id, amount=Decimal(amount), stage_id=st[path[-1]].id,
             manager_id=manager_id, created_at=created or datetime(2026, 10, 1, 12, 0))
    db.session.add(d)
    db.session.flush()
    prev = None
    for n, name in enumerate(path):
        db.session.add(DealStageChange(deal_id=d.id, from_stage_id=prev, to_stage_id=st[name].id,
                                       changed_at=datetime(2026, 10, 1, 12, n)))
        prev = st[name].id
    db.session.commit()
    return d
