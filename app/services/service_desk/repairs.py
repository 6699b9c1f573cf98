"""Warranty and paid repairs: parts issued from stock through the warehouse services, their FIFO cost kept.

A repair is one use case: the request is locked and checked (it must be in work), an issue document of the
parts is created and posted (FIFO: the oldest lots, never below zero; a part that another user shipped a
moment earlier is refused by the ledger, naming it), its cost is read back from the posted lines and kept on
the request. Under warranty the client pays nothing; otherwise the parts at their sale price plus the
labour, on a sales invoice issued in the repair's transaction (app/services/sales/invoices.py). Replaced
parts can come back as a receipt at zero value into a "defective" warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.domain.documents import SERVICE_REQUEST
from app.domain.errors import Collector, DomainError
from app.domain.money import ZERO, parse_money, parse_quantity, round_amount, round_money
from app.domain.workflow import _l
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.service import ServiceRepair, ServiceRequest
from app.models.stock import DOC_ISSUE, DOC_RECEIPT, StockDocumentLine, Warehouse
from app.services.base import current_actor, unit_of_work
from app.services.locking import lock_row
from app.services.sales.invoices import ChargeLine, create_charge_invoice
from app.services.service_desk.requests import MSG_NO_REQUEST
from app.services.stock.documents import DocumentInput, LineInput, create_document, post_document
from app.services.workflow import transition

MSG_PARTS = _l("List the parts the repair uses")
MSG_WAREHOUSE = _l("Choose the warehouse the parts come from")
MSG_LABOUR = _l("The labour cost is not an amount: %(value)s")
REASON = _l("Repair under service request %(number)s")
DEFECTIVE_REASON = _l("Defective parts replaced under service request %(number)s")
LABOUR_LINE = _l("Repair work under service request %(number)s")


@dataclass
class RepairInput:
    warehouse_id: int | None
    parts: list[tuple[int, object]] = field(default_factory=list)  # (item id, quantity)
    labour: object = "0"
    defective_warehouse_id: int | None = None  # where replaced parts come back as defective, if they do
    note: str = ""
    doc_date: date | None = None  # the day of the repair (today unless entered afterwards)


def _client_text(req: ServiceRequest, msgid: str) -> str:
    """A text the repair writes on its documents, in the client's language (its printed forms' and mail's),
    whoever clicks: the documents are the client's, and read the same whatever the engineer's language."""
    from flask_babel import force_locale, gettext

    with force_locale(req.partner.language or "ru"):
        return gettext(msgid, number=req.number)[:300]


@cache
def _note_patterns(msgid: str) -> tuple[re.Pattern, ...]:
    """The note `msgid` as written in each language, its request number captured."""
    from flask_babel import force_locale, gettext

    out = []
    for lang in ("en", "ru", "es"):
        with force_locale(lang):
            text = gettext(msgid)
        out.append(re.compile(re.escape(text).replace(re.escape("%(number)s"), r"(?P<number>\S+)")))
    return tuple(out)


def shown_reason(text: str | None) -> str:
    """A note the repair wrote on its documents (in the client's language) in the reader's: the same note with
    the request's number read back; any other text as it is."""
    from flask_babel import gettext

    for msgid in (REASON, DEFECTIVE_REASON):
        for pattern in _note_patterns(msgid):
            found = pattern.fullmatch(text or "")
            if found:
                return gettext(msgid, number=found["number"])
    return text or ""


def _labour(data: RepairInput, errors: Collector) -> Decimal:
    if data.labour in (None, ""):
        return ZERO
    value, err = parse_money(data.labour)
    if err or value is None or value < 0:
        errors.add(MSG_LABOUR, field="labour", value=data.labour)
        return ZERO
    return value


def repair(session: Session, request_id: int, data: RepairInput) -> ServiceRepair:
    """Issue the parts for a request in work, keep their FIFO cost, charge the client unless under warranty."""

    errors = Collector()
    if not data.parts:
        errors.add(MSG_PARTS, field="parts")
    if data.warehouse_id is None:
        errors.add(MSG_WAREHOUSE, field="warehouse_id")
    labour = _labour(data, errors)
    errors.raise_if_any()
    with unit_of_work(session):
        req = lock_row(session, ServiceRequest, request_id)
        if req is None:
            raise DomainError(MSG_NO_REQUEST)
        transition(session, SERVICE_REQUEST, req, "repair")  # only in work; the state stays
        lines = [LineInput(item_id=item_id, qty=qty) for item_id, qty in data.parts]
        issue = create_document(session, DocumentInput(
            doc_type=DOC_ISSUE, warehouse_id=data.warehouse_id, doc_date=data.doc_date, partner_id=req.partner_id,
            lines=lines,
            reason=_client_text(req, REASON), note=data.note, source_ref=req.number))
        post_document(session, issue.id, confirm_backdated=data.doc_date is not None)
        cost = round_money(session.scalar(select(func.coalesce(func.sum(StockDocumentLine.value), 0))
                                          .where(StockDocumentLine.document_id == issue.id)) or ZERO)
        charges = [] if req.warranty else _charges(session, req, data.parts, labour)
        chargeable = round_amount(sum((ln.qty * ln.price for ln in charges), ZERO))
        invoice = create_charge_invoice(session, req.partner_id, charges, invoice_date=data.doc_date,
                                        note=req.number) if chargeable > 0 else None
        defective = _defective_receipt(session, req, data) if data.defective_warehouse_id else None
        done_at = utcnow() if data.doc_date is None else datetime.combine(data.doc_date, utcnow().time())
        row = ServiceRepair(request_id=req.id, issue_id=issue.id, defective_id=defective, item_id=req.item_id,
                            done_at=done_at.replace(microsecond=0),
                            done_by=current_actor().username[:100], warranty=req.warranty, cost=cost, labour=labour,
                            chargeable=chargeable, invoice_id=invoice.id if invoice else None)
        session.add(row)
        req.repair_cost = (req.repair_cost or ZERO) + cost
        req.chargeable = (req.chargeable or ZERO) + chargeable
        session.flush()
    return row


def _charges(session: Session, req: ServiceRequest, parts: list[tuple[int, object]], labour: Decimal,
             ) -> list[ChargeLine]:
    """What the client pays for a repair out of warranty: each part at its sale price (a part without one is
    charged nothing) and the labour, as the lines of the repair's invoice."""
    lines = []
    for item_id, qty in parts:
        item = session.get(Item, item_id)
        value = parse_quantity(qty)[0]  # posted already: the issue has read it
        if item is not None and item.sale_price and value:
            lines.append(ChargeLine(item.label(req.partner.language), value, item.sale_price, item.id))
    if labour > 0:
        lines.append(ChargeLine(_client_text(req, LABOUR_LINE), Decimal(1), labour))
    return lines


def _defective_receipt(session: Session, req: ServiceRequest, data: RepairInput) -> int:
    """The replaced parts back in stock as defective: a receipt at zero value (they are worth nothing now)."""

    lines = [LineInput(item_id=item_id, qty=qty, unit_cost="0") for item_id, qty in data.parts]
    receipt = create_document(session, DocumentInput(
        doc_type=DOC_RECEIPT, warehouse_id=data.defective_warehouse_id, doc_date=data.doc_date,
        partner_id=req.partner_id, lines=lines,
        reason=_client_text(req, DEFECTIVE_REASON), source_ref=req.number))
    post_document(session, receipt.id, confirm_backdated=data.doc_date is not None)
    return receipt.id


def defective_warehouse(session: Session) -> Warehouse | None:
    """The warehouse replaced parts go to: the one coded DEFECT, if it is set up."""
    return session.scalar(select(Warehouse).where(Warehouse.code == "DEFECT"))


@dataclass(frozen=True)
class RepairStats:
    item_id: int | None
    item: str
    repairs: int
    warranty: int
    cost: Decimal
    chargeable: Decimal


def repairs_by_product(session: Session) -> list[RepairStats]:
    """Repair count and cost per product (warranty repairs apart): one grouped query."""
    rows = session.execute(
        select(ServiceRepair.item_id, func.count(ServiceRepair.id),
               func.sum(case((ServiceRepair.warranty.is_(True), 1), else_=0)), func.sum(ServiceRepair.cost),
               func.sum(ServiceRepair.chargeable))
        .group_by(ServiceRepair.item_id)).all()
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_([r[0] for r in rows if r[0]])))}
    out = [RepairStats(item_id, items[item_id].label() if item_id in items else "—", count, int(warranty or 0),
                       Decimal(cost or 0), Decimal(charge or 0))
           for item_id, count, warranty, cost, charge in rows]
    return sorted(out, key=lambda s: (-s.cost, s.item))
