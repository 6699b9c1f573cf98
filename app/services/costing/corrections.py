"""Cost corrections: freight, customs or a supplier's price change laid onto posted receipts.

A draft names the receipts and the amount; its lines are the allocation (each receipt line's share
by value, quantity or weight, to the kopek, the rounding remainder on the last line). Posting walks
from the receipts' lots down to whatever consumed them (app/services/costing/recost.py) and writes
value-only moves on the correction's own date; a date in a closed period moves to the first open day
and keeps the date it corrects. Cancelling posts the same walk with the opposite sign on the
cancellation date: what is in stock then, and what consumed it since, gets the reversal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain.costing import COST_CORRECTION
from app.domain.errors import Collector, DomainError
from app.domain.money import MAX_MONEY, ZERO, exact, parse_money, round_qty
from app.models.costing import (
    ALLOCATION_BASES,
    CORRECTION_KINDS,
    DOC_COST_CORRECTION,
    CostCorrection,
    CostCorrectionLine,
    CostCorrectionReceipt,
)
from app.models.stock import DOC_RECEIPT, StockDocument, StockDocumentLine, StockMove
from app.services.base import unit_of_work
from app.services.costing import periods
from app.services.costing.recost import Plan, add_margins, plan_walk, share_out, write_plan
from app.services.sequences import next_number
from app.services.workflow import check, transition

PREFIX = "CC"


@dataclass
class CorrectionInput:
    """A correction as a user or the API sends it: raw values, validated by the service."""

    receipt_ids: list[int] = field(default_factory=list)
    amount: object = None
    basis: str = "value"
    kind: str = "landed"
    doc_date: date | None = None
    partner_id: int | None = None
    description: str = ""
    note: str = ""


def _receipts(session: Session, ids: list[int], problems: Collector) -> list[StockDocument]:
    docs = list(session.scalars(select(StockDocument).where(StockDocument.id.in_(ids or [0]))
                                .options(selectinload(StockDocument.lines).selectinload(StockDocumentLine.item))
                                .order_by(StockDocument.id)))
    if not docs:
        problems.add("Choose at least one posted receipt", field="receipts")
    for doc in docs:
        if doc.doc_type != DOC_RECEIPT or doc.state != "posted":
            problems.add("%(document)s is not a posted receipt", field="receipts", document=repr(doc))
    return docs


def _receipt_lots(session: Session, docs: list[StockDocument]) -> dict[int, int | None]:
    """{receipt line: its lot} (None in an average-cost warehouse, which has no lots)."""
    rows = session.execute(select(StockMove.doc_line_id, StockMove.lot_id).where(
        StockMove.doc_type == DOC_RECEIPT, StockMove.doc_id.in_([d.id for d in docs] or [0]),
        StockMove.qty > 0, StockMove.reversal_of_id.is_(None)))
    return {line: lot for line, lot in rows}


def _basis(line: StockDocumentLine, basis: str, problems: Collector) -> Decimal:
    qty = line.qty or ZERO
    if basis == "value":
        return line.value or ZERO
    if basis == "qty":
        return qty
    weight = line.item.weight if line.item is not None else None
    if not weight:
        problems.add("%(item)s has no weight: give it one or allocate by value or quantity", field="basis",
                     item=line.item.code if line.item else "?")
        return ZERO
    with exact():
        return round_qty(qty * weight)


def allocate(session: Session, corr: CostCorrection, docs: list[StockDocument], problems: Collector) -> None:
    """Fill the correction's lines: each receipt line's share of the amount by the chosen basis."""
    lots = _receipt_lots(session, docs)
    lines = [ln for d in docs for ln in d.lines]
    weights = [_basis(ln, corr.basis, problems) for ln in lines]
    if problems or not lines:
        return
    if sum(weights, ZERO) <= 0:
        problems.add("Nothing to allocate by: every receipt line has zero value, quantity or weight", field="basis")
        return
    shares = share_out(corr.amount, weights)
    corr.lines = []
    for n, (ln, w, s) in enumerate(zip(lines, weights, shares, strict=True), start=1):
        if corr.amount < 0 and -s > (ln.value or ZERO):
            problems.add("Line %(line)s of %(document)s would get a negative value", field="amount", line=n,
                         document=repr(ln.document))
        corr.lines.append(CostCorrectionLine(line_no=n, receipt_line_id=ln.id, item_id=ln.item_id,
                                             lot_id=lots.get(ln.id), warehouse_id=ln.document.warehouse_id,
                                             qty=ln.qty or ZERO, basis_value=w, amount=s))


def _apply(session: Session, corr: CostCorrection, data: CorrectionInput, problems: Collector) -> None:
    amount, err = parse_money(data.amount) if data.amount not in (None, "") else (None, None)
    if err:
        problems.add(err, field="amount", value=data.amount, places=4)
    elif amount is None or amount == 0:
        problems.add("Enter the amount to allocate", field="amount")
    elif abs(amount) > MAX_MONEY:
        problems.add("The number %(value)s is too large", field="amount", value=amount)
    if data.basis not in ALLOCATION_BASES:
        problems.add("Choose how to allocate: by value, quantity or weight", field="basis")
    if data.kind not in CORRECTION_KINDS:
        problems.add("Choose the kind of correction", field="kind")
    corr.amount, corr.basis, corr.kind = amount or ZERO, data.basis, data.kind
    corr.doc_date = data.doc_date or date.today()
    corr.partner_id, corr.description, corr.note = data.partner_id, (data.description or "")[:300], data.note or ""
    docs = _receipts(session, data.receipt_ids, problems)
    corr.receipts = [CostCorrectionReceipt(document_id=d.id) for d in docs]
    if not problems:
        allocate(session, corr, docs, problems)


def create_correction(session: Session, data: CorrectionInput) -> CostCorrection:
    """Save a draft correction with its allocation (nothing is re-costed yet)."""
    with unit_of_work(session):
        problems = Collector()
        corr = CostCorrection(state="draft")
        _apply(session, corr, data, problems)
        problems.raise_if_any()
        session.add(corr)
        session.flush()
        return corr


def update_correction(session: Session, corr_id: int, data: CorrectionInput) -> CostCorrection:
    """Change a draft (receipts, amount, basis...) and allocate again."""
    with unit_of_work(session):
        corr = _lock(session, corr_id)
        check(COST_CORRECTION, corr, "edit")
        problems = Collector()
        _apply(session, corr, data, problems)
        problems.raise_if_any()
        session.flush()
        return corr


def _lock(session: Session, corr_id: int) -> CostCorrection:
    corr = session.scalar(select(CostCorrection).where(CostCorrection.id == corr_id).with_for_update()
                          .options(selectinload(CostCorrection.lines)).execution_options(populate_existing=True))
    if corr is None:
        raise DomainError("Cost correction %(id)s not found", id=corr_id)
    return corr


def _plan(session: Session, corr: CostCorrection, on_date: date, sign: int) -> Plan:
    """The re-costing of the correction's lines (sign -1: its reversal)."""
    plan = Plan(on_date, (DOC_COST_CORRECTION, corr.id, corr.number or ""))
    lot_deltas: dict[int, Decimal] = {}
    for ln in corr.lines:
        d = ln.amount * sign
        if ln.lot_id is not None:
            lot_deltas[ln.lot_id] = lot_deltas.get(ln.lot_id, ZERO) + d
        else:
            _average_line(session, plan, ln, d)
    plan_walk(session, plan, lot_deltas)
    add_margins(session, plan)
    return plan


