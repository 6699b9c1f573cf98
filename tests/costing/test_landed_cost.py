"""A landed cost on a receipt whose lots went through two production levels into a shipment.

Story of tests/costing/factories_costing.py. Freight of 100.00 on R1 allocated by quantity (CPU 4,
MB 2 of 6 units): CPU 66.66 (cut down to the kopek), MB 33.34 (the remainder).
  lot A (CPU, 4): brain receipt took 3 -> 66.66 * 3/4 = 49.99 (49.995 cut), 1 left in stock -> 16.67
  lot M1 (MB, 2): brain receipt took both -> 33.34
  brain lot (3): +83.33; robot receipt took 2 -> 55.55 (55.553 cut), 1 left -> 27.78
  robot lot (2): +55.55; the shipment took 1 -> 27.77 (27.775 cut), 1 left -> 27.78
  stock: 16.67 + 27.78 + 27.78 = 72.23; shipment's cost of goods sold +27.77; total 100.00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.models.costing import CostImpact
from app.models.production import ProductionCompletion
from app.models.sales import ShipmentLine
from app.models.stock import StockBalance, StockLot, StockMove
from app.services.costing.corrections import (
    CorrectionInput,
    cancel_correction,
    create_correction,
    post_correction,
    preview_correction,
)
from app.services.stock.verify import verify_stock
from tests.costing.factories_costing import build_story

D = Decimal


def _snapshot(session):
    lots = {lot.id: (lot.qty_remaining, lot.value_remaining) for lot in session.scalars(select(StockLot))}
    balances = {(b.item_id, b.warehouse_id): b.value for b in session.scalars(select(StockBalance))}
    ship = {sl.id: sl.cost for sl in session.scalars(select(ShipmentLine))}
    comps = {c.id: c.output_value for c in session.scalars(select(ProductionCompletion))}
    return lots, balances, ship, comps


def _freight(session, story, amount="100", basis="qty", on=date(2026, 10, 20)):
    return create_correction(session, CorrectionInput([story.r1.id], amount, basis, "landed", on,
                                                      description="Freight"))


def test_freight_through_two_levels_into_a_shipment_to_the_kopek(session):
    story = build_story(session)
    lots_before, bal_before, ship_before, comps_before = _snapshot(session)
    moves_before = session.scalar(select(func.count(StockMove.id)))
    corr = _freight(session, story)
    assert [ln.amount for ln in corr.lines] == [D("66.66"), D("33.34")]
    post_correction(session, corr.id)
    lots, balances, ship, comps = _snapshot(session)
    a, m1, b, m2 = story.lot("CPU", 0), story.lot("MB", 0), story.lot("CPU", 1), story.lot("MB", 1)
    brain, robot = story.lot("BRAIN"), story.lot("ROBOT")
    assert lots[a.id][1] - lots_before[a.id][1] == D("16.67")
    assert lots[m1.id] == lots_before[m1.id]  # all consumed: nothing left on the lot
    assert lots[brain.id][1] - lots_before[brain.id][1] == D("27.78")
    assert lots[robot.id][1] - lots_before[robot.id][1] == D("27.78")
    # the unrelated receipt's lots are untouched, quantities nowhere change
    assert lots[b.id] == lots_before[b.id] and lots[m2.id] == lots_before[m2.id]
    assert all(lots[k][0] == lots_before[k][0] for k in lots)
    line_id = story.shipment.lines[0].id
    assert ship[line_id] - ship_before[line_id] == D("27.77")
    changed = {k: comps[k] - comps_before[k] for k in comps if comps[k] != comps_before[k]}
    assert sorted(changed.values()) == [D("55.55"), D("83.33")]
    margin = session.scalars(select(CostImpact.amount).where(CostImpact.target == "margin")).all()
    assert margin == [D("-27.77")]
    assert sum(balances.values(), D(0)) - sum(bal_before.values(), D(0)) == D("72.23")
    assert verify_stock(session) == []
    new = session.scalars(select(StockMove).where(StockMove.doc_type == "cost_correction")).all()
    assert all(m.qty == 0 and m.move_date == date(2026, 10, 20) for m in new)
    assert session.scalar(select(func.count(StockMove.id))) == moves_before + len(new)
    # no move of the unrelated lots, no move on any other item than what the chain reached
    assert {m.lot_id for m in new} == {a.id, m1.id, brain.id, robot.id}


def test_preview_totals_equal_what_posting_does(session):
    story = build_story(session)
    corr = _freight(session, story, amount="250.55", basis="weight")
    preview = preview_correction(session, corr.id)
    expected = preview.totals()
    impacts_preview = sorted((i.target, i.doc_type, i.doc_id or 0, i.lot_id or 0, i.amount) for i in preview.impacts)
    _, bal_before, _, _ = _snapshot(session)
    post_correction(session, corr.id)
    posted = session.scalars(select(CostImpact).where(CostImpact.source_id == corr.id)).all()
    assert sorted((i.target, i.doc_type, i.doc_id or 0, i.lot_id or 0, i.amount) for i in posted) == impacts_preview
    _, balances, _, _ = _snapshot(session)
    assert sum(balances.values(), D(0)) - sum(bal_before.values(), D(0)) == expected["lot"]
    assert expected["lot"] + expected["shipment"] == D("250.55")
    assert verify_stock(session) == []


def test_cancelling_reverses_and_a_recosted_shipment_cannot_be_cancelled_alone(session):
    from app.services.sales.shipments import cancel_shipment

    story = build_story(session)
    _, bal_before, ship_before, _ = _snapshot(session)
    corr = _freight(session, story)
    post_correction(session, corr.id)
    with pytest.raises(DomainError, match="corrected afterwards"):
        cancel_shipment(session, story.shipment.id, date(2026, 10, 25))
    session.rollback()
    cancel_correction(session, corr.id, date(2026, 10, 26))
    _, balances, ship, _ = _snapshot(session)
    assert balances == bal_before and ship == ship_before
    assert verify_stock(session) == []
    cancel_shipment(session, story.shipment.id, date(2026, 10, 27))  # nothing holds it any more
    assert verify_stock(session) == []


def test_refusals_name_the_field(session):
    story = build_story(session, ship=False)
    for amount, basis, field in (("0", "qty", "amount"), ("abc", "qty", "amount"), ("10", "volume", "basis")):
        with pytest.raises(DomainError) as err:
            _freight(session, story, amount=amount, basis=basis)
        assert field in {p.field for p in err.value.problems}
    session.rollback()
    with pytest.raises(DomainError) as err:
        create_correction(session, CorrectionInput([story.r1.id], "-100000", "qty"))
    assert "amount" in {p.field for p in err.value.problems}
