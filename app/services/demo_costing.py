"""Demo data of correcting the past: the carrier's freight invoice for the processors' receipt.

The receipt of processors and motherboards from ChipSnab (25 days ago) arrives with its freight
invoice today: 1,240.00 allocated by weight over its lines, posted as a cost correction. Its
preview and the impact rows show the lots still in stock re-valued and the brains, robots and the
Robokids shipment made of those processors re-costed; the current month stays open.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.stock import StockDocument, StockDocumentLine
from app.services.costing.corrections import CorrectionInput, create_correction, post_correction

FREIGHT = "1240.00"
INVOICE = "ДЛ-4471"


def _processors_receipt() -> StockDocument | None:
    """The latest posted receipt with processors on it (the demo's second delivery from ChipSnab)."""
    cpu = db.session.scalar(select(Item.id).where(Item.code == "CPU-A1"))
    return db.session.scalar(select(StockDocument).join(StockDocumentLine).where(
        StockDocument.doc_type == "receipt", StockDocument.state == "posted", StockDocumentLine.item_id == cpu,
        StockDocument.doc_date <= date.today() - timedelta(days=20)).order_by(StockDocument.doc_date.desc()).limit(1))


def load() -> None:
    receipt = _processors_receipt()
    if receipt is None:
        return
    carrier = db.session.scalar(select(Partner.id).where(Partner.is_carrier.is_(True)).order_by(Partner.id).limit(1))
    corr = create_correction(db.session, CorrectionInput([receipt.id], FREIGHT, "weight", "landed", date.today(),
                                                         partner_id=carrier, description=INVOICE))
    post_correction(db.session, corr.id)
