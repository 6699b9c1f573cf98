"""Pipeline demand: open proposals (TCPs) add their items' demand weighted by a win probability learned
from our own history of won and lost proposals and deals, with its calibration (Brier score).

Classes: a proposal is in class "proposal:<state>" (draft, sent, approved); one linked to an open deal
is in class "deal:<stage id>" instead (the funnel's stage says more than the proposal's state). The
segment is the client's ABC class from the marketing statistics ("" for a client without one).

Learning (counts, exact fractions): every closed proposal or deal adds one outcome (won / lost) to
every class it passed through (a deal: every stage it entered, from its stage history; a proposal:
draft, sent when it was sent, approved when it was approved or converted). A class's rate is
Laplace-smoothed, (won + 1) / (n + 2); a class and segment pair is shrunk toward its class,
(won + K * class rate) / (n + K), so three closed deals of one client class do not decide alone.

Calibration: the Brier score is the mean of (p - outcome)^2 over every (closed item, class) pair,
each p computed leave-one-out (that pair taken out of the counts), so it measures how well the rates
predict cases they were not learned from. A converted proposal is an order and counts only as an
order; a rejected or expired one counts nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

K = 2  # how many closed cases a class's own rate is worth when shrinking a segment toward it
PIPELINE = "~"  # the peg of pipeline demand: "~<proposal>"
DEFAULT_DAYS = 30  # a proposal with no expected close date or validity: demand a month after it was made


@dataclass(frozen=True)
class Outcome:
    """One closed case seen in one class: `won` or lost."""

    cls: str
    segment: str
    won: bool


@dataclass
class _Count:
    won: int = 0
    n: int = 0

    def add(self, won: bool, sign: int = 1) -> None:
        self.won += sign * int(won)
        self.n += sign


@dataclass
class WinModel:
    """Counts per class and per (class, segment); `rate` gives the learned probability."""

    by_class: dict[str, _Count] = field(default_factory=lambda: defaultdict(_Count))
    by_segment: dict[tuple[str, str], _Count] = field(default_factory=lambda: defaultdict(_Count))

    def add(self, o: Outcome, sign: int = 1) -> None:
        self.by_class[o.cls].add(o.won, sign)
        self.by_segment[(o.cls, o.segment)].add(o.won, sign)

    def rate(self, cls: str, segment: str | None = "") -> Fraction:
        """The class's rate for a client of `segment` (None: the class's own, whatever the client)."""
        c = self.by_class.get(cls) or _Count()
        base = Fraction(c.won + 1, c.n + 2)
        s = self.by_segment.get((cls, segment)) if segment is not None else None
        if s is None or s.n == 0:
            return base
        return (s.won + K * base) / (s.n + K)


def learn(history: Iterable[Outcome]) -> WinModel:
    model = WinModel()
    for o in history:
        model.add(o)
    return model


def brier(history: list[Outcome]) -> Fraction | None:
    """Mean squared error of the leave-one-out probabilities against the outcomes (0 is perfect, 0.25 is
    what always saying 50 % scores)."""
    if not history:
        return None
    model = learn(history)
    total = Fraction(0)
    for o in history:
        model.add(o, -1)
        total += (model.rate(o.cls, o.segment) - int(o.won)) ** 2
        model.add(o)
    return total / len(history)


# --- from the database ------------------------------------------------------------------------------


@dataclass
class OpenCase:
    """An open proposal: its class, segment, when its demand falls and its items."""

    label: str
    cls: str
    segment: str
    due: date
    lines: list[tuple[int, Decimal]]
    probability: Fraction = Fraction(0)


@dataclass
class Pipeline:
    model: WinModel
    history: list[Outcome]
    cases: list[OpenCase]

    @property
    def brier(self) -> Fraction | None:
        return brier(self.history)


def _segments(session: Session) -> dict[int, str]:
    from app.models.marketing import ClientStats

    return {pid: abc or "" for pid, abc in session.execute(select(ClientStats.partner_id, ClientStats.abc_class))}


def _deal_history(session: Session, segments: dict[int, str]) -> tuple[list[Outcome], dict[int, tuple[str, int]]]:
    """Outcomes of closed deals per stage entered; open deals -> (class, partner)."""
    from app.models.crm import Deal, DealStage, DealStageChange

    stages = {s.id: s for s in session.scalars(select(DealStage))}
    entered: dict[int, set[int]] = defaultdict(set)
    for deal_id, stage_id in session.execute(select(DealStageChange.deal_id, DealStageChange.to_stage_id)):
        entered[deal_id].add(stage_id)
    out, open_deals = [], {}
    for deal_id, stage_id, partner_id in session.execute(select(Deal.id, Deal.stage_id, Deal.partner_id)):
        stage = stages[stage_id]
        seg = segments.get(partner_id, "")
        if not stage.is_closed:
            open_deals[deal_id] = (f"deal:{stage_id}", partner_id)
            continue
        for s in sorted(entered[deal_id] | {stage_id}):
            if not stages[s].is_closed:
                out.append(Outcome(f"deal:{s}", seg, stage.is_won))
    return out, open_deals


def _proposal_classes(state: str, sent: bool) -> list[str]:
    from app.models.proposals import STATE_APPROVED, STATE_CONVERTED

    out = ["proposal:draft"]
    if sent or state in (STATE_APPROVED, STATE_CONVERTED):
        out.append("proposal:sent")
    if state in (STATE_APPROVED, STATE_CONVERTED):
        out.append("proposal:approved")
    return out


def load_pipeline(session: Session, today: date) -> Pipeline:
    """The learned model, its history and the open proposals with their probabilities and lines."""
    from app.models.proposals import (
        STATE_CONVERTED,
        STATE_DRAFT,
        STATE_REJECTED,
        STATE_SENT,
        Proposal,
        ProposalLine,
    )

    segments = _segments(session)
    history, open_deals = _deal_history(session, segments)
    from app.models.crm import Deal

    closes = dict(session.execute(select(Deal.id, Deal.expected_close)).all()) if open_deals else {}
    open_rows = []
    for p in session.execute(select(Proposal.id, Proposal.number, Proposal.version, Proposal.state,
                                    Proposal.sent_at, Proposal.partner_id, Proposal.deal_id,
                                    Proposal.proposal_date, Proposal.valid_until)
                             .where(Proposal.is_current.is_(True))):
        seg = segments.get(p.partner_id, "")
        if p.state in (STATE_CONVERTED, STATE_REJECTED):
            history.extend(Outcome(c, seg, p.state == STATE_CONVERTED)
                           for c in _proposal_classes(p.state, p.sent_at is not None))
        elif p.valid_until is None or p.valid_until >= today:
            open_rows.append(p)
    model = learn(history)
    cases: dict[int, OpenCase] = {}
    for p in open_rows:
        deal = open_deals.get(p.deal_id) if p.deal_id else None
        state = p.state if p.state in (STATE_DRAFT, STATE_SENT) else "approved"
        cls = deal[0] if deal else f"proposal:{state}"
        due = (closes.get(p.deal_id) if deal else None) or p.valid_until or p.proposal_date + timedelta(DEFAULT_DAYS)
        label = p.number if p.version == 1 else f"{p.number}/{p.version}"
        seg = segments.get(p.partner_id, "")
        cases[p.id] = OpenCase(label, cls, seg, max(due, today), [], model.rate(cls, seg))
    if cases:
        ids = list(cases)
        for chunk in range(0, len(ids), 500):
            for pid, item_id, qty in session.execute(
                    select(ProposalLine.proposal_id, ProposalLine.item_id, ProposalLine.qty)
                    .where(ProposalLine.proposal_id.in_(ids[chunk:chunk + 500]), ProposalLine.item_id.is_not(None),
                           ProposalLine.qty > 0)):
                cases[pid].lines.append((item_id, qty))
    return Pipeline(model, history, list(cases.values()))


def weighted_demand(pipe: Pipeline) -> list[tuple[int, date, Decimal, str]]:
    """(item, due date, probability x quantity, peg) per open proposal line."""
    out = []
    for case in pipe.cases:
        p = Decimal(case.probability.numerator) / Decimal(case.probability.denominator)
        for item_id, qty in case.lines:
            if qty * p > 0:
                out.append((item_id, case.due, qty * p, f"{PIPELINE}{case.label}"))
    return out
