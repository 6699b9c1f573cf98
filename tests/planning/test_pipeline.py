"""Pipeline demand: win rates learned from closed proposals and deals, their Brier score, and open
proposals entering the plan weighted by them without counting an order twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from app.extensions import db
from app.models.core import Currency
from app.models.crm import Deal, DealStage, DealStageChange
from app.models.planning import PlannedOrder
from app.models.proposals import Proposal, ProposalLine
from app.services.planning import pipeline as pl
from app.services.planning.load import load
from app.services.planning.run import run_plan
from tests.planning.factories_planning import TODAY, customer_order, robot
from tests.sales import factories_sales as fs

D = Decimal


def test_win_rate_shrinks_to_its_class_and_the_brier_score_is_exact():
    history = [pl.Outcome("s", "A", True), pl.Outcome("s", "A", True), pl.Outcome("s", "A", False),
               pl.Outcome("s", "", False)]
    model = pl.learn(history)
    # class: (2 + 1) / (4 + 2) = 1/2; segment A: (2 + 2 x 1/2) / (3 + 2) = 3/5; unseen segment: the class's
    assert model.rate("s", "A") == Fraction(3, 5) and model.rate("s", "B") == Fraction(1, 2)
    assert model.rate("unknown") == Fraction(1, 2)
    # leave-one-out: A won -> 9/20 (twice), A lost -> 4/5, "" lost -> 3/5:
    # ((11/20)^2 x 2 + (4/5)^2 + (3/5)^2) / 4 = (121 + 121 + 256 + 144) / 1600
    assert pl.brier(history) == Fraction(321, 800)
    assert pl.brier([]) is None


def _proposal(partner_id: int, number: str, state: str, lines=(), sent: bool = True, deal_id=None, **kw) -> Proposal:
    cur = db.session.scalar(select(Currency.id).order_by(Currency.id).limit(1))
    p = Proposal(number=number, partner_id=partner_id, currency_id=cur, state=state, proposal_date=TODAY,
                 sent_at=datetime(2026, 11, 1) if sent else None, deal_id=deal_id, **kw)
    p.lines = [ProposalLine(line_no=k, item_id=it.id, qty=D(q), description=it.code) for k, (it, q) in enumerate(lines)]
    db.session.add(p)
    db.session.commit()
    return p


def _demands(session, item_id: int) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for d in load(session, TODAY, 8).demands:
        if d.item_id == item_id:
            out[d.origin] = out.get(d.origin, D(0)) + d.qty
    return out


def test_open_proposal_enters_the_plan_weighted_and_never_twice(session):
    r = robot()
    client = fs.client()
    _proposal(client.id, "TCP-1", "converted", [(r.robot, 3)])
    _proposal(client.id, "TCP-2", "rejected", [(r.robot, 3)])
    _proposal(client.id, "TCP-0", "draft", [(r.robot, 9)], sent=False, valid_until=TODAY - timedelta(days=1))
    _proposal(client.id, "TCP-3", "sent", [(r.robot, 10)], valid_until=TODAY + timedelta(weeks=3))
    pipe = pl.load_pipeline(session, TODAY)
    # "sent": one won, one lost -> (1 + 1) / (2 + 2); the expired draft counts nothing
    assert [(c.label, c.probability) for c in pipe.cases] == [("TCP-3", Fraction(1, 2))]
    assert pipe.brier is not None and 0 < pipe.brier < 1
    assert _demands(session, r.robot.id) == {"~TCP-3": D(5)}
    run_plan(session, TODAY, weeks=8)
    row = session.scalar(select(PlannedOrder).where(PlannedOrder.item_id == r.robot.id))
    assert row.qty == D(3) and row.pegs == {"~TCP-3": "3"}  # 5 expected - 2 on hand
    so = customer_order(r, 4)  # the same week: orders 4 vs pipeline 5 -> 5 in all, not 9
    assert _demands(session, r.robot.id) == {so.number: D(4), "~TCP-3": D(1)}


def test_a_proposal_of_an_open_deal_takes_the_deal_stage_rate(session):
    r = robot()
    client = fs.client()
    talk = DealStage(name="Talks", sort_order=1)
    won = DealStage(name="Won", sort_order=9, is_won=True)
    lost = DealStage(name="Lost", sort_order=10, is_lost=True)
    db.session.add_all([talk, won, lost])
    db.session.flush()
    deals = []
    for title, stage in (("d1", won), ("d2", won), ("d3", lost), ("open", talk)):
        deal = Deal(title=title, partner_id=client.id, stage_id=stage.id, expected_close=TODAY + timedelta(weeks=2))
        db.session.add(deal)
        db.session.flush()
        db.session.add(DealStageChange(deal_id=deal.id, to_stage_id=talk.id))
        deals.append(deal)
    db.session.commit()
    _proposal(client.id, "TCP-9", "draft", [(r.case, 8)], sent=False, deal_id=deals[-1].id)
    pipe = pl.load_pipeline(session, TODAY)
    # "talk": 2 won of 3 closed -> (2 + 1) / (3 + 2) = 3/5; the client's segment (no ABC class yet), the
    # same 2 of 3, shrunk toward it: (2 + 2 x 3/5) / (3 + 2) = 16/25 (the proposal's own state alone: 1/2)
    assert [(c.cls, c.probability, c.due) for c in pipe.cases] == [
        (f"deal:{talk.id}", Fraction(16, 25), TODAY + timedelta(weeks=2))]
    assert _demands(session, r.case.id) == {"~TCP-9": D("5.12")}
