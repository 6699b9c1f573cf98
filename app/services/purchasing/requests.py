"""Purchase requests: adding demand to the open draft request of the best supplier, and the
request's life (draft -> sent -> confirmed -> received / cancelled).

A line is identified by (source, source_ref, item): "sales_order" + "SO-2026-00012" + processor,
or "minmax" + "wh:1" + processor. Adding the same key again updates the draft line instead of
adding a second one, so neither a re-run of the nightly job nor a second logistics analysis of
the same customer order duplicates anything. Quantities are rounded up to the unit's precision
(whole pieces), the offer's minimum and pack; the line keeps the reason it was suggested (JSON of
strings, with the rounding steps) for the buyer to check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.domain.documents import PURCHASE_REQUEST
from app.domain.errors import DomainError
from app.domain.money import ZERO, round_money
from app.domain.reorder import OrderQty, order_qty, plain, rounding_note
from app.models.catalog import Item
from app.models.core import Unit
from app.models.purchasing import (
    REQ_CANCELLED,
    REQ_DRAFT,
    PurchaseRequest,
    PurchaseRequestLine,
)
from app.services.base import current_actor, unit_of_work
from app.services.purchasing.offers import OfferChoice, best_offer
from app.services.sequences import next_number
from app.services.workflow import check, transition

DOC_TYPE = "purchase_request"
PREFIX = "PR"
MAX_ALTERNATIVES = 3


@dataclass
class WriteStats:
    """What a batch of demand did to the requests (for the run summary and the dashboard)."""

    requests_created: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_removed: int = 0
    kept: int = 0
    touched: set[int] = field(default_factory=set)  # request ids


@dataclass
class _Context:
    """Per-batch caches: the open draft request per (supplier, warehouse) and next line numbers."""

    today: date
    stats: WriteStats = field(default_factory=WriteStats)
    drafts: dict[tuple[int | None, int | None], PurchaseRequest] = field(default_factory=dict)
    next_no: dict[int, int] = field(default_factory=dict)
    unit_places: dict[int, int] = field(default_factory=dict)  # item id -> decimals of its unit


def load_unit_places(session: Session, ctx: _Context, item_ids: set[int]) -> None:
    """Read the unit precision of these items into the batch (one query; pieces have 0 decimals)."""
    from app.services.purchasing.bulk import rows_for_ids

    missing = {i for i in item_ids if i not in ctx.unit_places}
    if missing:
        stmt = select(Item.id, Unit.decimals).join(Unit, Unit.id == Item.unit_id)
        ctx.unit_places.update({i: d for i, d in rows_for_ids(session, stmt, Item.id, missing)})


def _find_draft(session: Session, supplier_id: int | None, warehouse_id: int | None) -> PurchaseRequest | None:
    stmt = select(PurchaseRequest).where(PurchaseRequest.state == REQ_DRAFT)
    stmt = stmt.where(PurchaseRequest.supplier_id.is_(None) if supplier_id is None
                      else PurchaseRequest.supplier_id == supplier_id)
    stmt = stmt.where(PurchaseRequest.warehouse_id.is_(None) if warehouse_id is None
                      else PurchaseRequest.warehouse_id == warehouse_id)
    return session.scalar(stmt.order_by(PurchaseRequest.id).limit(1))


def _draft_for(session: Session, ctx: _Context, supplier_id: int | None, warehouse_id: int | None) -> PurchaseRequest:
    key = (supplier_id, warehouse_id)
    req = ctx.drafts.get(key)
    if req is None:
        req = _find_draft(session, supplier_id, warehouse_id)
        if req is None:
            req = PurchaseRequest(number=next_number(session, DOC_TYPE, ctx.today, PREFIX), request_date=ctx.today,
                                  state=REQ_DRAFT, supplier_id=supplier_id, warehouse_id=warehouse_id,
                                  created_by=current_actor().username, total_base=ZERO)
            session.add(req)
            session.flush()
            ctx.stats.requests_created += 1
        ctx.drafts[key] = req
    return req


def _next_line_no(session: Session, ctx: _Context, req: PurchaseRequest) -> int:
    if req.id not in ctx.next_no:
        last = session.scalar(select(PurchaseRequestLine.line_no).where(PurchaseRequestLine.request_id == req.id)
                              .order_by(PurchaseRequestLine.line_no.desc()).limit(1))
        ctx.next_no[req.id] = (last or 0) + 1
    n = ctx.next_no[req.id]
    ctx.next_no[req.id] = n + 1
    return n


def _offer_reason(offer: OfferChoice | None) -> dict[str, Any]:
    if offer is None:
        return {"supplier": "", "offer": None}
    return {
        "supplier": offer.supplier_name, "offer_id": offer.offer_id, "price": plain(offer.price),
        "currency": offer.currency_code, "price_base": plain(offer.price_base), "lead_time": str(offer.lead_time_days),
        "min_qty": plain(offer.min_qty), "pack_qty": plain(offer.pack_qty) if offer.pack_qty else "",
        "alternatives": [
            {"supplier": a.supplier_name, "price": plain(a.price), "currency": a.currency_code,
             "price_base": plain(a.price_base), "lead_time": str(a.lead_time_days)}
            for a in offer.alternatives[:MAX_ALTERNATIVES]
        ],
    }


def _full_reason(reason: dict[str, Any], need: Decimal, rounded: OrderQty, offer: OfferChoice | None,
                 source: str) -> dict[str, Any]:
    out = {k: (plain(v) if isinstance(v, Decimal) else v) for k, v in reason.items()}
    out.setdefault("method", source)  # a caller's own reason (a customer order's) still says where it came from
    offer_part = _offer_reason(offer)
    for key, value in offer_part.items():
        out.setdefault(key, value)
    out["need"] = plain(need)
    out["ordered"] = plain(rounded.qty)
    out["rounding"] = rounding_note(need, rounded.qty)
    out["rounding_steps"] = [dict(step) for step in rounded.steps]
    return out


def _fill_line(line: PurchaseRequestLine, qty: Decimal, offer: OfferChoice | None, reason: dict,
               need_by: date | None) -> None:
    line.qty = qty
    line.reason = reason
    line.need_by = need_by
    if offer is not None:
        line.offer_id, line.price, line.currency_id = offer.offer_id, offer.price, offer.currency_id
        line.amount_base = round_money(qty * offer.price_base)
    else:
        line.offer_id, line.price, line.currency_id, line.amount_base = None, None, None, ZERO


def _existing(session: Session, item_id: int, source: str, source_ref: str, warehouse_id: int | None,
              drafts_only: bool) -> list[PurchaseRequestLine]:
    stmt = (select(PurchaseRequestLine).join(PurchaseRequest)
            .where(PurchaseRequestLine.item_id == item_id, PurchaseRequestLine.source == source,
                   PurchaseRequestLine.source_ref == source_ref)
            .options(selectinload(PurchaseRequestLine.request)))
    stmt = stmt.where(PurchaseRequest.state == REQ_DRAFT) if drafts_only else \
        stmt.where(PurchaseRequest.state != REQ_CANCELLED)
    stmt = stmt.where(PurchaseRequest.warehouse_id.is_(None) if warehouse_id is None
                      else PurchaseRequest.warehouse_id == warehouse_id)
    lines = list(session.scalars(stmt))
    return sorted(lines, key=lambda ln: (ln.request.state != REQ_DRAFT, ln.id))


def upsert_demand(session: Session, ctx: _Context, *, item_id: int, need: Decimal, warehouse_id: int | None,
                  reason: dict, source: str, source_ref: str, need_by: date | None, offer: OfferChoice | None,
                  drafts_only: bool, known: list[PurchaseRequestLine] | None = None) -> PurchaseRequestLine | None:
    """Add, update, move or remove the line of this key so that it asks for `need` (rounded up).

    `drafts_only`: only a draft line of the key is reused (generation runs: a sent request's
    line is counted as "requested" instead); otherwise any non-cancelled line of the key is
    returned unchanged (a customer order's demand is never asked twice). `known`: the lines of
    the key when the caller has fetched them already (a run prefetches its own in one query).
    """
    load_unit_places(session, ctx, {item_id})
    rounded = order_qty(need, offer.min_qty if offer else None, offer.pack_qty if offer else None,
                        ctx.unit_places.get(item_id))
    qty = rounded.qty
    if need_by is None and offer is not None:
        need_by = ctx.today + timedelta(days=offer.lead_time_days)
    full = _full_reason(reason, need, rounded, offer, source)
    existing = known if known is not None else _existing(session, item_id, source, source_ref, warehouse_id,
                                                         drafts_only)
    line = existing[0] if existing else None
    if line is not None and not PURCHASE_REQUEST.allows(line.request.state, "edit"):
        ctx.stats.kept += 1
        return line
    if line is not None:
        return _update_line(session, ctx, line, qty, offer, full, need_by, warehouse_id)
    if qty <= 0:
        return None
    req = _draft_for(session, ctx, offer.supplier_id if offer else None, warehouse_id)
    line = PurchaseRequestLine(request_id=req.id, line_no=_next_line_no(session, ctx, req), item_id=item_id,
                               source=source, source_ref=source_ref, note="")
    _fill_line(line, qty, offer, full, need_by)
    session.add(line)
    ctx.stats.lines_created += 1
    ctx.stats.touched.add(req.id)
    return line


def _update_line(session: Session, ctx: _Context, line: PurchaseRequestLine, qty: Decimal,
                 offer: OfferChoice | None, reason: dict, need_by: date | None,
                 warehouse_id: int | None) -> PurchaseRequestLine | None:
    ctx.stats.touched.add(line.request_id)
    if qty <= 0:
        session.delete(line)
        ctx.stats.lines_removed += 1
        return None
    supplier_id = offer.supplier_id if offer else None
    if line.request.supplier_id != supplier_id:  # a better offer appeared: the line changes supplier
        req = _draft_for(session, ctx, supplier_id, warehouse_id)
        line.request_id, line.line_no = req.id, _next_line_no(session, ctx, req)
        ctx.stats.touched.add(req.id)
    if line.qty != qty or line.reason != reason:
        ctx.stats.lines_updated += 1
    _fill_line(line, qty, offer, reason, need_by)
    return line


def refresh_totals(session: Session, request_ids: set[int]) -> None:
    """Recompute the base-currency total of each request (SUM in SQL); drop drafts left without lines."""
    if not request_ids:
        return
    session.flush()
    ids = sorted(request_ids)
    sums = dict(session.execute(select(PurchaseRequestLine.request_id, func.sum(PurchaseRequestLine.amount_base))
                                .where(PurchaseRequestLine.request_id.in_(ids))
                                .group_by(PurchaseRequestLine.request_id)).all())
    for req in session.scalars(select(PurchaseRequest).where(PurchaseRequest.id.in_(ids))):
        if req.id not in sums and PURCHASE_REQUEST.allows(req.state, "edit"):  # an empty draft goes
            session.delete(req)
            continue
        req.total_base = sums.get(req.id) or ZERO
    session.flush()


DEMAND_LOCK = 5_050_001  # PostgreSQL advisory lock key of "who writes purchase demand"


def serialize_demand(session: Session) -> None:
    """Let one transaction at a time add demand: two runs must not both create the supplier's draft.

    SQLite already serialises writers (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped
    advisory lock does it, released at commit or rollback.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEMAND_LOCK})


