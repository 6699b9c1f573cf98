"""Disassembly and conversion: one item out of stock, other items in, the cost carried over exactly.

Disassembly splits an item into its BOM's components (or a list given by hand); conversion turns
N of item A into M of item B. The item leaves through the ledger at its FIFO / average cost and
that cost is shared among the outputs by a rule (standard cost, weight, or shares set by hand):
each share is cut to money and the remainder goes to the last line, so what comes in is worth
exactly what went out. Documents are draft -> posted -> cancelled like stock documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain import bom as dbom
from app.domain import move_kinds
from app.domain.documents import TRANSFORMATION
from app.domain.errors import Collector, DomainError
from app.domain.money import ZERO, exact, parse_quantity, round_qty
from app.models.catalog import Item
from app.models.production import (
    DOC_CONVERSION,
    DOC_DISASSEMBLY,
    PRODUCTION_PREFIXES,
    SHARE_MANUAL,
    SHARE_RULES,
    SHARE_STANDARD,
    SHARE_WEIGHT,
    Transformation,
    TransformationLine,
)
from app.models.stock import Warehouse
from app.services.base import unit_of_work
from app.services.production import costing
from app.services.production.engineering import active_bom
from app.services.sequences import next_number
from app.services.stock.ledger import DocRef, MoveRequest, post_moves, reverse_moves
from app.services.workflow import check, transition


@dataclass
class OutputLine:
    item_id: int | None
    qty: object
    share: object = None


@dataclass
class TransformInput:
    kind: str
    warehouse_id: int | None
    item_id: int | None
    qty: object
    share_rule: str = SHARE_STANDARD
    lines: list[OutputLine] = field(default_factory=list)  # empty disassembly: the BOM's components
    dest_warehouse_id: int | None = None
    doc_date: date | None = None
    note: str = ""


MSG_NO_COST = ("%(item)s has no standard cost, so the standard-cost rule cannot share the cost out: enter its "
               "standard cost on the item's card, or choose the weight or manual rule")
MSG_NO_WEIGHT = ("%(item)s has no weight, so the weight rule cannot share the cost out: enter its weight on the "
                 "item's card, or choose the standard-cost or manual rule")


@dataclass
class SharingGap:
    """An output line whose item lacks what the document's sharing rule reads (shown with a link to the item)."""

    line_no: int
    item_id: int
    code: str
    msgid: str


def sharing_gaps(session: Session, doc: Transformation) -> list[SharingGap]:
    """The output lines the standard-cost or weight rule cannot share the cost to, in line order."""
    if doc.share_rule not in (SHARE_STANDARD, SHARE_WEIGHT):
        return []
    ids = {ln.item_id for ln in doc.lines if ln.item_id}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
    gaps = []
    for ln in sorted(doc.lines, key=lambda ln: ln.line_no):
        item = items.get(ln.item_id)
        if item is None:
            continue
        if doc.share_rule == SHARE_STANDARD and item.standard_cost is None:
            gaps.append(SharingGap(ln.line_no, item.id, item.code, MSG_NO_COST))
        elif doc.share_rule == SHARE_WEIGHT and item.weight is None:
            gaps.append(SharingGap(ln.line_no, item.id, item.code, MSG_NO_WEIGHT))
    return gaps


def prefill_from_bom(session: Session, doc: Transformation) -> None:
    """A new disassembly without output lines gets its item's BOM components for its quantity (when it has a BOM),
    so the user sees and adjusts what will come back before posting."""
    item_id = doc.item_id or (doc.item.id if doc.item is not None else None)  # a form sets the relationship
    if doc.kind != DOC_DISASSEMBLY or doc.lines or not item_id or not doc.qty or doc.qty <= 0:
        return
    on = doc.doc_date or date.today()
    if active_bom(session, item_id, on) is not None:
        doc.lines = _lines_from_bom(session, item_id, doc.qty, on)


def _lines_from_bom(session: Session, item_id: int, qty: Decimal, on_date: date) -> list[TransformationLine]:
    """The components a disassembly gives back: the BOM's lines without scrap (scrap is lost in making)."""
    bom = active_bom(session, item_id, on_date)
    if bom is None:
        raise DomainError("No active bill of materials for %(item)s on %(date)s",
                          item=session.get(Item, item_id).code, date=on_date)
    spec = costing.bom_spec(session, bom)
    out = []
    for n, line in enumerate((ln for ln in spec.lines if not ln.byproduct), start=1):
        with exact():
            q = round_qty(qty * line.qty / spec.output_qty)
        out.append(TransformationLine(line_no=n, item_id=line.component, qty=q))
    return out