def _average_line(session: Session, plan: Plan, ln: CostCorrectionLine, d: Decimal) -> None:
    """A receipt into an average-cost warehouse: the item's stock there takes the change while any is left
    (and its value stays positive); otherwise the change is an expense, the goods are gone."""
    from app.models.stock import StockBalance
    from app.services.costing.recost import Impact

    row = session.execute(select(StockBalance.qty, StockBalance.value).where(
        StockBalance.item_id == ln.item_id, StockBalance.warehouse_id == ln.warehouse_id)).first()
    qty, value = row if row is not None else (ZERO, ZERO)
    if qty > 0 and value + d >= 0:
        plan.move(ln.item_id, ln.warehouse_id, None, d, [])
        plan.impacts.append(Impact("lot", d, "receipt", None, "", ln.item_id, None, qty=qty))
    else:
        plan.impacts.append(Impact("expense", d, "receipt", None, "", ln.item_id, None))


def posting_date(session: Session, corr: CostCorrection) -> date:
    """The correction's date, or the first open day when its date falls in a closed period."""
    return periods.first_open_day(session, corr.doc_date)


def preview_correction(session: Session, corr_id: int) -> Plan:
    """What posting would change (a posted correction: what cancelling it would change), nothing written."""
    corr = session.get(CostCorrection, corr_id)
    if corr is None:
        raise DomainError("Cost correction %(id)s not found", id=corr_id)
    if corr.state == "posted":
        return _plan(session, corr, date.today(), -1)
    return _plan(session, corr, posting_date(session, corr), 1)


def post_correction(session: Session, corr_id: int) -> CostCorrection:
    """Post: re-value the receipts' lots and everything downstream that consumed them, on the correction's date."""
    with unit_of_work(session):
        corr = _lock(session, corr_id)
        check(COST_CORRECTION, corr, "post")
        on = posting_date(session, corr)
        if on != corr.doc_date:
            corr.corrects_date, corr.doc_date = corr.doc_date, on
        periods.assert_open(session, on)
        corr.number = corr.number or next_number(session, DOC_COST_CORRECTION, on, prefix=PREFIX)
        plan = _plan(session, corr, on, 1)
        transition(session, COST_CORRECTION, corr, "post")
        session.flush()
        write_plan(session, plan)
        return corr


def cancel_correction(session: Session, corr_id: int, on_date: date | None = None) -> CostCorrection:
    """Reverse a posted correction on `on_date` (today): the opposite change, walked again from its lots."""
    with unit_of_work(session):
        corr = _lock(session, corr_id)
        check(COST_CORRECTION, corr, "cancel")
        on = on_date or date.today()
        if on < corr.doc_date:
            raise DomainError("The cancellation date cannot be before the document date")
        periods.assert_open(session, on, field="on_date")
        plan = _plan(session, corr, on, -1)
        transition(session, COST_CORRECTION, corr, "cancel")
        session.flush()
        write_plan(session, plan, reversal=True)
        return corr
