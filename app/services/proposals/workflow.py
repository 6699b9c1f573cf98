"""Proposal workflow: save a draft, send, approve / reject, revise into a new version, what-if and drift.

draft -> sent -> approved | rejected; approved -> converted (conversion.py). Only a draft is
edited; a sent or rejected proposal is revised: its copy becomes version n+1 (a draft, same
number) and the old version stays as it was, readable, no longer current. Saving stores the
lines with the cost they were priced at (the snapshot); sending takes the snapshot again, so the
drift shown later is "since the client got it".

A price below the floor margin is saved only by a user holding approve on Proposals (the
Manager role); anyone else gets one refusal that names the floor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain import pricing as dp
from app.domain.documents import PROPOSAL
from app.domain.errors import DomainError, Problem, plain_number
from app.domain.money import ZERO
from app.models.base import utcnow
from app.models.partners import Partner
from app.models.proposals import (
    COST_SOURCES,
    DOC_PROPOSAL,
    LINE_MANUAL,
    PROPOSAL_PREFIX,
    STATE_DRAFT,
    PaymentInstalment,
    Proposal,
    ProposalLine,
)
from app.permissions import ACTION_APPROVE, RESOURCE_PROPOSAL, perm
from app.services.base import SYSTEM, current_actor, unit_of_work
from app.services.proposals import costing
from app.services.proposals.configure import (
    Evaluation,
    ExtraLine,
    InstalmentInput,
    ProposalInput,
    evaluate,
    selection_json,
)
from app.services.sequences import next_number
from app.services.workflow import check, transition

MSG_FLOOR = "The margin %(margin)s%% is below the floor of %(floor)s%%: only a manager can approve it"
MSG_LINE_FLOOR = "'%(line)s': the margin %(margin)s%% is below the floor of %(floor)s%%"
MSG_NOT_FOUND = "Proposal not found"
MSG_NOT_CURRENT = "Proposal %(number)s has a newer version: work on the current one"
MSG_PARTNER = "Choose the client"
MSG_NO_LINES = "The proposal has no lines"
MSG_DEAL = "Deal not found"
MESSAGES = (MSG_FLOOR, MSG_LINE_FLOOR, MSG_NOT_FOUND, MSG_NOT_CURRENT, MSG_PARTNER, MSG_NO_LINES, MSG_DEAL)


# --- who may override the floor ----------------------------------------------------------------


def can_override_floor() -> bool:
    """Whether the acting user holds approve on Proposals (the Manager role; Admin holds everything).

    The system actor (CLI, jobs, the demo loader) may: it acts on an operator's command.
    """
    actor = current_actor()
    if actor == SYSTEM:
        return True
    if actor.user_id is None:
        return False
    from flask import current_app

    sm = current_app.appbuilder.sm
    user = sm.get_user_by_id(actor.user_id)
    if user is None:
        return False
    return sm.exist_permission_on_roles(RESOURCE_PROPOSAL, perm(ACTION_APPROVE), [r.id for r in user.roles])


def floor_problems(ev: Evaluation) -> list[Problem]:
    problems = []
    if ev.priced.total_below_floor:
        problems.append(Problem(MSG_FLOOR, {"margin": ev.priced.margin_pct, "floor": plain_number(ev.floor_pct)}))
    for ln in ev.lines:
        if ln.below_floor:
            problems.append(Problem(MSG_LINE_FLOOR, {"line": ln.description, "margin": ln.margin_pct,
                                                     "floor": plain_number(ln.terms.floor_margin_pct)}))
    if problems and not ev.priced.total_below_floor:
        problems.insert(0, Problem(MSG_FLOOR, {"margin": min(ln.margin_pct for ln in ev.lines if ln.below_floor),
                                               "floor": plain_number(ev.floor_pct)}))
    return problems


# --- loading -----------------------------------------------------------------------------------


def get(session: Session, proposal_id: int, lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id).options(
        selectinload(Proposal.lines), selectinload(Proposal.instalments))
    if lock:
        stmt = stmt.with_for_update(of=Proposal).execution_options(populate_existing=True)
    proposal = session.scalar(stmt)
    if proposal is None:
        raise DomainError(MSG_NOT_FOUND)
    return proposal


def input_of(p: Proposal) -> ProposalInput:
    """A stored proposal as the input that produced it (to recalculate, revise or cost another way)."""
    extras, terms = [], {}
    for ln in p.lines:
        if ln.kind in (LINE_MANUAL, "calculator"):
            extras.append(ExtraLine(ln.description, ln.qty, ln.unit_cost if ln.item_id is None else None, ln.item_id,
                                    ln.kind, ln.characteristics, ln.margin_pct, ln.discount_pct,
                                    ln.calculator_version_id, ln.calculation_run_id, ln.calculator_inputs))
        elif ln.margin_pct is not None or ln.discount_pct is not None:
            terms[ln.line_key] = {"margin": ln.margin_pct, "discount": ln.discount_pct}
    return ProposalInput(
        partner_id=p.partner_id, model_id=p.model_id, qty=p.qty, selection=json.loads(p.selection or "{}"),
        currency_id=p.currency_id, cost_source=p.cost_source, margin_pct=p.margin_pct, discount_pct=p.discount_pct,
        tax_pct=p.tax_pct, contact_id=p.contact_id, deal_id=p.deal_id, proposal_date=p.proposal_date,
        valid_until=p.valid_until, note=p.note, line_terms=terms, extra_lines=extras,
        instalments=[InstalmentInput(i.pct, i.event, i.due_date, i.days, i.note) for i in p.instalments])


# --- saving ------------------------------------------------------------------------------------


def _validate(session: Session, data: ProposalInput, ev: Evaluation) -> list[Problem]:
    problems = list(ev.problems)
    if data.partner_id is None or session.get(Partner, data.partner_id) is None:
        problems.append(Problem(MSG_PARTNER, field="partner"))
    if data.contact_id is not None and session.get(Partner, data.contact_id) is None:
        problems.append(Problem(MSG_PARTNER, field="contact"))
    if data.deal_id is not None and not _deal_exists(session, data.deal_id):
        problems.append(Problem(MSG_DEAL, field="deal"))
    if ev.check is not None:
        problems.extend(Problem(v.msgid, v.params) for v in ev.check.violations)
    if not ev.lines:
        problems.append(Problem(MSG_NO_LINES))
    return problems


def _deal_exists(session: Session, deal_id: int) -> bool:
    """A proposal may name a deal of the sales funnel."""
    from app.models.crm import Deal

    return session.get(Deal, deal_id) is not None


def _write(p: Proposal, data: ProposalInput, ev: Evaluation, override_by: str) -> None:
    p.partner_id, p.contact_id, p.deal_id, p.model_id = data.partner_id, data.contact_id, data.deal_id, data.model_id
    p.qty, p.currency_id, p.rate, p.cost_source = ev.qty, ev.currency_id, ev.rate, ev.source
    p.selection = selection_json(ev.check.selection if ev.check else {})
    p.margin_pct, p.discount_pct, p.tax_pct = ev.margin_pct, ev.discount_pct, ev.tax_pct
    p.floor_margin_pct, p.floor_override_by = ev.floor_pct, override_by
    p.proposal_date = data.proposal_date or p.proposal_date or date.today()
    p.valid_until, p.note = data.valid_until, data.note
    _totals(p, ev)
    p.lines = [ProposalLine(
        line_no=n, kind=ln.kind, line_key=ln.key, group_label=ln.group_label, option_id=ln.option_id,
        item_id=ln.item_id,
        description=ln.description[:500], characteristics=ln.characteristics, qty=ln.qty, unit_cost=ln.unit_cost,
        cost=ln.cost, margin_pct=ln.own_margin, discount_pct=ln.own_discount, unit_price=ln.unit_price,
        price=ln.price,
        calculator_version_id=ln.extra.calculator_version_id if ln.extra else None,
        calculation_run_id=ln.extra.calculation_run_id if ln.extra else None,
        calculator_inputs=ln.extra.calculator_inputs if ln.extra else "",
        promotion_id=ln.promotion_id, promotion_pct=ln.promotion_pct)
        for n, ln in enumerate(ev.lines, start=1)]
    p.instalments = [PaymentInstalment(seq=i.seq, pct=i.pct, event=i.event, due_date=i.due_date, days=i.days,
                                       note=src.note)
                     for i, src in zip(ev.instalments, data.instalments, strict=True)]


def _totals(p: Proposal, ev: Evaluation) -> None:
    p.cost_total, p.price_total = ev.priced.cost, ev.priced.price
    p.tax_total, p.grand_total = ev.priced.tax, ev.priced.total
    p.margin_actual_pct = ev.priced.margin_pct or ZERO
    p.snapshot_at = utcnow()


def save_proposal(session: Session, data: ProposalInput, proposal_id: int | None = None,
                  locale: str = "en") -> Proposal:
    """Create a draft proposal or replace a draft's content; one DomainError with every problem."""
    with unit_of_work(session):
        existing = get(session, proposal_id, lock=True) if proposal_id else None
        if existing is not None:
            _editable(existing)
        ev = evaluate(session, data, locale)
        problems = _validate(session, data, ev)
        override_by = ""
        if not problems and ev.below_floor:
            if can_override_floor():
                override_by = current_actor().username
            else:
                problems.extend(floor_problems(ev))
        if problems:
            raise DomainError(problems)
        if existing is None:
            on = data.proposal_date or date.today()
            existing = Proposal(number=next_number(session, DOC_PROPOSAL, on, PROPOSAL_PREFIX), version=1,
                                state=STATE_DRAFT, is_current=True, proposal_date=on)
            session.add(existing)
        _write(existing, data, ev, override_by)
        session.flush()
        if existing.root_id is None:
            existing.root_id = existing.id
        return existing