def new_context(today: date | None = None) -> _Context:
    return _Context(today or date.today())


def add_demand(session: Session, *, item_id: int, qty: Decimal, warehouse_id: int | None, reason: dict,
               source: str, source_ref: str, need_by: date | None = None) -> PurchaseRequestLine:
    """Ask to buy `qty` of an item (rounded up to the best offer's minimum and pack) for a source.

    The line goes to the open draft request of the best supplier for the warehouse (a request
    without supplier when the matrix has no valid offer). The same (source, source_ref, item)
    updates its draft line, and a line already sent is returned as it is: never a duplicate.
    Does NOT commit: it is part of the caller's transaction.
    """
    if qty is None or not qty.is_finite() or qty <= 0:
        raise DomainError("Quantity must be positive")
    serialize_demand(session)
    ctx = new_context()
    offer = best_offer(session, item_id, ctx.today, qty)
    line = upsert_demand(session, ctx, item_id=item_id, need=qty, warehouse_id=warehouse_id, reason=reason,
                         source=source, source_ref=source_ref, need_by=need_by, offer=offer, drafts_only=False)
    refresh_totals(session, ctx.stats.touched)
    assert line is not None  # qty > 0 always leaves a line
    return line


def follow_need(session: Session, *, item_id: int, need: Decimal, warehouse_id: int | None, reason: dict,
                source: str, source_ref: str, need_by: date | None = None) -> PurchaseRequestLine | None:
    """Make the line of (source, source_ref, item) ask for what its source needs NOW.

    A draft line is a suggestion nobody has acted on: it is set to `need` (rounded up as always),
    removed when nothing is needed any more (the stock arrived, the order changed, another request
    covers it), created when there is none. A line already sent stays as the supplier knows it;
    what it asks beyond the need is recorded on it (`excess`) for the buyer to settle with the
    supplier. Returns the line that now carries the demand, or None.
    """
    serialize_demand(session)
    ctx = new_context()
    existing = _existing(session, item_id, source, source_ref, warehouse_id, drafts_only=False)
    line = existing[0] if existing else None
    if line is not None and not PURCHASE_REQUEST.allows(line.request.state, "edit"):
        mark_excess(line, need)
        return line
    if line is None and need <= 0:
        return None
    offer = best_offer(session, item_id, ctx.today, need) if need > 0 else None
    line = upsert_demand(session, ctx, item_id=item_id, need=need, warehouse_id=warehouse_id, reason=reason,
                         source=source, source_ref=source_ref, need_by=need_by, offer=offer, drafts_only=False,
                         known=existing)
    refresh_totals(session, ctx.stats.touched)
    return line


