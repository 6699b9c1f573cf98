"""Client statistics from the order history: counts, revenue, RFM scores, ABC class, usual interval.

An order counts once it is confirmed (any state but draft and cancelled); revenue is its net amount
in the base currency (net x the order's rate). The full rebuild computes everybody in one grouped
query and stores the scale (quintiles, ABC limits) it scored them on; `refresh_client` re-scores one
client after its order on that stored scale, in a couple of indexed queries, so the cache stays
current without rebuilding everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.domain.money import ZERO, exact, round_amount
from app.models.base import utcnow
from app.models.marketing import ClientScale, ClientStats
from app.models.sales import SO_CANCELLED, SO_DRAFT, SalesOrder

ABC_A_SHARE = Decimal("0.8")  # the clients making the first 80 % of revenue are A
ABC_B_SHARE = Decimal("0.95")  # the next 15 % B, the rest C


@dataclass(frozen=True)
class History:
    partner_id: int
    orders: int
    first: date
    last: date
    dates: int  # distinct order days
    revenue: Decimal


def counted_orders():
    """The orders that count as purchases: confirmed ones, not drafts nor cancelled."""
    return SalesOrder.state.notin_((SO_DRAFT, SO_CANCELLED))


def _histories(session: Session, partner_id: int | None = None) -> list[History]:
    """Each client's history from its counted orders, summed in Decimal (SQLite's stored money is
    scaled: a product of two such columns in SQL would be off by the scale, and its sums are floats)."""
    q = (select(SalesOrder.partner_id, SalesOrder.order_date, SalesOrder.amount_net, SalesOrder.rate)
         .where(counted_orders()))
    if partner_id is not None:
        q = q.where(SalesOrder.partner_id == partner_id)
    acc: dict[int, list] = {}
    for pid, on, net, rate in session.execute(q):
        row = acc.get(pid)
        value = net * rate
        if row is None:
            acc[pid] = [1, on, on, {on}, value]
        else:
            row[0] += 1
            row[1], row[2] = min(row[1], on), max(row[2], on)
            row[3].add(on)
            row[4] += value
    return [History(pid, n, first, last, len(days), revenue)
            for pid, (n, first, last, days, revenue) in acc.items()]


def _quintiles(values: Sequence) -> list:
    """The four cut points splitting sorted values into five equal groups."""
    ordered = sorted(values)
    if not ordered:
        return []
    return [ordered[min(len(ordered) - 1, len(ordered) * k // 5)] for k in (1, 2, 3, 4)]


def _score(value, cuts: Sequence, reverse: bool = False) -> int:
    """1..5: one plus the cut points the value is above (recency: fewer days scores higher); strictly
    above, so ties at the bottom of a short history (many one-order clients) stay at the bottom."""
    if not cuts:
        return 3
    above = sum(1 for c in cuts if value > c)
    return 5 - above if reverse else 1 + above


def _abc_limits(revenues: Iterable[Decimal]) -> tuple[Decimal, Decimal]:
    """The revenue a client needs to be A and to be B (the smallest one inside the share)."""
    ordered = sorted(revenues, reverse=True)
    total = sum(ordered, ZERO)
    a_min = b_min = ordered[-1] if ordered else ZERO
    running = ZERO
    a_set = b_set = False
    for rev in ordered:
        running += rev
        if not a_set:
            a_min = rev
            a_set = running >= total * ABC_A_SHARE
        elif not b_set:
            b_min = rev
            b_set = running >= total * ABC_B_SHARE
    return a_min, b_min if b_set or len(ordered) > 1 else a_min


def build_scale(histories: Sequence[History], today: date) -> dict:
    a_min, b_min = _abc_limits(h.revenue for h in histories)
    return {"r": _quintiles([(today - h.last).days for h in histories]),
            "f": _quintiles([h.orders for h in histories]),
            "m": [str(c) for c in _quintiles([h.revenue for h in histories])],
            "a": str(a_min), "b": str(b_min)}


def _row(h: History, scale: dict, today: date) -> dict:
    interval = round((h.last - h.first).days / (h.dates - 1)) if h.dates > 1 else None
    rev = round_amount(h.revenue)
    m_cuts = [Decimal(c) for c in scale.get("m", [])]
    a_min, b_min = Decimal(scale.get("a", "0")), Decimal(scale.get("b", "0"))
    abc = "A" if rev >= a_min else "B" if rev >= b_min else "C"
    return {"partner_id": h.partner_id, "orders": h.orders, "first_order": h.first, "last_order": h.last,
            "revenue": rev, "interval_days": interval,
            "next_due": h.last + timedelta(days=interval) if interval else None,
            "r_score": _score((today - h.last).days, scale.get("r", []), reverse=True),
            "f_score": _score(h.orders, scale.get("f", [])), "m_score": _score(rev, m_cuts),
            "abc_class": abc, "refreshed_at": utcnow()}


def rebuild_all(session: Session, today: date | None = None) -> int:
    """Recompute every client's statistics and the scale; returns how many clients have orders."""
    today = today or date.today()
    with exact():
        histories = _histories(session)
        scale = build_scale(histories, today)
        rows = [_row(h, scale, today) for h in histories]
    session.execute(delete(ClientStats))
    for start in range(0, len(rows), 5000):
        session.execute(insert(ClientStats), rows[start:start + 5000])
    stored = session.get(ClientScale, 1)
    if stored is None:
        session.add(ClientScale(id=1, cuts=scale))
    else:
        stored.cuts, stored.computed_at = scale, utcnow()
    session.flush()
    return len(rows)


def refresh_client(session: Session, partner_id: int, today: date | None = None) -> ClientStats | None:
    """Re-score one client on the stored scale after its orders changed (same transaction)."""
    today = today or date.today()
    stored = session.get(ClientScale, 1)
    scale = stored.cuts if stored is not None else {}
    found = _histories(session, partner_id)
    row = session.get(ClientStats, partner_id)
    if not found:
        if row is not None:
            session.delete(row)
        return None
    with exact():
        values = _row(found[0], scale, today)
    if row is None:
        row = ClientStats(partner_id=partner_id)
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    return row