def _parse_lines(raw_lines: list[OutputLine], problems: Collector) -> list[TransformationLine]:
    out = []
    for n, raw in enumerate(raw_lines, start=1):
        qty, err = parse_quantity(raw.qty)
        if err or qty is None or qty <= 0:
            problems.add(err or "Quantity must be positive", line=n, field="qty", value=raw.qty, places=6)
        share = None
        if raw.share not in (None, ""):
            share, err = parse_quantity(raw.share)
            if err:
                problems.add(err, line=n, field="share", value=raw.share, places=6)
        out.append(TransformationLine(line_no=n, item_id=raw.item_id, qty=qty, share=share))
    return out


def validate(session: Session, doc: Transformation, problems: Collector | None = None) -> None:
    """Every problem of a transformation (header, lines, the data its sharing rule needs)."""
    problems = problems if problems is not None else Collector()
    if doc.kind not in (DOC_DISASSEMBLY, DOC_CONVERSION):
        problems.add("Unknown document type %(type)s", type=doc.kind)
    if doc.share_rule not in SHARE_RULES:
        problems.add("Unknown cost sharing rule %(rule)s", rule=doc.share_rule)
    for wid in {doc.warehouse_id, doc.dest_warehouse_id} - {None}:
        wh = session.get(Warehouse, wid)
        if wh is None or not wh.active:
            problems.add("Choose an active warehouse", field="warehouse")
    if doc.item_id is None or session.get(Item, doc.item_id) is None:
        problems.add("Choose an item", field="item")
    if doc.qty is None or doc.qty <= 0:
        problems.add("Quantity must be positive", field="qty")
    if not doc.lines:
        problems.add("The document has no lines")
    if doc.kind == DOC_CONVERSION and len(doc.lines) != 1:
        problems.add("A conversion turns one item into exactly one other item")
    for ln in doc.lines:
        if ln.item_id is None:
            problems.add("Choose an item", line=ln.line_no)
        elif ln.item_id == doc.item_id:
            problems.add("An item cannot be turned into itself", line=ln.line_no)
        if ln.qty is None or ln.qty <= 0:
            problems.add("Quantity must be positive", line=ln.line_no)
    problems.raise_if_any()


def create_transformation(session: Session, data: TransformInput) -> Transformation:
    """Create a validated draft; a disassembly without lines takes the item's BOM components."""
    with unit_of_work(session):
        problems = Collector()
        qty, err = parse_quantity(data.qty)
        if err or qty is None or qty <= 0:
            problems.add(err or "Quantity must be positive", field="qty", value=data.qty, places=6)
            problems.raise_if_any()
        on = data.doc_date or date.today()
        lines = _parse_lines(data.lines, problems)
        if not lines and data.kind == DOC_DISASSEMBLY and data.item_id:
            lines = _lines_from_bom(session, data.item_id, qty, on)
        doc = Transformation(kind=data.kind, warehouse_id=data.warehouse_id, dest_warehouse_id=data.dest_warehouse_id,
                             item_id=data.item_id, qty=qty, share_rule=data.share_rule, doc_date=on, note=data.note,
                             state="draft", lines=lines)
        validate(session, doc, problems)
        session.add(doc)
        session.flush()
        return doc


def _weights(session: Session, doc: Transformation, problems: Collector) -> list[Decimal]:
    """The share of each line under the document's rule; missing data is a problem, not a zero."""
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_({ln.item_id for ln in doc.lines})))}
    for gap in sharing_gaps(session, doc):
        problems.add(gap.msgid, line=gap.line_no, field="share_rule", item=gap.code)
    weights = []
    for ln in doc.lines:
        item = items[ln.item_id]
        if doc.share_rule == SHARE_MANUAL:
            if ln.share is None or ln.share < 0:
                problems.add("Enter the cost share of the line", line=ln.line_no, field="share")
            weights.append(ln.share or ZERO)
            continue
        per_unit = item.standard_cost if doc.share_rule == SHARE_STANDARD else item.weight
        with exact():
            weights.append((per_unit or ZERO) * ln.qty)
    if weights and all(w == 0 for w in weights) and not problems:
        problems.add("The cost cannot be shared out: every weight is zero")
    return weights