def mark_excess(line: PurchaseRequestLine, need: Decimal) -> None:
    """Record on a sent line how much it asks beyond what its source needs now (or clear it)."""
    reason = {k: v for k, v in (line.reason or {}).items() if k not in ("excess", "needed_now")}
    excess = line.qty - max(need, ZERO)
    if excess > 0:
        reason["needed_now"], reason["excess"] = plain(max(need, ZERO)), plain(excess)
    if reason != (line.reason or {}):
        line.reason = reason  # a new dict: the JSON column sees the change


# --- the request's life -----------------------------------------------------------------------------


def _load(session: Session, request_id: int) -> PurchaseRequest:
    req = session.scalar(select(PurchaseRequest).where(PurchaseRequest.id == request_id).with_for_update()
                         .options(selectinload(PurchaseRequest.lines))
                         .execution_options(populate_existing=True))
    if req is None:
        raise DomainError("Purchase request not found")
    return req


def assert_draft(req: PurchaseRequest) -> None:
    check(PURCHASE_REQUEST, req, "edit")


def mark_sent(session: Session, request_id: int) -> PurchaseRequest:
    """Mark a draft request as sent to its supplier (by mail from Fabrika or by other means)."""
    with unit_of_work(session):
        req = _load(session, request_id)
        _mark_sent(session, req)
        return req


