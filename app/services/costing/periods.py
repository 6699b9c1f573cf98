"""Accounting periods: close a month, reopen it, and the one check every posting and cancelling makes.

`assert_open` is called by the stock ledger's two doors (post_moves and reverse_moves, which every
stock document, shipment, production receipt, repair and transformation goes through) and by the
cost corrections; invoices, acts and payments, which never touch the ledger, by the sales services
that post and cancel them (app.services.sales.invoices: the only code that writes them; pages, API
and jobs all go through it): so nothing can be posted or cancelled with a date in a closed month.
Closing freezes each warehouse's stock value at the month's last day (the ledger's sum up
to that day, which no later posting can change since nothing may be dated in it any more).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem
from app.domain.money import ZERO
from app.models.base import utcnow
from app.models.costing import PERIOD_CLOSED, PERIOD_OPEN, AccountingPeriod, PeriodStockValue
from app.models.stock import StockMove
from app.permissions import ACTION_APPROVE, RESOURCE_PERIOD, perm
from app.services import audit, driver_sql
from app.services.base import SYSTEM, current_actor

MSG_CLOSED = "The date %(date)s is in the closed period %(period)s: nothing can be posted or cancelled in it"
MSG_REOPEN_PERMISSION = "Reopening a closed period needs the permission to reopen periods"
MSG_NOT_CLOSED = "The period %(period)s is not closed"
MSG_ALREADY_CLOSED = "The period %(period)s is already closed"


def month_of(day: date) -> tuple[date, date]:
    """(first day, last day) of the month of `day`."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


_PERIODS = AccountingPeriod.__table__
# built once, Core, the id only: every posting runs it, and building an ORM select of the entity (its
# cache key, compile state, loading) cost ~10x more than the look-up itself
_CLOSED_ID = select(_PERIODS.c.id).where(
    _PERIODS.c.state == PERIOD_CLOSED, _PERIODS.c.month_start <= bindparam("on_date"),
    _PERIODS.c.month_end >= bindparam("on_date")).limit(1)


def _closed_period(session: Session, on_date: date) -> AccountingPeriod | None:
    # the register is a few rows a year: one indexed look-up per posting, the period loaded only when found
    found = driver_sql.fetch(session, _CLOSED_ID, {"on_date": on_date})
    found = found[0][0] if found else None
    return session.get(AccountingPeriod, found) if found is not None else None


def assert_open(session: Session, on_date: date, field: str = "doc_date") -> None:
    """Refuse (naming the date field) when `on_date` falls in a closed period."""
    period = _closed_period(session, on_date)
    if period is not None:
        raise DomainError([Problem(MSG_CLOSED, {"date": shown_date(on_date), "period": repr(period)}, field=field)])


def shown_date(day: date) -> str:
    """The date as the reader writes it (28.09.2026 ru, 28/09/2026 es): the refusal is read by the person
    who typed the date; ISO outside a request or job locale (scripts, logs)."""
    from flask_babel import get_locale

    from app.printing.formatting import date as numeric_date

    try:
        locale = get_locale()
    except (RuntimeError, AttributeError):  # no app context: a script
        locale = None
    return numeric_date(day, str(locale)) if locale else day.isoformat()


def first_open_day(session: Session, on_date: date) -> date:
    """`on_date` if its period is open, else the first day after the closed months that follow it."""
    day = on_date
    while (period := _closed_period(session, day)) is not None:
        day = period.month_end + timedelta(days=1)
    return day


def _period(session: Session, day: date, lock: bool = True) -> AccountingPeriod:
    start, end = month_of(day)
    query = select(AccountingPeriod).where(AccountingPeriod.month_start == start)
    period = session.scalar(query.with_for_update() if lock else query)
    if period is None:
        period = AccountingPeriod(month_start=start, month_end=end, state=PERIOD_OPEN)
        session.add(period)
        session.flush()
    return period


def stock_values_at(session: Session, day: date) -> dict[int, tuple[Decimal, Decimal]]:
    """{warehouse: (qty, value)} of the ledger up to and including `day`."""
    rows = session.execute(select(StockMove.warehouse_id, func.sum(StockMove.qty), func.sum(StockMove.value))
                           .where(StockMove.move_date <= day).group_by(StockMove.warehouse_id))
    return {w: (q or ZERO, v or ZERO) for w, q, v in rows}


def close_period(session: Session, day: date) -> AccountingPeriod:
    """Close the month of `day` and freeze its stock value per warehouse (the caller's transaction)."""
    period = _period(session, day)
    if period.state == PERIOD_CLOSED:
        raise DomainError(MSG_ALREADY_CLOSED, period=repr(period))
    period.values = [PeriodStockValue(warehouse_id=w, qty=q, value=v)
                     for w, (q, v) in sorted(stock_values_at(session, period.month_end).items())]
    period.stock_value = sum((v.value for v in period.values), ZERO)
    period.state = PERIOD_CLOSED
    period.closed_at, period.closed_by = utcnow(), current_actor().username
    audit.record(session, "close", period, summary=f"{period!r}: {period.stock_value}")
    session.flush()
    return period


def may_reopen() -> bool:
    """Whether the acting user holds the reopen permission (approve on periods); scripts may."""
    actor = current_actor()
    if actor == SYSTEM:
        return True
    if actor.user_id is None:
        return False
    from flask import current_app

    sm = current_app.appbuilder.sm
    user = sm.get_user_by_id(actor.user_id)
    return user is not None and sm.exist_permission_on_roles(RESOURCE_PERIOD, perm(ACTION_APPROVE),
                                                             [r.id for r in user.roles])


def reopen_period(session: Session, day: date) -> AccountingPeriod:
    """Reopen a closed month: its own permission, recorded in the audit log with the frozen value."""
    if not may_reopen():
        raise DomainError(MSG_REOPEN_PERMISSION)
    period = _period(session, day)
    if period.state != PERIOD_CLOSED:
        raise DomainError(MSG_NOT_CLOSED, period=repr(period))
    period.state = PERIOD_OPEN
    period.reopened_at, period.reopened_by = utcnow(), current_actor().username
    audit.record(session, "reopen", period, summary=f"{period!r}: {period.stock_value}")
    session.flush()
    return period


MSG_RECOSTED = "The document's cost was corrected afterwards by %(documents)s: cancel the correction first"


def assert_not_recosted(session: Session, move_ids: list[int]) -> None:
    """Refuse to reverse moves whose cost a correction still changes (the reversal gives back only
    what the move itself took, so the correction's share would stay behind). Checked here, beside
    the period check, because reverse_moves is the one door of every cancellation."""
    from app.models.costing import CostImpact

    if not move_ids:
        return
    rows = session.execute(select(CostImpact.source_type, CostImpact.source_id, func.sum(CostImpact.amount))
                           .where(CostImpact.consumer_move_id.in_(move_ids))
                           .group_by(CostImpact.source_type, CostImpact.source_id)).all()
    open_ = [(t, i) for t, i, total in rows if total]
    if open_:
        raise DomainError(MSG_RECOSTED, documents=", ".join(_source_names(session, open_)))


def _source_names(session: Session, sources: list[tuple[str, int]]) -> list[str]:
    from app.models.costing import DOC_COST_CORRECTION, CostCorrection
    from app.models.stock import StockDocument

    names = []
    for t, i in sources:
        model = CostCorrection if t == DOC_COST_CORRECTION else StockDocument
        names.append(session.scalar(select(model.number).where(model.id == i)) or f"#{i}")
    return sorted(names)
