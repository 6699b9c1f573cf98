"""A complaint opened from a service request: the request's client, product, words and lot carried over.

Service hears about a defect first; quality traces it. Opening the complaint from the request saves
retyping and keeps the two telling the same story: the client, the product, the subject as title, the
description (headed by the request's number, so the complaint says where it came from in any
language), one defective unit, and the product lot when the request's serial / lot number names one
of the product's lots. The complaint is then checked, numbered and linked to the ledger by the quality
service (`prepare_complaint`), in the same transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.quality import Complaint
from app.models.service import ServiceRequest
from app.models.stock import StockLot
from app.services.base import unit_of_work
from app.services.quality.complaints import prepare_complaint
from app.services.service_desk.requests import MSG_NO_REQUEST


def _lot_of(session: Session, req: ServiceRequest) -> int | None:
    """The product's lot the request's serial / lot number names, if it names exactly one."""
    if not req.item_id or not (req.serial_no or "").strip():
        return None
    lots = session.scalars(select(StockLot.id).where(StockLot.item_id == req.item_id,
                                                     StockLot.code == req.serial_no.strip()).limit(2)).all()
    return lots[0] if len(lots) == 1 else None


def open_complaint(session: Session, request_id: int, on: date | None = None) -> Complaint:
    """A new complaint filled from the request (see the module's docstring); the request is left as it is."""
    with unit_of_work(session):
        req = session.get(ServiceRequest, request_id)
        if req is None:
            raise DomainError(MSG_NO_REQUEST)
        text = "\n\n".join(part for part in (req.number, (req.description or "").strip()) if part)
        complaint = Complaint(title=req.subject[:300], description=text, partner_id=req.partner_id,
                              item_id=req.item_id, lot_id=_lot_of(session, req), qty=1,
                              complaint_date=on or date.today(), state="open")
        prepare_complaint(session, complaint)
        session.add(complaint)
        session.flush()
    return complaint
