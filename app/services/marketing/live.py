"""Keeping segments current: a client is re-evaluated in the transaction that changes its history.

A session hook notes the clients whose order changed state (confirmed, cancelled...) or whose
shipment or invoice was posted during the flushes of a use case; just before that use case commits,
each noted client's statistics are refreshed and its segment memberships re-evaluated (a few
indexed queries per client), so membership and the order are committed together, or not at all.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.sales import SalesInvoice, SalesOrder, Shipment

_NOTED = "marketing_clients"
_BUSY = "marketing_refreshing"


def _note(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, SalesOrder | Shipment | SalesInvoice):
            continue
        # before the flush a new row may name its client by the relationship only
        partner_id = obj.partner_id or (obj.partner.id if obj.partner is not None else None)
        state = inspect(obj)
        if partner_id and (obj in session.new or state.attrs.state.history.has_changes()
                           or state.attrs.partner_id.history.has_changes()):
            session.info.setdefault(_NOTED, set()).add(partner_id)


def _refresh(session: Session) -> None:
    noted = session.info.pop(_NOTED, None)
    if not noted or session.info.get(_BUSY):
        return
    from app.services.marketing.segments import evaluate_client
    from app.services.marketing.stats import refresh_client

    session.info[_BUSY] = True
    try:
        for partner_id in sorted(noted):
            refresh_client(session, partner_id)
            session.flush()
            evaluate_client(session, partner_id, history_only=True)
        session.flush()
    finally:
        session.info.pop(_BUSY, None)
        session.info.pop(_NOTED, None)


def _forget(session: Session, *args) -> None:
    session.info.pop(_NOTED, None)


def install() -> None:
    """Hook the re-evaluation into every ORM session (idempotent)."""
    if event.contains(Session, "before_commit", _refresh):
        return
    event.listen(Session, "before_flush", _note)
    event.listen(Session, "before_commit", _refresh)
    event.listen(Session, "after_rollback", _forget)
