"""A backdated issue takes the goods as of its date, and the later issues take the rest in exact FIFO.

Hand-built: lots A (1 Oct, 4 @ 10), B (5 Oct, 4 @ 20), C (8 Oct, 4 @ 30); issues I1 (10 Oct, 3: A 3 =
30), I2 (12 Oct, 3: A 1 + B 2 = 50), I3 (14 Oct, 3: B 2 + C 1 = 70); C keeps 3 (90). An issue X dated
9 Oct of 2 is entered afterwards: posted alone it takes the oldest open lot, C 2 = 60. In date order
FIFO gives X: A 2 = 20; I1: A 2 + B 1 = 40; I2: B 3 = 60; I3: C 3 = 90; C keeps 1 (30). So X costs
20 (-40), I1 40 (+10), I2 60 (+10), I3 90 (+20): the goods X frees pass on from issue to issue (the
old simplified swap left I2 and I3 alone). The stock value (30) is the same either way.

Then a hypothesis machine: receipts and issues on random days of one FIFO item, each posted with its
re-costing; after every step the lots and every issue's cost equal a replay of the same documents in
date order (app.domain.valuation.allocate_fifo, the posting's own rule).
"""

from __future__ import annotations

import itertools
import os
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.domain.errors import InsufficientStock
from app.domain.money import round_money
from app.domain.valuation import Layer, allocate_fifo
from app.extensions import db
from app.models.stock import LotConsumption, StockLot, StockMove
from app.services.costing.backdated import post_backdated, preview_backdated
from app.services.stock.documents import DocumentInput, LineInput, create_document
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.services.test_stock_hypothesis import SETTINGS

D = Decimal


def _cost(session, doc) -> Decimal:
    """What the document's goods cost now: its consumption rows, reallocations included."""
    moves = select(StockMove.id).where(StockMove.doc_type == doc.doc_type, StockMove.doc_id == doc.id)
    return session.scalar(select(func.sum(LotConsumption.value)).where(LotConsumption.move_id.in_(moves)))


def test_a_backdated_issue_takes_the_oldest_goods_and_later_issues_follow_in_fifo(session):
    wh, cpu = f.warehouse("MAIN"), f.item("CPU")
    for day, cost in ((1, "10"), (5, "20"), (8, "30")):
        f.receipt(wh, [(cpu, 4, cost)], on=date(2026, 10, day))
    issues = [f.issue(wh, [(cpu, 3)], on=date(2026, 10, day)) for day in (10, 12, 14)]
    assert [_cost(session, i) for i in issues] == [D(30), D(50), D(70)]
    x = create_document(session, DocumentInput("issue", wh.id, date(2026, 10, 9), [LineInput(cpu.id, "2")],
                                               reason="late"))
    preview = preview_backdated(session, x.id)
    _doc, plan = post_backdated(session, x.id)
    assert plan.totals() == preview.totals()
    assert [_cost(session, d) for d in (x, *issues)] == [D(20), D(40), D(60), D(90)]
    assert plan.totals()["issue"] == D(0)  # -40 + 10 + 10 + 20
    lots = session.execute(select(StockLot.qty_remaining, StockLot.value_remaining)
                           .where(StockLot.item_id == cpu.id).order_by(StockLot.received_on)).all()
    assert [tuple(r) for r in lots] == [(D(0), D(0)), (D(0), D(0)), (D(1), D(30))]
    assert f.balance(cpu, wh) == (D(1), D(30))
    assert verify_stock(session) == []


START = date(2026, 10, 1)
_examples = itertools.count(1)


def replay(docs: list[tuple]) -> tuple[list[tuple[Decimal, Decimal]], dict[int, Decimal]]:
    """(lots' (qty, value) in receipt order, {issue seq: cost}) of the documents posted in date order;
    InsufficientStock when some day would issue more than was received by then."""
    layers: dict[int, Layer] = {}
    costs = {}
    for day, seq, qty, cost in sorted(docs):
        if cost is None:
            costs[seq] = allocate_fifo(sorted(layers.values(), key=lambda lay: lay.received_at), qty).total_cost
        else:
            layers[seq] = Layer(seq, qty, round_money(qty * cost), cost, (day, seq))
    return [(lay.qty_remaining, lay.value_remaining) for _, lay in sorted(layers.items())], costs


class BackdatedMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_examples)
        self.wh, self.item = f.warehouse(f"BD{n}", "fifo"), f.item(f"BD{n}")
        self.docs: list[tuple] = []  # (day, seq, qty, unit cost or None for an issue)
        self.posted: dict[int, object] = {}

    def _post(self, kind: str, day: date, qty: Decimal, cost: Decimal | None) -> None:
        seq = len(self.docs)
        try:
            replay([*self.docs, (day, seq, qty, cost)])
        except InsufficientStock:
            return  # more than was received by that day: not a document of this ledger
        line = LineInput(self.item.id, str(qty), unit_cost=None if cost is None else str(cost))
        doc = create_document(db.session, DocumentInput(kind, self.wh.id, day, [line], reason="hypothesis"))
        post_backdated(db.session, doc.id)
        self.docs.append((day, seq, qty, cost))
        self.posted[seq] = doc

    @rule(day=st.integers(0, 9), qty=st.integers(1, 9), cost=st.decimals("0.01", "99.99", places=2))
    def receipt(self, day, qty, cost):
        self._post("receipt", START + timedelta(days=day), D(qty), cost)

    @rule(day=st.integers(0, 9), qty=st.integers(1, 7))
    def issue(self, day, qty):
        self._post("issue", START + timedelta(days=day), D(qty), None)

    @invariant()
    def ledger_equals_a_replay_in_date_order(self):
        s = db.session
        lots, costs = replay(self.docs)
        stored = s.execute(select(StockLot.qty_remaining, StockLot.value_remaining)
                           .where(StockLot.item_id == self.item.id).order_by(StockLot.id)).all()
        assert [tuple(r) for r in stored] == lots
        assert {seq: _cost(s, self.posted[seq]) for seq in costs} == costs
        assert verify_stock(s) == []
        s.commit()


def test_backdated_receipts_and_issues_equal_a_replay_in_date_order(app):
    run_state_machine_as_test(BackdatedMachine, settings=settings(
        SETTINGS, max_examples=int(os.environ.get("STOCK_HYPOTHESIS_EXAMPLES", "6")), stateful_step_count=10))
