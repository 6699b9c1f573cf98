"""The recall list of a component lot as a file (XLSX, PDF), as e-mails to the clients, as service requests.

Everything starts from trace_forward (app/services/quality/trace.py): one row per client, item and
shipment of suspect goods. Money columns (sales amount, margin) are put in only for readers allowed
to see them (`with_money`); the service desk and the clients never get them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.stock import StockLot
from app.services.base import unit_of_work
from app.services.export import to_xlsx
from app.services.quality.trace import Trace, trace_forward


def lot_title(session: Session, lot_id: int) -> str:
    lot = session.get(StockLot, lot_id)
    if lot is None:
        return f"#{lot_id}"
    code = lot.code or f"#{lot.id}"
    return f"{lot.item} — {code}" + (f" ({lot.doc_number})" if lot.doc_number and lot.doc_number != code else "")


def recall_rows(trace: Trace, with_money: bool, _=gettext) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the recall list: every shipment of suspect goods, client by client."""
    headers = [_("Client"), _("E-mail"), _("Shipment"), _("Date"), _("Item"), _("Lot"), _("Quantity")]
    if with_money:
        headers += [_("Sales amount"), _("Margin")]
    rows = []
    for d in sorted(trace.shipments, key=lambda d: (d.partner_name, d.doc_number, d.item_label)):
        row = [d.partner_name, d.partner_email, d.doc_number, d.doc_date, d.item_label, d.lot_code or f"#{d.lot_id}",
               d.qty]
        rows.append(row + ([d.amount, d.margin] if with_money else []))
    return headers, rows


def lot_rows(trace: Trace, _=gettext) -> tuple[list[str], list[list[Any]]]:
    headers = [_("Level"), _("Item"), _("Lot"), _("Document"), _("Production order"), _("Quantity"),
               _("Taken from the lot above"), _("Still in stock")]
    rows = [[n.level, n.item_label, n.code or f"#{n.lot_id}", n.doc_number, n.production_order, n.qty, n.parent_qty,
             n.qty_remaining] for n in trace.lots]
    return headers, rows


def recall_xlsx(session: Session, lot_id: int, with_money: bool) -> tuple[bytes, str]:
    trace = trace_forward(session, lot_id)
    headers, rows = recall_rows(trace, with_money)
    lot_headers, lots = lot_rows(trace)
    data = to_xlsx(headers, [*rows, [], lot_headers, *lots], title=gettext("Recall list"))
    return data, f"recall-lot-{lot_id}.xlsx"


def recall_pdf(session: Session, lot_id: int, with_money: bool, lang: str | None = None) -> tuple[bytes, str]:
    """The printed recall list, in the language asked for (else the user's): names of items too."""
    from flask_babel import force_locale

    from app.printing import render_pdf
    from app.services.company import form_context, print_locale, printed_by

    locale, translations = print_locale(lang)
    with force_locale(locale):
        trace = trace_forward(session, lot_id)
        title = lot_title(session, lot_id)
    context = form_context(session, locale, translations.gettext, user=printed_by()) | {
        "lot": title, "trace": trace, "clients": trace.by_client(), "on_date": date.today(),
        "with_money": with_money,
        "shipments": sorted(trace.shipments, key=lambda d: (d.partner_name, d.doc_number, d.item_label))}
    return render_pdf("quality_recall.html", context, locale, translations), f"recall-lot-{lot_id}.pdf"


@dataclass
class MailingResult:
    sent: int
    skipped: list[str]  # clients without an e-mail address


def mail_recall(session: Session, lot_id: int, subject: str = "", note: str = "") -> MailingResult:
    """One e-mail per client of the recall list, through the outbox, in the client's language (its printed forms'
    and mail language), naming the goods and shipments to check; never prices."""
    from app.services.mail import send_mail

    groups = trace_forward(session, lot_id).by_client()
    if not groups:
        raise DomainError("Nothing of lot %(lot)s reached a client", lot=lot_id)
    per_client: dict[int, list[dict]] = {}
    for g in groups:
        per_client.setdefault(g["partner_id"], []).append(g)
    sent, skipped = 0, []
    with unit_of_work(session):
        for partner_id, goods in per_client.items():
            partner = session.get(Partner, partner_id)
            if not partner.email:
                skipped.append(partner.name)
                continue
            title, body = _letter(session, partner, goods, subject, note)
            send_mail(session, to=partner.email, subject=title, body=body, entity="recall", entity_id=lot_id,
                      partner_id=partner_id)
            sent += 1
    return MailingResult(sent, skipped)


def _letter(session: Session, partner: Partner, goods: list[dict], subject: str, note: str) -> tuple[str, str]:
    """(subject, body) of one client's recall letter, in the client's language."""
    from flask_babel import force_locale

    lang = partner.language or "ru"
    with force_locale(lang):
        lines = []
        for g in goods:
            item = session.get(Item, g["item_id"])
            name = item.code + " " + item.label(lang)
            lines.append(gettext("%(item)s: %(qty)s (shipments %(shipments)s)", item=name,
                                 qty=format(g["qty"].normalize(), "f"), shipments=", ".join(g["shipments"])))
        text = [gettext("Dear %(client)s,", client=partner.name), "",
                gettext("A component used in these goods may be defective:"), "", *lines, "", note.strip()]
        title = subject.strip() or gettext("Product recall: please check the goods listed")
        return title, "\n".join(text).strip() + "\n"


def open_service_requests(session: Session, lot_id: int) -> list[int]:
    """A service request per client and item of the recall list (the service desk works the recall)."""
    try:
        from app.services.service_desk.requests import RequestInput, create_request
    except ImportError as exc:  # the service desk is another context; refuse in words if it is absent
        raise DomainError("The service desk is not available") from exc
    trace = trace_forward(session, lot_id)
    groups = trace.by_client()
    if not groups:
        raise DomainError("Nothing of lot %(lot)s reached a client", lot=lot_id)
    made = []
    with unit_of_work(session):
        lot = lot_title(session, lot_id)
        for g in groups:
            if session.get(Partner, g["partner_id"]) is None:
                continue
            subject = gettext("Recall: %(item)s", item=g["item"])[:200]
            qty = format(g["qty"].normalize(), "f")
            text = gettext("Suspect component lot %(lot)s; shipments %(shipments)s; quantity %(qty)s",
                           lot=lot, shipments=", ".join(g["shipments"]), qty=qty)
            req = create_request(session, RequestInput(partner_id=g["partner_id"], subject=subject, description=text,
                                                       item_id=g["item_id"], priority="high"))
            made.append(req.id)
    return made
