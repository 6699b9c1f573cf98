"""Sending requests and orders to suppliers: XLSX / CSV exports, the PDF form, and e-mail.

Exports go through app.services.export (formula-injection safe); the PDF is rendered by
app.printing from purchasing_document.html in the supplier's language (Partner.language) unless a
language is asked for; e-mail goes through app.services.mail.send_mail, which records every
message in the outbox before sending. A request or order is marked sent only after the server
took the message: a refused send leaves it a draft, with the failed mail in the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain.errors import DomainError
from app.domain.money import ZERO, round_money
from app.models.purchasing import PurchaseOrder, PurchaseOrderLine, PurchaseRequest, PurchaseRequestLine
from app.printing import render_pdf
from app.services.company import current_company, form_context, safe_filename
from app.services.export import to_csv, to_xlsx
from app.services.stock.printing import unit_label, words

KINDS = ("request", "order")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LANGS = ("ru", "es", "en")


def _load(session: Session, kind: str, doc_id: int) -> PurchaseRequest | PurchaseOrder:
    if kind == "request":
        doc = session.scalar(select(PurchaseRequest).where(PurchaseRequest.id == doc_id).options(
            selectinload(PurchaseRequest.lines).selectinload(PurchaseRequestLine.item),
            selectinload(PurchaseRequest.lines).selectinload(PurchaseRequestLine.currency),
            selectinload(PurchaseRequest.lines).selectinload(PurchaseRequestLine.offer)))
    elif kind == "order":
        doc = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == doc_id).options(
            selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.item)))
    else:
        doc = None
    if doc is None:
        raise DomainError("Document not found")
    return doc


def _lines(doc: Any, kind: str, locale: str) -> list[dict[str, Any]]:
    lang = locale.split("_")[0]
    out = []
    for n, ln in enumerate(doc.lines, start=1):
        if kind == "request":
            currency = ln.currency.code if ln.currency else ""
            amount = round_money(ln.qty * ln.price) if ln.price is not None else None
            code = ln.offer.supplier_item_code if ln.offer else ""
            need_by = ln.need_by
        else:
            currency, amount, code, need_by = doc.currency.code, ln.amount, ln.supplier_item_code, None
        out.append({"no": n, "code": ln.item.code, "name": ln.item.label(lang), "supplier_code": code,
                    "unit": unit_label(ln.item.unit, locale), "qty": ln.qty, "price": ln.price,
                    "currency": currency, "amount": amount, "need_by": need_by})
    return out


def document_context(session: Session, kind: str, doc_id: int, locale: str, gettext=None, user: str = "",
                     printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of the printed request / order (see purchasing_document.html)."""
    doc = _load(session, kind, doc_id)
    lines = _lines(doc, kind, locale)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in lines:
        if ln["amount"] is not None and ln["currency"]:
            totals[ln["currency"]] += ln["amount"]
    single = next(iter(totals)) if len(totals) == 1 else ""
    supplier = doc.supplier
    return form_context(session, locale, gettext, user, printed_at) | {
        "doc": {"kind": kind, "number": doc.number,
                "date": doc.request_date if kind == "request" else doc.order_date,
                "state": "cancelled" if doc.state == "cancelled" else "",
                "supplier": (supplier.legal_name or supplier.name) if supplier else "",
                "warehouse": doc.warehouse.titled(locale.split("_")[0]) if doc.warehouse else "",
                "expected_date": getattr(doc, "expected_date", None), "note": doc.note},
        "lines": lines, "totals": dict(totals),
        "amount_words": words(totals[single], single, locale) if single else "",
    }


def _translations(lang: str):
    from flask_babel import force_locale, get_translations

    with force_locale(lang):
        return get_translations()


def supplier_language(session: Session, kind: str, doc_id: int) -> str:
    doc = _load(session, kind, doc_id)
    lang = (doc.supplier.language if doc.supplier else "") or "ru"
    return lang if lang in LANGS else "ru"


def pdf(session: Session, kind: str, doc_id: int, lang: str | None = None, user: str = "") -> tuple[bytes, str]:
    """The printed request / order: PDF bytes and a file name (language: asked, else the supplier's)."""
    lang = lang if lang in LANGS else supplier_language(session, kind, doc_id)
    translations = _translations(lang)
    context = document_context(session, kind, doc_id, lang, translations.gettext, user)
    name = safe_filename(context["doc"]["number"]) + ".pdf"
    return render_pdf("purchasing_document.html", context, lang, translations), name


