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
    """The printed recall list, in the language asked for (else the user's)."""
    from app.printing import render_pdf
    from app.services.company import form_context, print_locale, printed_by

    locale, translations = print_locale(lang)
    trace = trace_forward(session, lot_id)
    _ = translations.gettext
    headers, rows = recall_rows(trace, with_money, _)
    lot_headers, lots = lot_rows(trace, _)
    context = form_context(session, locale, _, user=printed_by()) | {
        "lot": lot_title(session, lot_id), "headers": headers, "rows": rows, "lot_headers": lot_headers,
        "lots": lots, "clients": trace.by_client(), "on_date": date.today(), "with_money": with_money}
    return render_pdf("quality_recall.html", context, locale, translations), f"recall-lot-{lot_id}.pdf"


@dataclass
class MailingResult:
    sent: int
    skipped: list[str]  # clients without an e-mail address


def mail_recall(session: Session, lot_id: int, subject: str = "", note: str = "") -> MailingResult:
    """One e-mail per client of the recall list, through the outbox, naming what to return (no prices)."""
    from app.services.mail import send_mail

    trace = trace_forward(session, lot_id)
    clients = _per_client(trace)
    if not clients:
        raise DomainError("Nothing of lot %(lot)s reached a client", lot=lot_id)
    subject = subject.strip() or gettext("Product recall: please check the goods listed")
    sent, skipped = 0, []
    with unit_of_work(session):
        for partner_id, (name, email, lines) in clients.items():
            if not email:
                skipped.append(name)
                continue
            body = "\n".join([gettext("Dear %(client)s,", client=name), "",
                              gettext("A component used in these goods may be defective:"), "", *lines, "",
                              note.strip()]).strip() + "\n"
            send_mail(session, to=email, subject=subject, body=body, entity="recall", entity_id=lot_id,
                      partner_id=partner_id)
            sent += 1
    return MailingResult(sent, skipped)


def _per_client(trace: Trace) -> dict[int, tuple[str, str, list[str]]]:
    out: dict[int, tuple[str, str, list[str]]] = {}
    for g in trace.by_client():
        name, email, lines = out.setdefault(g["partner_id"], (g["partner"], g["email"], []))
        qty = format(g["qty"].normalize(), "f")
        lines.append(gettext("%(item)s: %(qty)s (shipments %(shipments)s)", item=g["item"], qty=qty,
                             shipments=", ".join(g["shipments"])))
    return out


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