def _editable(p: Proposal) -> None:
    _current(p)
    check(PROPOSAL, p, "edit")


def _current(p: Proposal) -> None:
    """An older version is history: every action is taken on the current one."""
    if not p.is_current:
        raise DomainError(MSG_NOT_CURRENT, number=p.label)


def _locked_current(session: Session, proposal_id: int) -> Proposal:
    """The proposal an action is taken on: locked for the change, and its current version."""
    p = get(session, proposal_id, lock=True)
    _current(p)
    return p


def resnapshot(session: Session, p: Proposal, locale: str = "en") -> Evaluation:
    """Cost the stored lines again (same source) keeping their prices: the snapshot of now."""
    ev = cost_as_is(session, p, p.cost_source)
    by_no = {ln.line_no: ln for ln in p.lines}
    for n, (unit_cost, cost) in ev.items():
        line = by_no[n]
        line.unit_cost, line.cost = unit_cost, cost
    p.cost_total = sum((ln.cost for ln in p.lines), ZERO)
    p.margin_actual_pct = dp.margin_of(p.cost_total, p.price_total * p.rate) or ZERO
    p.snapshot_at = utcnow()
    return ev


def send_proposal(session: Session, proposal_id: int) -> Proposal:
    """draft -> sent: the client has it; costs are snapshotted again for the drift shown later."""
    with unit_of_work(session):
        p = _locked_current(session, proposal_id)
        check(PROPOSAL, p, "send")
        if not p.lines:
            raise DomainError(MSG_NO_LINES)
        problems = dp.schedule_problems([dp.Instalment(i.seq, i.pct, i.event, i.due_date, i.days)
                                         for i in p.instalments])
        if problems:
            raise DomainError(problems)
        resnapshot(session, p)
        transition(session, PROPOSAL, p, "send")
        return p


