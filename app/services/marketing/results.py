"""A campaign's results against its holdout: orders, revenue and gross margin at actual FIFO cost.

Both groups are the recipients fixed when the campaign started (every target client counts, mailed
or not: the comparison is of who was chosen, not of who opened), over the same window: from the start
for `period_days`. Revenue is the orders' net amount in the base currency; the gross margin is what
was shipped from those orders at its selling price less the FIFO cost the ledger took out for it
(ShipmentLine.cost, written when the shipment was posted). The increment is the difference of the
groups' means per client scaled to the target group, with a normal 95 % interval from the two
groups' variances; ROI is (incremental margin - campaign cost) / campaign cost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.domain.money import ZERO, exact, round_amount
from app.models.marketing import GROUP_HOLDOUT, GROUP_TARGET, Campaign, CampaignRecipient
from app.models.sales import DOC_POSTED, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from app.services.marketing.stats import counted_orders

Z95 = Decimal("1.96")


@dataclass
class GroupFigures:
    clients: int = 0
    buyers: int = 0
    orders: int = 0
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    margin: Decimal = ZERO
    per_client: list[Decimal] = field(default_factory=list)  # margin of each client, zeros included

    @property
    def mean_margin(self) -> Decimal:
        return sum(self.per_client, ZERO) / self.clients if self.clients else ZERO

    @property
    def variance(self) -> Decimal:
        n = self.clients
        if n < 2:
            return ZERO
        mean = self.mean_margin
        return sum(((x - mean) ** 2 for x in self.per_client), ZERO) / (n - 1)


@dataclass
class Results:
    period_from: date
    period_to: date
    target: GroupFigures
    holdout: GroupFigures
    revenue_increment: Decimal
    margin_increment: Decimal
    margin_low: Decimal
    margin_high: Decimal
    campaign_cost: Decimal
    roi: Decimal | None  # on margin; None without a cost


def _window(campaign: Campaign, today: date) -> tuple[date, date]:
    if campaign.started_at is None:
        raise DomainError("The campaign has not started: no results yet")
    start = campaign.started_at.date()
    return start, min(today, start + timedelta(days=campaign.period_days))


def _groups(session: Session, campaign_id: int) -> dict[int, str]:
    return dict(session.execute(select(CampaignRecipient.partner_id, CampaignRecipient.group)
                                .where(CampaignRecipient.campaign_id == campaign_id)).all())


def _order_rows(session: Session, campaign_id: int, start: date, end: date):
    who = select(CampaignRecipient.partner_id).where(CampaignRecipient.campaign_id == campaign_id)
    return session.execute(select(SalesOrder.id, SalesOrder.partner_id, SalesOrder.amount_net, SalesOrder.rate)
                           .where(SalesOrder.partner_id.in_(who), counted_orders(),
                                  SalesOrder.order_date >= start, SalesOrder.order_date <= end)).all()


def _shipped_rows(session: Session, order_ids: list[int]):
    out = []
    for i in range(0, len(order_ids), 5000):
        chunk = order_ids[i:i + 5000]
        out += session.execute(
            select(SalesOrder.partner_id, ShipmentLine.qty, SalesOrderLine.amount_net, SalesOrderLine.qty,
                   SalesOrder.rate, ShipmentLine.cost)
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
            .join(SalesOrder, SalesOrder.id == Shipment.order_id)
            .where(Shipment.order_id.in_(chunk), Shipment.state == DOC_POSTED)).all()
    return out


def campaign_results(session: Session, campaign_id: int, today: date | None = None) -> Results:
    """The campaign's figures by group and the increment it caused, in the base currency."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise DomainError("Campaign %(id)s not found", id=campaign_id)
    start, end = _window(campaign, today or date.today())
    group_of = _groups(session, campaign_id)
    figures = {GROUP_TARGET: GroupFigures(), GROUP_HOLDOUT: GroupFigures()}
    margin: dict[int, Decimal] = defaultdict(lambda: ZERO)
    buyers: set[int] = set()
    with exact():
        orders = _order_rows(session, campaign_id, start, end)
        for _, pid, net, rate in orders:
            g = figures[group_of[pid]]
            g.orders += 1
            g.revenue += Decimal(net) * Decimal(rate)
            buyers.add(pid)
        for pid, qty, line_net, line_qty, rate, cost in _shipped_rows(session, [o[0] for o in orders]):
            sold = Decimal(line_net) * Decimal(qty) / Decimal(line_qty) * Decimal(rate)
            g = figures[group_of[pid]]
            g.cost += Decimal(cost or 0)
            margin[pid] += sold - Decimal(cost or 0)
        for pid, group in group_of.items():
            g = figures[group]
            g.clients += 1
            g.buyers += pid in buyers
            g.per_client.append(margin[pid])
            g.margin += margin[pid]
        t, h = figures[GROUP_TARGET], figures[GROUP_HOLDOUT]
        return _compare(t, h, start, end, Decimal(campaign.cost or 0))


def _compare(t: GroupFigures, h: GroupFigures, start: date, end: date, cost: Decimal) -> Results:
    rev_mean = lambda g: g.revenue / g.clients if g.clients else ZERO  # noqa: E731
    inc_rev = (rev_mean(t) - rev_mean(h)) * t.clients if h.clients else ZERO
    inc = (t.mean_margin - h.mean_margin) * t.clients if h.clients else ZERO
    se = ((t.variance / t.clients if t.clients else ZERO) + (h.variance / h.clients if h.clients else ZERO))
    half = se.sqrt() * Z95 * t.clients if se > 0 else ZERO
    roi = (inc - cost) / cost if cost > 0 else None
    for g in (t, h):
        g.revenue, g.cost, g.margin = round_amount(g.revenue), round_amount(g.cost), round_amount(g.margin)
    return Results(start, end, t, h, round_amount(inc_rev), round_amount(inc), round_amount(inc - half),
                   round_amount(inc + half), round_amount(cost),
                   roi.quantize(Decimal("0.0001")) if roi is not None else None)
