"""The stock ledger state machine (tests/services/test_stock_hypothesis.py) with cost corrections.

Random landed costs and price changes on standing receipts, and their cancellations, among the
receipts, issues, transfers and cancellations of the base machine. Its invariants still hold after
every step (the balance cache equals the ledger and, in FIFO warehouses, the sum of the lots; no
lot below zero; verify_stock empty); a correction changes no quantity; a cancellation refused
because a correction re-costed the document is allowed and writes nothing.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.stock import StockDocument, StockMove
from app.services.costing.corrections import CorrectionInput, cancel_correction, create_correction, post_correction
from app.services.stock import cancel_document
from tests import factories as f
from tests.services.test_stock_hypothesis import CANCEL_ON, SETTINGS, LedgerMachine

# fewer examples than the base machine (which runs on every commit too); STOCK_HYPOTHESIS_EXAMPLES=500 searches deeper
CORRECTION_SETTINGS = settings(SETTINGS, max_examples=int(os.environ.get("STOCK_HYPOTHESIS_EXAMPLES", "8")))
CORRECT_ON = date(2026, 12, 30)  # after every document, before the cancellations
AMOUNT = st.one_of(st.integers(1, 500).map(Decimal), st.decimals("0.01", "99.99", places=2))


class CorrectionMachine(LedgerMachine):
    def __init__(self) -> None:
        super().__init__()
        self.corrections: list[int] = []

    def _qty(self) -> dict:
        s = db.session
        return dict(((i, w), q) for i, w, q in s.execute(
            select(StockMove.item_id, StockMove.warehouse_id, func.sum(StockMove.qty))
            .where(StockMove.item_id.in_(self.item_ids)).group_by(StockMove.item_id, StockMove.warehouse_id)))

    @precondition(lambda self: self.standing)
    @rule(pick=st.integers(0, 100), amount=AMOUNT, basis=st.sampled_from(["value", "qty"]))
    def correct(self, pick, amount, basis):
        receipts = [p.doc_id for p in self.standing
                    if db.session.get(StockDocument, p.doc_id).doc_type == "receipt"]
        if not receipts:
            return
        qty = self._qty()
        try:
            corr = create_correction(db.session, CorrectionInput([receipts[pick % len(receipts)]], str(amount), basis,
                                                                 "landed", CORRECT_ON))
        except DomainError as exc:  # a receipt of zero value allocated by value
            assert any("Nothing to allocate" in m for m in exc.messages()), exc.messages()
            return
        post_correction(db.session, corr.id)
        self.corrections.append(corr.id)
        assert self._qty() == qty, "a correction moved a quantity"
        for posted in self.standing:
            posted.before = None  # values changed since

    @precondition(lambda self: self.corrections)
    @rule()
    def uncorrect(self):
        cancel_correction(db.session, self.corrections.pop(), CANCEL_ON)
        for posted in self.standing:
            posted.before = None

    @precondition(lambda self: self.standing)
    @rule()
    def cancel_last(self):
        self._cancel(len(self.standing) - 1)

    @precondition(lambda self: len(self.standing) > 1)
    @rule(pick=st.integers(0, 100))
    def cancel_older(self, pick):
        self._cancel(pick % (len(self.standing) - 1))

    def _cancel(self, index: int) -> None:
        target = self.standing[index]
        counts = f.row_counts()
        try:
            cancel_document(db.session, target.doc_id, CANCEL_ON)
        except DomainError as exc:
            assert any(w in str(exc) for w in ("already been used", "corrected afterwards")), exc.messages()
            assert f.row_counts() == counts
            return
        del self.standing[index]
        for key, dq in target.deltas.items():
            self.on_hand[key] -= dq
        for later in self.standing[index:]:
            later.before = None


def test_ledger_with_corrections(app):
    run_state_machine_as_test(CorrectionMachine, settings=CORRECTION_SETTINGS)
