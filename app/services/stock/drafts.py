"""Validation of stock drafts edited on pages, by the same checks `create_document` applies to the API's.

A page saves a document's header first and adds its lines one at a time (FAB's CRUD), while the API
sends the whole draft at once. Both go through the checks of app.services.stock.documents, so a page
and the API refuse the same input with the same messages: the header's checks when the header is
saved (its lines come later, so "no lines" waits for posting, which validates the whole document),
a line's checks when that line is saved.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import Collector
from app.models.stock import StockDocument, StockDocumentLine
from app.services.stock import document_rows as rows
from app.services.stock.documents import _validate_header, _validate_line
from app.services.stock.returns import check_shipment, lines_to_return

_LINES_FOLLOW = (None,)  # a header alone: its lines are added (and checked) one by one afterwards


def validate_header(session: Session, doc: StockDocument) -> None:
    """Raise one DomainError with every problem of a draft's header, as create_document would."""
    _sync_ids(doc)
    problems = Collector()
    warehouses = rows.warehouse_infos(session, {doc.warehouse_id, doc.dest_warehouse_id})
    _validate_header(doc, list(_LINES_FOLLOW), problems, warehouses)
    check_shipment(session, doc, problems)
    problems.raise_if_any()


def fill_from_shipment(session: Session, doc: StockDocument) -> None:
    """A new return of a shipment: its client, and as lines what can still come back (at the cost that left)."""
    from app.models.sales import Shipment

    shipment = doc.shipment or (session.get(Shipment, doc.shipment_id) if doc.shipment_id else None)
    if shipment is None or doc.lines:
        return
    if doc.partner is None and doc.partner_id is None:
        doc.partner = shipment.partner
    doc.lines = [StockDocumentLine(line_no=n, item_id=ln.item_id, qty=ln.qty, unit_cost=ln.unit_cost)
                 for n, ln in enumerate(lines_to_return(session, shipment.id), start=1)]


def validate_line(session: Session, line: StockDocumentLine) -> None:
    """Raise one DomainError with every problem of one line of a draft, as create_document would."""
    _sync_ids(line)
    problems = Collector()
    with session.no_autoflush:
        _validate_line(session, line.document, line, problems, {}, line.item, {})
    problems.raise_if_any()


def _sync_ids(row) -> None:
    """A form sets relationships, not their ids (those come at flush): the checks read the ids."""
    for rel in ("warehouse", "dest_warehouse", "item", "unit", "document", "partner", "shipment"):
        target = getattr(row, rel, None) if hasattr(type(row), rel) else None
        if target is not None and getattr(row, f"{rel}_id", None) is None:
            setattr(row, f"{rel}_id", target.id)
