"""A hypothesis state machine over the stock SERVICES on the real database.

Random receipts, issues, transfers and cancellations across two FIFO warehouses and one
moving-average warehouse. After every step: the balance cache equals the sum of the ledger and
(FIFO) the sum of the lots; no lot below zero; average value has the sign of its quantity; on hand
equals a plain Python model of what was posted; verify_stock is empty. Right after an outbound
FIFO document its consumption rows must show the oldest lots taken first. Cancelling the last
standing document must give back the earlier balances and lots exactly.

Examples share one database (the `app` fixture runs once per test function), so each example
builds its own items and warehouses under fresh codes and looks only at those.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.domain.money import round_money
from app.extensions import db
from app.models.stock import LotConsumption, StockBalance, StockLot, StockMove
from app.services.stock import DocumentInput, LineInput, cancel_document, create_document, post_document
from app.services.stock.verify import verify_stock
from tests import factories as f

ZERO = Decimal(0)
START = date(2026, 11, 1)
CANCEL_ON = date(2026, 12, 31)  # after every document date
_examples = itertools.count(1)

QTY = st.one_of(st.integers(1, 12).map(Decimal), st.decimals("0.001", "8", places=3))
COST = st.one_of(st.integers(0, 300).map(Decimal), st.decimals("0", "150", places=4))
DAY = st.integers(0, 20).map(lambda d: START + timedelta(days=d))

SETTINGS = settings(
    # CI runs 25 examples on both databases; STOCK_HYPOTHESIS_EXAMPLES=500 for a deeper search
    max_examples=int(os.environ.get("STOCK_HYPOTHESIS_EXAMPLES", "25")),
    stateful_step_count=15,
    deadline=None,
    database=None,  # no .hypothesis folder in the shared tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Posted:
    """A standing document, what it changed in the model, and the state just before it."""

    doc_id: int
    deltas: dict[tuple[int, int], Decimal]
    before: tuple[dict, dict] | None  # None once an older document was cancelled out of order


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_examples)
        self.whs = [f.warehouse(f"HF{n}a", "fifo"), f.warehouse(f"HF{n}b", "fifo"), f.warehouse(f"HA{n}", "average")]
        self.items = [f.item(f"HI{n}x"), f.item(f"HI{n}y")]
        self.wh_ids = [w.id for w in self.whs]
        self.item_ids = [i.id for i in self.items]
        self.fifo = {w.id: w.valuation == "fifo" for w in self.whs}
        self.on_hand: dict[tuple[int, int], Decimal] = {}
        self.standing: list[Posted] = []

    # --- helpers -----------------------------------------------------------------------------

    def _snapshot(self) -> tuple[dict, dict]:
        s = db.session
        balances = {(b.item_id, b.warehouse_id): (b.qty, b.value, b.reserved, b.last_unit_cost)
                    for b in s.scalars(select(StockBalance).where(StockBalance.item_id.in_(self.item_ids)))}
        lots = {lot.id: (lot.qty_remaining, lot.value_remaining)
                for lot in s.scalars(select(StockLot).where(StockLot.item_id.in_(self.item_ids)))}
        return balances, lots

    def _post(self, data: DocumentInput, deltas: dict[tuple[int, int], Decimal], allowed: bool):
        """Post through the services; a refusal must be exactly the predicted shortage, writing nothing."""
        before = self._snapshot()
        doc = create_document(db.session, data)
        counts = f.row_counts() if not allowed else None
        try:
            post_document(db.session, doc.id, confirm_backdated=True)  # random dates: the user said yes
        except DomainError as exc:
            assert not allowed, exc.messages()
            assert all("Insufficient stock" in m for m in exc.messages()), exc.messages()
            assert f.row_counts() == counts
            assert self._snapshot() == before
            return None
        assert allowed, "posted an issue beyond FIFO stock"
        for key, dq in deltas.items():
            self.on_hand[key] = self.on_hand.get(key, ZERO) + dq
        self.standing.append(Posted(doc.id, deltas, before))
        return doc

    def _free(self, item_id: int, wh_id: int) -> Decimal:
        return self.on_hand.get((item_id, wh_id), ZERO)

    def _check_fifo_order(self, doc, item_id: int, wh_id: int) -> None:
        """The lots this document took, in the order it took them, are the oldest ones."""
        s = db.session
        lots = list(s.scalars(select(StockLot).where(StockLot.item_id == item_id, StockLot.warehouse_id == wh_id)
                              .order_by(StockLot.received_on, StockLot.id)))
        position = {lot.id: i for i, lot in enumerate(lots)}
        out_moves = select(StockMove.id).where(StockMove.doc_type == doc.doc_type, StockMove.doc_id == doc.id,
                                               StockMove.warehouse_id == wh_id, StockMove.qty < 0)
        taken = [position[c.lot_id] for c in s.scalars(select(LotConsumption).where(
            LotConsumption.move_id.in_(out_moves)).order_by(LotConsumption.id))]
        assert taken == sorted(set(taken)), taken
        if taken:
            assert all(lots[i].qty_remaining == 0 for i in range(taken[-1])), "an older lot was left"
        s.commit()

    # --- rules -------------------------------------------------------------------------------

    @rule(w=st.integers(0, 2), i=st.integers(0, 1), qty=QTY, cost=COST, on=DAY)
    def receipt(self, w, i, qty, cost, on):
        wh, it = self.wh_ids[w], self.item_ids[i]
        data = DocumentInput("receipt", wh, doc_date=on, lines=[LineInput(it, str(qty), unit_cost=str(cost))])
        doc = self._post(data, {(it, wh): qty}, allowed=True)
        [move] = f.moves_of(doc)
        assert move.value + move.revaluation == round_money(qty * cost)

    @rule(w=st.integers(0, 2), i=st.integers(0, 1), qty=QTY, on=DAY)
    def issue(self, w, i, qty, on):
        wh, it = self.wh_ids[w], self.item_ids[i]
        allowed = not self.fifo[wh] or qty <= self._free(it, wh)
        data = DocumentInput("issue", wh, doc_date=on, reason="hypothesis", lines=[LineInput(it, str(qty))])
        doc = self._post(data, {(it, wh): -qty}, allowed)
        if doc is not None and self.fifo[wh]:
            self._check_fifo_order(doc, it, wh)

    @rule(src=st.integers(0, 2), step=st.integers(1, 2), i=st.integers(0, 1), qty=QTY, on=DAY)
    def transfer(self, src, step, i, qty, on):
        wh, dest, it = self.wh_ids[src], self.wh_ids[(src + step) % 3], self.item_ids[i]
        allowed = not self.fifo[wh] or qty <= self._free(it, wh)
        data = DocumentInput("transfer", wh, dest_warehouse_id=dest, doc_date=on, lines=[LineInput(it, str(qty))])
        doc = self._post(data, {(it, wh): -qty, (it, dest): qty}, allowed)
        if doc is not None:
            if self.fifo[wh]:
                self._check_fifo_order(doc, it, wh)
            moves = f.moves_of(doc)
            # value leaves one warehouse and arrives in the other; an average destination that was
            # negative takes part of it as the revaluation of what it issued beyond stock
            assert sum(m.value + m.revaluation for m in moves) == 0, "a transfer never creates value"
            assert sum(m.qty for m in moves) == 0

    @precondition(lambda self: self.standing)
    @rule()
    def cancel_last(self):
        last = self.standing.pop()
        cancel_document(db.session, last.doc_id, CANCEL_ON)
        for key, dq in last.deltas.items():
            self.on_hand[key] -= dq
        if last.before is not None:
            balances, lots = self._snapshot()
            old_balances, old_lots = last.before
            assert {k: v for k, v in balances.items() if k in old_balances} == old_balances
            assert all(v == (ZERO,) * 4 for k, v in balances.items() if k not in old_balances)
            assert {k: v for k, v in lots.items() if k in old_lots} == old_lots
            assert all(v == (ZERO, ZERO) for k, v in lots.items() if k not in old_lots)

    @precondition(lambda self: len(self.standing) > 1)
    @rule(pick=st.integers(0, 100))
    def cancel_older(self, pick):
        """Cancel a document that is not the last one: refused only if its goods were used since."""
        index = pick % (len(self.standing) - 1)
        target = self.standing[index]
        counts = f.row_counts()
        try:
            cancel_document(db.session, target.doc_id, CANCEL_ON)
        except DomainError as exc:
            assert "already been used" in str(exc), exc.messages()
            assert f.row_counts() == counts
            return
        del self.standing[index]
        for key, dq in target.deltas.items():
            self.on_hand[key] -= dq
        for later in self.standing[index:]:
            later.before = None  # its "before" included the document just cancelled

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_equals_caches(self):
        s = db.session
        ledger = {(i, w): (q, v) for i, w, q, v in s.execute(
            select(StockMove.item_id, StockMove.warehouse_id, func.sum(StockMove.qty), func.sum(StockMove.value))
            .where(StockMove.item_id.in_(self.item_ids)).group_by(StockMove.item_id, StockMove.warehouse_id))}
        lots = {(i, w): (q, v) for i, w, q, v in s.execute(
            select(StockLot.item_id, StockLot.warehouse_id, func.sum(StockLot.qty_remaining),
                   func.sum(StockLot.value_remaining))
            .where(StockLot.item_id.in_(self.item_ids)).group_by(StockLot.item_id, StockLot.warehouse_id))}
        negative_lots = s.scalar(select(func.count()).select_from(StockLot).where(
            StockLot.item_id.in_(self.item_ids),
            (StockLot.qty_remaining < 0) | (StockLot.value_remaining < 0) | (StockLot.qty_remaining > StockLot.qty)))
        assert negative_lots == 0
        for bal in s.scalars(select(StockBalance).where(StockBalance.item_id.in_(self.item_ids))):
            key = (bal.item_id, bal.warehouse_id)
            assert (bal.qty, bal.value) == ledger.get(key, (ZERO, ZERO))
            assert bal.qty == self.on_hand.get(key, ZERO)
            assert bal.reserved == 0
            if self.fifo[bal.warehouse_id]:
                assert bal.qty >= 0
                assert (bal.qty, bal.value) == lots.get(key, (ZERO, ZERO))
            else:
                assert key not in lots
                assert (bal.qty > 0) == (bal.value > 0) or bal.value == 0
                assert (bal.qty < 0) == (bal.value < 0) or bal.value == 0
                assert bal.qty != 0 or bal.value == 0
                if bal.qty > 0:
                    assert bal.last_unit_cost == (bal.value / bal.qty).quantize(Decimal("0.00000001"))
        assert verify_stock(s) == []
        s.commit()


def test_ledger_state_machine(app):
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
