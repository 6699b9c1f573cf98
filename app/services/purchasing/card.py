"""The purchasing sections of the client card: a supplier's offers, purchase requests and orders.

Each section is one LIMITed query that also counts, so a supplier with thousands of documents costs
the same as one with three. CardSection comes from app.services.partner_card, imported inside the
function: the card module imports providers lazily too, so neither depends on the other at import.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models.purchasing import PurchaseOrder, PurchaseRequest, SupplierOffer
from app.services.partner_card import limited_rows, url_or_none


def card_sections(session: Session, partner_id: int, limit: int = 20) -> list:
    """Offers, requests and orders of the partner as a supplier; no sections when it has none."""
    from app.services.partner_card import CardSection

    sections = []
    offers, offers_total = limited_rows(session, select(SupplierOffer).where(SupplierOffer.supplier_id == partner_id)
                                        .options(joinedload(SupplierOffer.item), joinedload(SupplierOffer.currency))
                                        .order_by(SupplierOffer.valid_from.desc(), SupplierOffer.id.desc()), limit)
    if offers:
        sections.append(CardSection(
            key="supplier_offers", title=_l("Supplier offers"),
            columns=[("item", _l("Item")), ("price", _l("Price")), ("currency", _l("Currency")),
                     ("valid_from", _l("Valid from")), ("valid_to", _l("Valid to")),
                     ("lead_time", _l("Lead time, days"))],
            rows=[{"item": str(o.item), "price": o.price, "currency": o.currency.code, "valid_from": o.valid_from,
                   "valid_to": o.valid_to, "lead_time": o.lead_time_days,
                   "url": url_or_none("SupplierOfferView.show", pk=o.id)} for o in offers],
            total=offers_total,
            more_url=url_or_none("SupplierOfferView.list", _flt_0_supplier=partner_id)))
    from app.domain.documents import PURCHASE_ORDER, PURCHASE_REQUEST
    from app.services.workflow import lazy_state_labels

    order_labels, request_labels = lazy_state_labels(PURCHASE_ORDER), lazy_state_labels(PURCHASE_REQUEST)

    requests, requests_total = limited_rows(session, select(PurchaseRequest).where(
        PurchaseRequest.supplier_id == partner_id).order_by(PurchaseRequest.id.desc()), limit)
    if requests:
        sections.append(CardSection(
            key="purchase_requests", title=_l("Purchase requests"),
            columns=[("number", _l("Number")), ("date", _l("Date")), ("state", _l("State")),
                     ("total", _l("Total, base currency"))],
            rows=[{"number": r.number, "date": r.request_date, "state": request_labels.get(r.state, r.state),
                   "total": r.total_base,
                   "url": url_or_none("PurchaseRequestView.show", pk=r.id)} for r in requests],
            total=requests_total,
            more_url=url_or_none("PurchaseRequestView.list", _flt_0_supplier=partner_id)))
    orders, orders_total = limited_rows(session, select(PurchaseOrder).where(PurchaseOrder.supplier_id == partner_id)
                                        .options(joinedload(PurchaseOrder.currency))
                                        .order_by(PurchaseOrder.id.desc()), limit)
    if orders:
        sections.append(CardSection(
            key="purchase_orders", title=_l("Purchase orders"),
            columns=[("number", _l("Number")), ("date", _l("Date")), ("state", _l("State")),
                     ("total", _l("Total")), ("currency", _l("Currency"))],
            rows=[{"number": o.number, "date": o.order_date, "state": order_labels.get(o.state, o.state),
                   "total": o.total,
                   "currency": o.currency.code, "url": url_or_none("PurchaseOrderView.show", pk=o.id)} for o in orders],
            total=orders_total,
            more_url=url_or_none("PurchaseOrderView.list", _flt_0_supplier=partner_id)))
    return sections