def _mark_sent(session: Session, req: PurchaseRequest) -> None:
    check(PURCHASE_REQUEST, req, "send")
    problems = []
    if req.supplier_id is None:
        problems.append("Choose the supplier of the request first")
    if not req.lines:
        problems.append("The request has no lines")
    if problems:
        raise DomainError([_p(m) for m in problems])
    transition(session, PURCHASE_REQUEST, req, "send")
    session.flush()


def cancel_request(session: Session, request_id: int) -> PurchaseRequest:
    """Cancel a draft or sent request (a confirmed one is cancelled through its order)."""
    with unit_of_work(session):
        req = _load(session, request_id)
        transition(session, PURCHASE_REQUEST, req, "cancel")
        session.flush()
        return req


def set_supplier(session: Session, request_id: int, supplier_id: int) -> PurchaseRequest:
    """Give an unassigned draft request its supplier (prices come from that supplier's offers)."""
    from app.models.partners import Partner
    from app.services.purchasing.offers import best_offers

    with unit_of_work(session):
        req = _load(session, request_id)
        assert_draft(req)
        partner = session.get(Partner, supplier_id)
        if partner is None or not partner.is_supplier:
            raise DomainError("Choose a supplier")
        req.supplier_id = supplier_id
        offers = best_offers(session, [ln.item_id for ln in req.lines], req.request_date)
        for ln in req.lines:
            mine = [o for o in _with_alternatives(offers.get(ln.item_id)) if o.supplier_id == supplier_id]
            if mine:
                ln.offer_id, ln.price, ln.currency_id = mine[0].offer_id, mine[0].price, mine[0].currency_id
                ln.amount_base = round_money(ln.qty * mine[0].price_base)
        req.total_base = sum((ln.amount_base for ln in req.lines), ZERO)
        session.flush()
        return req


def _with_alternatives(choice: OfferChoice | None) -> list[OfferChoice]:
    return [] if choice is None else [choice, *choice.alternatives]


def _p(msgid: str):
    from app.domain.errors import Problem

    return Problem(msgid)
