"""Builders for purchasing tests: the company (base currency), suppliers, offers, rates, reorder points."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.domain import move_kinds
from app.extensions import db
from app.models.core import Company, CurrencyRate
from app.models.partners import Partner
from app.models.purchasing import ReorderPoint, SupplierOffer
from tests import factories as f

D = Decimal
TODAY = date.today()


def company(base: str = "RUB", **smtp) -> Company:
    row = db.session.query(Company).first()
    if row is None:
        row = Company(name="РобоФабрика", base_currency=f.currency(base), email="office@robofabrika.example", **smtp)
        db.session.add(row)
    else:
        for key, value in smtp.items():
            setattr(row, key, value)
    db.session.commit()
    return row


def rate(code: str, value: str, on: date | None = None) -> CurrencyRate:
    row = CurrencyRate(currency=f.currency(code), on_date=on or TODAY - timedelta(days=30), rate=D(value))
    db.session.add(row)
    db.session.commit()
    return row


def supplier(name: str, email: str = "", language: str = "ru", active: bool = True) -> Partner:
    p = Partner(name=name, legal_name=name, kind="company", is_supplier=True, is_customer=False,
                email=email or f"{name.lower().replace(' ', '')}@supplier.example", language=language, active=active)
    db.session.add(p)
    db.session.commit()
    return p


def offer(sup: Partner, it, price: str, currency: str = "RUB", lead: int = 5, min_qty: str = "0",
          pack: str | None = None, valid_from: date | None = None, valid_to: date | None = None,
          active: bool = True, code: str = "") -> SupplierOffer:
    o = SupplierOffer(supplier_id=sup.id, item_id=it.id, price=D(price), currency_id=f.currency(currency).id,
                      lead_time_days=lead, min_qty=D(min_qty), pack_qty=D(pack) if pack else None,
                      valid_from=valid_from or TODAY - timedelta(days=60), valid_to=valid_to, active=active,
                      supplier_item_code=code)
    db.session.add(o)
    db.session.commit()
    return o


def reorder_point(it, wh, min_qty: str, max_qty: str) -> ReorderPoint:
    rp = ReorderPoint(item_id=it.id, warehouse_id=wh.id, min_qty=D(min_qty), max_qty=D(max_qty))
    db.session.add(rp)
    db.session.commit()
    return rp


def consume(it, wh, qty: str, on: date, kind: str = move_kinds.SALE, doc_id: int = 1) -> None:
    """A consumption move in the ledger (a sale by default, or a production issue, a write-off), posted
    by the stock service with the kind the posting code uses (a sale belongs to a shipment document)."""
    from app.models.sales import DOC_SHIPMENT
    from app.services.base import unit_of_work
    from app.services.stock import DocRef, MoveRequest, post_moves

    doc_type = DOC_SHIPMENT if kind == move_kinds.SALE else kind
    with unit_of_work(db.session):
        post_moves(db.session, DocRef(doc_type, doc_id, f"{doc_type}-{doc_id}", on),
                   [MoveRequest(it.id, wh.id, -D(qty), kind=kind)])


def purchase_order(sup, wh, lines: list[tuple], state: str = "sent", number: str = "PO-T-1"):
    """A purchase order written directly: lines (item, qty, price[, received])."""
    from app.models.purchasing import PurchaseOrder, PurchaseOrderLine

    po = PurchaseOrder(number=number, state=state, supplier_id=sup.id, warehouse_id=wh.id,
                       currency_id=f.currency("RUB").id,
                       lines=[PurchaseOrderLine(line_no=n, item_id=it.id, qty=D(q), price=D(p),
                                                received_qty=D(rest[0]) if rest else D(0))
                              for n, (it, q, p, *rest) in enumerate(lines, start=1)])
    db.session.add(po)
    db.session.commit()
    return po


def run(method: str, **raw):
    """Parse the parameters and generate (one method); returns the RunSummary."""
    from app.services.purchasing.methods import generate
    from app.services.purchasing.params import parse_params

    return generate(db.session, [parse_params(method, {k: v for k, v in raw.items()})])


def lines_of(item=None):
    from sqlalchemy import select

    from app.models.purchasing import PurchaseRequestLine

    stmt = select(PurchaseRequestLine).order_by(PurchaseRequestLine.id)
    if item is not None:
        stmt = stmt.where(PurchaseRequestLine.item_id == item.id)
    return list(db.session.scalars(stmt))