def _lock(session: Session, doc_id: int) -> Transformation:
    doc = session.scalar(select(Transformation).where(Transformation.id == doc_id).with_for_update()
                         .options(selectinload(Transformation.lines)).execution_options(populate_existing=True))
    if doc is None:
        raise DomainError("Document not found")
    return doc


def post_transformation(session: Session, doc_id: int) -> Transformation:
    """Issue the item, receive the outputs with the issued cost shared out; all or nothing."""
    with unit_of_work(session):
        doc = _lock(session, doc_id)
        check(TRANSFORMATION, doc, "post")
        if not doc.lines and doc.kind == DOC_DISASSEMBLY and doc.item_id and doc.qty:
            doc.lines = _lines_from_bom(session, doc.item_id, doc.qty, doc.doc_date)
            session.flush()
        validate(session, doc)
        problems = Collector()
        weights = _weights(session, doc, problems)
        problems.raise_if_any()
        number = next_number(session, doc.kind, doc.doc_date, PRODUCTION_PREFIXES[doc.kind])
        ref = DocRef(doc.kind, doc.id, number, doc.doc_date)
        out = MoveRequest(doc.item_id, doc.warehouse_id, -doc.qty, kind=move_kinds.transformation_out(doc.kind))
        dest = doc.dest_warehouse_id or doc.warehouse_id
        arriving = move_kinds.transformation_in(doc.kind)
        ins = [MoveRequest(ln.item_id, dest, ln.qty, kind=arriving, line_no=ln.line_no, doc_line_id=ln.id)
               for ln in doc.lines]

        def share(issued: list[Decimal]) -> list[Decimal]:
            """The cost that left, shared out over the output lines (one posting: see post_moves)."""
            doc.consumed_value = -sum(issued, ZERO)
            return dbom.share_out(doc.consumed_value, weights) if doc.consumed_value else [ZERO] * len(doc.lines)

        post_moves(session, ref, [out, *ins], price_inbound=share)
        for ln, req in zip(doc.lines, ins, strict=True):
            ln.value = req.value
        doc.number = number
        transition(session, TRANSFORMATION, doc, "post")
        session.flush()
        return doc


def cancel_transformation(session: Session, doc_id: int, on_date: date | None = None) -> Transformation:
    """Reverse a posted transformation (refused if its outputs were already used)."""
    with unit_of_work(session):
        doc = _lock(session, doc_id)
        check(TRANSFORMATION, doc, "cancel")
        on_date = on_date or date.today()
        if on_date < doc.doc_date:
            raise DomainError("The cancellation date cannot be before the document date")
        reverse_moves(session, DocRef(doc.kind, doc.id, doc.number, doc.doc_date),
                      DocRef(doc.kind, doc.id, doc.number, on_date))
        transition(session, TRANSFORMATION, doc, "cancel")
        session.flush()
        return doc


def disassemble(session: Session, warehouse_id: int, item_id: int, qty: object, share_rule: str = SHARE_STANDARD,
                lines: list[OutputLine] | None = None, on_date: date | None = None) -> Transformation:
    """Create and post a disassembly in one go."""
    doc = create_transformation(session, TransformInput(DOC_DISASSEMBLY, warehouse_id, item_id, qty, share_rule,
                                                        lines or [], doc_date=on_date))
    return post_transformation(session, doc.id)


def convert(session: Session, warehouse_id: int, item_id: int, qty: object, to_item_id: int, to_qty: object,
            on_date: date | None = None, dest_warehouse_id: int | None = None) -> Transformation:
    """Turn `qty` of one item into `to_qty` of another, the whole cost carried over."""
    doc = create_transformation(session, TransformInput(DOC_CONVERSION, warehouse_id, item_id, qty, SHARE_MANUAL,
                                                        [OutputLine(to_item_id, to_qty, "1")], doc_date=on_date,
                                                        dest_warehouse_id=dest_warehouse_id))
    return post_transformation(session, doc.id)