def approve_proposal(session: Session, proposal_id: int) -> Proposal:
    """sent -> approved: the client accepted it."""
    with unit_of_work(session):
        p = _locked_current(session, proposal_id)
        transition(session, PROPOSAL, p, "approve")
        return p


def reject_proposal(session: Session, proposal_id: int, reason: str = "") -> Proposal:
    """sent -> rejected, with the client's reason."""
    with unit_of_work(session):
        p = _locked_current(session, proposal_id)
        transition(session, PROPOSAL, p, "reject")
        p.reject_reason = (reason or "").strip()[:300]
        return p


def revise_proposal(session: Session, proposal_id: int) -> Proposal:
    """A sent or rejected proposal becomes version n+1 (a draft copy); the old version stays readable."""
    with unit_of_work(session):
        old = _locked_current(session, proposal_id)
        transition(session, PROPOSAL, old, "revise")
        last = session.scalar(select(Proposal.version).where(Proposal.root_id == old.root_id)
                              .order_by(Proposal.version.desc()).limit(1)) or old.version
        new = Proposal(number=old.number, version=last + 1, root_id=old.root_id, is_current=True, state=STATE_DRAFT,
                       proposal_date=date.today())
        for name in ("partner_id", "contact_id", "deal_id", "model_id", "qty", "selection", "currency_id", "rate",
                     "cost_source", "margin_pct", "discount_pct", "tax_pct", "floor_margin_pct", "valid_until",
                     "note", "cost_total", "price_total", "tax_total", "grand_total", "margin_actual_pct",
                     "snapshot_at"):
            setattr(new, name, getattr(old, name))
        new.lines = [ProposalLine(**{c: getattr(ln, c) for c in _LINE_COPY}) for ln in old.lines]
        new.instalments = [PaymentInstalment(seq=i.seq, pct=i.pct, event=i.event, due_date=i.due_date, days=i.days,
                                             note=i.note) for i in old.instalments]
        old.is_current = False
        session.add(new)
        session.flush()
        return new


