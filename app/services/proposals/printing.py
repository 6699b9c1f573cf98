"""The proposal's two printed forms and its e-mail to the client.

INTERNAL (proposal_internal.html): the full composition with costs, margins, per group and in total.
CUSTOMER (proposal_customer.html): the composition with characteristics, marketing text, images,
prices and the payment schedule, and no cost figure at all: the customer context is built without
any cost key, so the template could not print one even by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.domain import pricing as dp
from app.domain.errors import DomainError, plain_number
from app.models.proposals import ProductModel, ProductOption, Proposal
from app.printing import render_pdf
from app.services.company import form_context, print_locale, printed_by, safe_filename
from app.services.proposals.workflow import get
from app.services.stock.printing import words
from app.services.stock.reports import language

Gettext = Callable[[str], str]
MSG_NO_EMAIL = "The client has no e-mail address: give one"
MESSAGES = (MSG_NO_EMAIL,)


def characteristics(text: str) -> list[tuple[str, str]]:
    """"key: value" lines (or a JSON object) as pairs; a line without a colon is a value alone."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("{"):
        import json

        try:
            return [(str(k), str(v)) for k, v in json.loads(text).items()]
        except (ValueError, AttributeError):
            pass
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        out.append((key.strip(), value.strip()) if sep else ("", line.strip()))
    return [p for p in out if p[0] or p[1]]


def _label(obj: Any, locale: str) -> str:
    return (getattr(obj, f"name_{locale}", "") or obj.name) if obj is not None else ""


def _head(session: Session, p: Proposal, locale: str, gettext: Gettext | None, user: str) -> dict[str, Any]:
    model = session.get(ProductModel, p.model_id) if p.model_id else None
    return form_context(session, locale, gettext, user) | {
        "doc": {"number": p.label, "date": p.proposal_date, "valid_until": p.valid_until, "state": p.state,
                "partner": p.partner.legal_name or p.partner.name, "contact": p.contact.name if p.contact else "",
                "currency": p.currency.code, "qty": p.qty, "note": p.note,
                "model": _label(model, locale), "model_description": model.description if model else "",
                "marketing_text": model.marketing_text if model else "",
                "image": model.image if model and (model.image or "").startswith("data:image/") else None},
    }


def _schedule(p: Proposal) -> list[dict]:
    insts = [dp.Instalment(i.seq, i.pct, i.event, i.due_date, i.days) for i in p.instalments]
    amounts = dp.schedule_amounts(p.grand_total, insts)
    return [{"seq": i.seq, "pct": plain_number(i.pct), "event": i.event, "due_date": i.due_date, "days": i.days,
             "note": src.note, "amount": amt} for i, src, amt in zip(insts, p.instalments, amounts, strict=True)]


def _group_in(line: Any, options: dict[int, ProductOption], locale: str, gettext: Gettext | None) -> str:
    """The option group's name in the client's language; the saved label when the line has no option."""
    option = options.get(line.option_id)
    if option is not None and option.group is not None:
        return option.group.label(locale)
    if line.kind == "base" and gettext is not None:
        return gettext("Base configuration")
    return line.group_label


def _description_in(line: Any, options: dict[int, ProductOption], locale: str) -> str:
    """The option or item in the client's language: the saved text is in the language it was composed in."""
    option = options.get(line.option_id)
    if option is not None:
        item = option.item.label(locale) if getattr(option, "item", None) is not None else ""
        name = option.label(locale)
        return f"{name} ({item})" if item and item != name else name
    if line.item_id and getattr(line, "item", None) is not None and line.kind in ("base", "option"):
        return line.item.label(locale)
    return line.description


def customer_context(session: Session, p: Proposal, locale: str, gettext: Gettext | None = None,
                     user: str = "") -> dict[str, Any]:
    ctx = _head(session, p, locale, gettext, user)
    options = {o.id: o for o in session.query(ProductOption).filter(
        ProductOption.id.in_({ln.option_id for ln in p.lines if ln.option_id}))} if p.lines else {}
    ctx["lines"] = [{
        "no": ln.line_no, "group": _group_in(ln, options, locale, gettext),
        "description": _description_in(ln, options, locale), "qty": ln.qty,
        "characteristics": characteristics(ln.characteristics),
        "marketing_text": options[ln.option_id].marketing_text if ln.option_id in options else "",
        "image": options[ln.option_id].image if ln.option_id in options
        and (options[ln.option_id].image or "").startswith("data:image/") else None,
        "unit_price": ln.unit_price, "price": ln.price} for ln in p.lines]
    ctx["totals"] = {"price": p.price_total, "tax_pct": plain_number(p.tax_pct), "tax": p.tax_total,
                     "total": p.grand_total, "words": words(p.grand_total, p.currency.code, language(locale))}
    ctx["schedule"] = _schedule(p)
    return ctx


def internal_context(session: Session, p: Proposal, locale: str, gettext: Gettext | None = None,
                     user: str = "") -> dict[str, Any]:
    ctx = customer_context(session, p, locale, gettext, user)
    rate = p.rate
    by_no = {ln.line_no: ln for ln in p.lines}
    for row in ctx["lines"]:
        ln = by_no[row["no"]]
        row.update(unit_cost=ln.unit_cost, cost=ln.cost, margin_pct=dp.margin_of(ln.cost, ln.price * rate),
                   item=ln.item.code if ln.item else "")
    ctx["groups"] = dp.group_margins(p.lines, rate)
    ctx["totals"].update(cost=p.cost_total, margin_pct=p.margin_actual_pct, floor_pct=plain_number(p.floor_margin_pct),
                         override_by=p.floor_override_by, rate=plain_number(rate), source=p.cost_source,
                         snapshot_at=p.snapshot_at)
    return ctx


def proposal_pdf(session: Session, proposal_id: int, form: str = "customer",
                 lang: str | None = None) -> tuple[bytes, str]:
    """The customer or internal form as PDF bytes and a file name (the client's language by default)."""
    p = get(session, proposal_id)
    locale, translations = print_locale(lang or (p.partner.language if form == "customer" else None))
    build = internal_context if form == "internal" else customer_context
    context = build(session, p, locale, translations.gettext, user=printed_by())
    template = "proposal_internal.html" if form == "internal" else "proposal_customer.html"
    name = f"{'TCP-internal' if form == 'internal' else 'TCP'}-{safe_filename(p.label)}.pdf"
    return render_pdf(template, context, locale, translations), name


def email_proposal(session: Session, proposal_id: int, to: str | None = None, lang: str | None = None):
    """Send the customer form to the client (its e-mail, or `to`), recorded in the outbox."""
    from flask_babel import force_locale, gettext

    from app.domain.documents import PROPOSAL
    from app.services.mail import Attachment, send_mail
    from app.services.workflow import check

    p = get(session, proposal_id)
    check(PROPOSAL, p, "email")
    address = to or (p.contact.email if p.contact and p.contact.email else "") or p.partner.email
    if not address:
        raise DomainError(MSG_NO_EMAIL)
    pdf, name = proposal_pdf(session, proposal_id, "customer", lang)
    with force_locale(lang or p.partner.language or "en"):
        subject = gettext("Technical and commercial proposal %(number)s", number=p.label)
        body = gettext("Dear client,\n\nplease find attached our proposal %(number)s.\n\nBest regards",
                       number=p.label)
    return send_mail(session, to=address, subject=subject, body=body,
                     attachments=[Attachment(name, pdf)], entity="proposal", entity_id=p.id,
                     partner_id=p.partner_id)

