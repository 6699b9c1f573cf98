"""Complaints and their corrective / preventive actions: checks, links filled in from the ledger, transitions.

A complaint saved from a page or the API passes `prepare_complaint` in the same transaction: it refuses
negative quantities and costs, numbers the complaint, and fills what the ledger already knows (the item
and production order of the product lot, the supplier of the component lot). Transitions go through the
workflow kernel; an action that needs the post permission on Quality (closing an action as effective,
closing or rejecting a complaint) is refused to a user without it, from the page as from the API.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem
from app.domain.quality import COMPLAINT, CORRECTIVE_ACTION
from app.domain.workflow import Workflow
from app.models.production import DOC_PRODUCTION, ProductionCompletion
from app.models.quality import ACTION_KINDS, Complaint, CorrectiveAction
from app.models.stock import DOC_RECEIPT, StockDocument, StockLot
from app.permissions import RESOURCE_QUALITY, perm
from app.services import sequences
from app.services.base import unit_of_work
from app.services.locking import lock_row
from app.services.workflow import transition

COST_FIELDS = ("cost_scrap", "cost_rework", "cost_replacement", "cost_other")
MSG_NEGATIVE = "%(field)s can't be negative"
MSG_NO_RIGHT = "You may not do “%(action)s”: it needs the right to post on Quality"


def _problems(c: Complaint) -> list[Problem]:
    problems = []
    if not (c.title or "").strip():
        problems.append(Problem("Give the complaint a title", field="title"))
    for name in ("qty", *COST_FIELDS):
        value = getattr(c, name)
        if value is not None and value < 0:
            problems.append(Problem(MSG_NEGATIVE, {"field": name}, field=name))
    return problems


def _fill_from_ledger(session: Session, c: Complaint) -> None:
    """The product lot gives the item and the production order; the component lot gives the supplier."""
    lot = session.get(StockLot, c.lot_id) if c.lot_id else None
    if lot is not None:
        c.item_id = c.item_id or lot.item_id
        if not c.production_order_id and lot.doc_type == DOC_PRODUCTION and lot.doc_id:
            done = session.get(ProductionCompletion, lot.doc_id)
            c.production_order_id = done.order_id if done is not None else None
    comp = session.get(StockLot, c.component_lot_id) if c.component_lot_id else None
    if comp is not None and not c.supplier_id:
        origin = comp
        while origin.origin_lot_id:  # a transferred lot: its supplier is the first lot's
            origin = session.get(StockLot, origin.origin_lot_id)
        if origin.doc_type == DOC_RECEIPT and origin.doc_id:
            receipt = session.get(StockDocument, origin.doc_id)
            c.supplier_id = receipt.partner_id if receipt is not None else None


def prepare_complaint(session: Session, c: Complaint) -> Complaint:
    """Check a complaint about to be saved, number a new one, fill its links from the ledger."""
    problems = _problems(c)
    if c.id and c.state and not COMPLAINT.allows(c.state, "edit"):
        problems += COMPLAINT.refusal(c.state, "edit", c.number or "")
    if problems:
        raise DomainError(problems)
    for name in ("qty", *COST_FIELDS):
        if getattr(c, name) is None:
            setattr(c, name, 0)
    c.complaint_date = c.complaint_date or date.today()
    if not c.number:
        c.number = sequences.next_number(session, "complaint", c.complaint_date, prefix="CMP")
        from app.services.projects.processes import on_complaint  # business processes start from events

        on_complaint(session, c)
    _fill_from_ledger(session, c)
    return c


def prepare_action(session: Session, a: CorrectiveAction) -> CorrectiveAction:
    """A new or edited action: a description, a known kind, a complaint that is still open to work."""
    problems = []
    if not (a.description or "").strip():
        problems.append(Problem("Describe the action", field="description"))
    if a.kind not in ACTION_KINDS:
        problems.append(Problem("Unknown kind of action: %(kind)s", {"kind": a.kind or ""}, field="kind"))
    complaint = a.complaint or (session.get(Complaint, a.complaint_id) if a.complaint_id else None)
    if complaint is None:
        problems.append(Problem("Choose the complaint", field="complaint"))
    elif complaint.state in ("closed", "rejected"):
        problems += COMPLAINT.refusal(complaint.state, "edit", complaint.number or "")
    if a.id and a.state and not CORRECTIVE_ACTION.allows(a.state, "edit"):
        problems += CORRECTIVE_ACTION.refusal(a.state, "edit", "")
    if problems:
        raise DomainError(problems)
    return a


def _may(permission: str) -> bool:
    """Whether the acting user holds `permission` on Quality (always outside a request: CLI, jobs, tests)."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return True
    return current_app.appbuilder.sm.has_access(perm(permission), RESOURCE_QUALITY)


def _move(session: Session, wf: Workflow, model: type, row_id: int, action: str, text: str, field: str):
    """Lock, check the right and the transition, move, keep the comment in `field` (resolution, result)."""
    row = lock_row(session, model, row_id)
    if row is None:
        raise DomainError("%(document)s %(number)s does not exist", document=wf.name, number=row_id)
    t = wf.transitions.get(action)
    if t is not None and not _may(t.permission):
        raise DomainError(MSG_NO_RIGHT, action=t.label)
    transition(session, wf, row, action)
    if text.strip():
        setattr(row, field, text.strip())
    return row


def move_complaint(session: Session, complaint_id: int, action: str, resolution: str = "") -> Complaint:
    """Investigate, resolve, close, reject or reopen a complaint (a resolution text may come with it);
    a complaint with actions still open is not closed."""
    with unit_of_work(session):
        c = _move(session, COMPLAINT, Complaint, complaint_id, action, resolution, "resolution")
        still_open = [a for a in c.actions if a.state in ("open", "in_progress")]
        if action == "close" and still_open:
            raise DomainError("Complaint %(number)s still has %(n)s open actions", number=c.number,
                              n=len(still_open))
        session.flush()
        return c


def move_action(session: Session, action_id: int, action: str, result: str = "") -> CorrectiveAction:
    """Start, complete, close (effective), reopen or cancel a corrective / preventive action."""
    with unit_of_work(session):
        a = _move(session, CORRECTIVE_ACTION, CorrectiveAction, action_id, action, result, "result")
        session.flush()
        return a


def overdue_actions(session: Session, today: date | None = None) -> list[CorrectiveAction]:
    """Open actions past their deadline (the quality page lists them first)."""
    today = today or date.today()
    return list(session.scalars(select(CorrectiveAction).where(
        CorrectiveAction.state.in_(("open", "in_progress")), CorrectiveAction.due_date < today)
        .order_by(CorrectiveAction.due_date)))