_LINE_COPY = ("line_no", "kind", "line_key", "group_label", "option_id", "item_id", "description", "characteristics",
              "qty", "unit_cost", "cost", "margin_pct", "discount_pct", "unit_price", "price", "calculator_version_id",
              "calculation_run_id", "calculator_inputs", "promotion_id", "promotion_pct")


def versions(session: Session, proposal: Proposal) -> list[Proposal]:
    return list(session.scalars(select(Proposal).where(Proposal.root_id == proposal.root_id)
                                .order_by(Proposal.version)))


# --- what-if and drift -------------------------------------------------------------------------


def cost_as_is(session: Session, p: Proposal, source: str) -> dict[int, tuple[Decimal, Decimal]]:
    """line_no -> (unit cost, cost) of the stored lines costed by `source` today (rounded)."""
    from app.domain.money import round_money

    demands = [costing.Demand(ln.line_no, ln.item_id, ln.qty, ln.unit_cost if ln.item_id is None else None)
               for ln in p.lines]
    result = costing.cost_demands(session, demands, source, date.today())
    out = {}
    for ln in p.lines:
        cost = result.lines[ln.line_no].cost
        out[ln.line_no] = (round_money(cost / ln.qty) if ln.qty else ZERO, round_money(cost))
    return out


@dataclass(frozen=True)
class WhatIf:
    source: str
    cost: Decimal
    margin_pct: Decimal | None
    notes: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Drift:
    snapshot_cost: Decimal
    snapshot_margin: Decimal | None
    current_cost: Decimal
    current_margin: Decimal | None
    snapshot_at: object

    @property
    def margin_change(self) -> Decimal | None:
        if self.snapshot_margin is None or self.current_margin is None:
            return None
        return self.current_margin - self.snapshot_margin


def what_if(session: Session, proposal_id: int) -> tuple[list[WhatIf], Drift]:
    """The proposal's prices against its cost by every source today, and the drift since the snapshot."""
    from app.domain.money import round_money

    p = get(session, proposal_id)
    revenue = p.price_total * p.rate
    out = []
    current = None
    for source in COST_SOURCES:
        demands = [costing.Demand(ln.line_no, ln.item_id, ln.qty, ln.unit_cost if ln.item_id is None else None)
                   for ln in p.lines]
        result = costing.cost_demands(session, demands, source, date.today())
        cost = round_money(result.total)
        out.append(WhatIf(source, cost, dp.margin_of(cost, revenue), tuple(result.notes)))
        if source == p.cost_source:
            current = cost
    drift = Drift(p.cost_total, dp.margin_of(p.cost_total, revenue), current if current is not None else ZERO,
                  dp.margin_of(current or ZERO, revenue), p.snapshot_at)
    return out, drift
