"""A campaign's results against its holdout: orders, revenue and gross margin at actual FIFO cost.

Both groups are the recipients fixed when the campaign started (every target client counts, mailed
or not: the comparison is of who was chosen, not of who opened), over the same window: from the start
for `period_days`. Revenue is the orders' net amount in the base currency; the gross margin is what
was shipped from those orders at its selling price less the FIFO cost the ledger took out for it
(ShipmentLine.cost, written when the shipment was posted). The increment is the difference of the
groups' means per client scaled to the target group, with a normal 95 % interval from the two
groups' variances; ROI is (incremental margin - campaign cost) / campaign cost.

With few orders the margins per client are mostly zeros and a few large figures: skewed, so the normal
interval can reach below what any draw could give. Then a percentile bootstrap interval is given
beside it: both groups resampled with replacement 2,000 times from a generator seeded by the
campaign's draw seed (the same figures every time), the sums kept in kopeks (integers), the bounds
Decimal.
"""

from __future__ import annotations

import math
import random
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
    boot_low: Decimal | None = None  # the bootstrap 95 % interval, when the margins are skewed
    boot_high: Decimal | None = None


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
        return _compare(t, h, start, end, Decimal(campaign.cost or 0), campaign.seed or 1)


FEW_BUYERS = 30  # fewer clients with a margin than this in a group: the increment is skewed
SKEWNESS = Decimal(1)
RESAMPLES = 2000
MAX_DRAWS = 2_000_000  # the bootstrap's work is kept to about a second: fewer resamples beyond


def _skewness(g: GroupFigures) -> Decimal:
    """The sample skewness of the margins per client (0 for fewer than 3 or no spread)."""
    n, var = g.clients, g.variance
    if n < 3 or var <= 0:
        return ZERO
    mean = g.mean_margin
    with exact():
        return sum(((x - mean) ** 3 for x in g.per_client), ZERO) / n / var.sqrt() ** 3


def skewed(t: GroupFigures, h: GroupFigures) -> bool:
    """Whether the normal interval is not to be trusted alone: few buyers, or a long tail of margins."""
    with_margin = [sum(1 for x in g.per_client if x) for g in (t, h)]
    return min(with_margin) < FEW_BUYERS or max(abs(_skewness(t)), abs(_skewness(h))) > SKEWNESS


def _kopeks(values: list[Decimal]) -> list[int]:
    return [int((v * 100).to_integral_value()) for v in values if v]


def _resampled_sum(rnd: random.Random, n: int, nonzero: list[int]) -> int:
    """The sum of n draws with replacement from n values of which `nonzero` are the non-zero ones.

    Each draw is non-zero with probability p = len(nonzero) / n, so the draws that are skip ahead by
    geometric gaps: the work is the number of non-zero draws, not n (a campaign of 10,000 clients with
    40 buyers costs about 40 steps a resample)."""
    if not nonzero:
        return 0
    if len(nonzero) == n:
        return sum(rnd.choice(nonzero) for _ in range(n))
    log_q, total, at = math.log1p(-len(nonzero) / n), 0, -1
    while True:
        at += int(math.log(1.0 - rnd.random()) / log_q) + 1
        if at >= n:
            return total
        total += rnd.choice(nonzero)


def bootstrap_interval(t: GroupFigures, h: GroupFigures, seed: int) -> tuple[Decimal, Decimal]:
    """The 2.5 and 97.5 percentiles of the resampled increment of margin (target scaled), in money."""
    if not t.clients or not h.clients:
        return ZERO, ZERO
    kt, kh = _kopeks(t.per_client), _kopeks(h.per_client)
    rounds = max(200, min(RESAMPLES, MAX_DRAWS // max(1, len(kt) + len(kh))))
    rnd = random.Random(seed)
    incs = []
    with exact():
        for _ in range(rounds):
            st, sh = _resampled_sum(rnd, t.clients, kt), _resampled_sum(rnd, h.clients, kh)
            incs.append((Decimal(st) - Decimal(sh) * t.clients / h.clients) / 100)
    incs.sort()
    low, high = incs[int(rounds * 0.025)], incs[math.ceil(rounds * 0.975) - 1]
    return round_amount(low), round_amount(high)


def _compare(t: GroupFigures, h: GroupFigures, start: date, end: date, cost: Decimal, seed: int = 1) -> Results:
    rev_mean = lambda g: g.revenue / g.clients if g.clients else ZERO  # noqa: E731
    inc_rev = (rev_mean(t) - rev_mean(h)) * t.clients if h.clients else ZERO
    inc = (t.mean_margin - h.mean_margin) * t.clients if h.clients else ZERO
    se = ((t.variance / t.clients if t.clients else ZERO) + (h.variance / h.clients if h.clients else ZERO))
    half = se.sqrt() * Z95 * t.clients if se > 0 else ZERO
    roi = (inc - cost) / cost if cost > 0 else None
    # without a holdout there is nothing to resample against: no bootstrap interval
    boot = bootstrap_interval(t, h, seed) if t.clients and h.clients and skewed(t, h) else (None, None)
    for g in (t, h):
        g.revenue, g.cost, g.margin = round_amount(g.revenue), round_amount(g.cost), round_amount(g.margin)
    return Results(start, end, t, h, round_amount(inc_rev), round_amount(inc), round_amount(inc - half),
                   round_amount(inc + half), round_amount(cost),
                   roi.quantize(Decimal("0.0001")) if roi is not None else None, *boot)