def export(session: Session, kind: str, doc_id: int, fmt: str, gettext=None) -> tuple[bytes, str, str]:
    """The lines as XLSX or CSV for the supplier's own systems: bytes, file name, mimetype."""
    if fmt not in ("xlsx", "csv"):
        raise DomainError("Unknown export format: %(value)s", value=fmt)
    _ = gettext or (lambda s: s)
    doc = _load(session, kind, doc_id)
    rows = [[ln["no"], ln["code"], ln["supplier_code"], ln["name"], ln["unit"], _short(ln["qty"]),
             _short(ln["price"]), ln["currency"], _short(ln["amount"])] for ln in _lines(doc, kind, "en")]
    headers = [_("No."), _("Code"), _("Supplier's code"), _("Item"), _("Unit"), _("Quantity"), _("Price"),
               _("Currency"), _("Amount")]
    name = safe_filename(doc.number)
    if fmt == "csv":
        return to_csv(headers, rows), f"{name}.csv", "text/csv; charset=utf-8"
    return to_xlsx(headers, rows, title=name), f"{name}.xlsx", XLSX_MIME


def _short(value: Decimal | None) -> Decimal | None:
    """10.000000 -> 10, 18.5000 -> 18.5: numbers as a supplier's spreadsheet expects them."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def email(session: Session, kind: str, doc_id: int, lang: str | None = None, user: str = ""):
    """E-mail the PDF to the supplier and mark the draft as sent, in one use case: the mark is written
    first and the server asked last, so the document is sent exactly when the server took the mail."""
    from app.services.base import unit_of_work

    with unit_of_work(session):
        doc = _load(session, kind, doc_id)
        _check_sendable(kind, doc)
        lang = lang if lang in LANGS else supplier_language(session, kind, doc_id)
        content, filename = pdf(session, kind, doc_id, lang, user)
        subject, body = _letter(session, kind, doc.number, lang)
        supplier_id, to, entity = doc.supplier_id, doc.supplier.email, f"purchase_{kind}"
        _mark_sent(session, kind, doc_id)
        return _send(session, to, subject, body, filename, content, entity, doc_id, supplier_id)


def _check_sendable(kind: str, doc) -> None:
    from app.domain.documents import PURCHASE_ORDER, PURCHASE_REQUEST
    from app.domain.errors import Collector
    from app.services.workflow import refused

    problems = Collector()
    if doc.supplier is None:
        problems.add("Choose the supplier of the request first")
    elif not doc.supplier.email:
        problems.add("The supplier has no e-mail address")
    if not doc.lines:
        problems.add("The request has no lines")
    problems.extend(refused(PURCHASE_REQUEST if kind == "request" else PURCHASE_ORDER, doc, "send"))
    problems.raise_if_any()


def _letter(session: Session, kind: str, number: str, lang: str) -> tuple[str, str]:
    """Subject and body in the supplier's language."""
    from flask_babel import force_locale, gettext

    company = current_company(session)
    with force_locale(lang):
        title = gettext("Purchase order") if kind == "order" else gettext("Purchase request")
        subject = f"{title} {number}" + (f" — {company.name}" if company else "")
        body = gettext("Good day,\n\nplease find attached our %(document)s %(number)s.\nPlease confirm the "
                       "quantities, prices and delivery date.\n\nKind regards,\n%(company)s",
                       document=title.lower(), number=number, company=company.name if company else "")
    return subject, body


def _mark_sent(session: Session, kind: str, doc_id: int) -> None:
    from app.services.purchasing.orders import mark_order_sent
    from app.services.purchasing.requests import mark_sent

    if kind == "request":
        mark_sent(session, doc_id)
    else:
        mark_order_sent(session, doc_id)


def _send(session: Session, to: str, subject: str, body: str, filename: str, content: bytes, entity: str,
          doc_id: int, supplier_id: int | None):
    from app.services.mail import Attachment, send_mail

    return send_mail(session, to=to, subject=subject, body=body,
                     attachments=[Attachment(filename, content, "application/pdf")], entity=entity,
                     entity_id=doc_id, partner_id=supplier_id)

