"""The proposal's two printed forms and its e-mail to the client.

INTERNAL (proposal_internal.html): the full composition with costs, margins, per group and in total.
CUSTOMER (proposal_customer.html): the composition with characteristics, marketing text, images,
prices and the payment schedule, and no cost figure at all: the customer context is built without
any cost key, so the template could not print one even by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import pricing as dp
from app.domain.errors import DomainError, plain_number
from app.domain.money import ZERO, document_totals, exact, line_amounts
from app.models.base import localized
from app.models.proposals import ModelLine, ProductModel, ProductOption, Proposal
from app.printing import render_pdf
from app.services.company import form_context, print_locale, printed_by, safe_filename
from app.services.proposals.client import Conversion, conversion
from app.services.proposals.conversion import built_lines
from app.services.proposals.workflow import get
from app.services.stock.printing import words
from app.services.stock.reports import language

Gettext = Callable[[str], str]
MSG_NO_EMAIL = "The client has no e-mail address: give one"
MESSAGES = (MSG_NO_EMAIL,)
MATERIAL = "material"  # bolts, paint: what goes into the product, never a thing the client buys


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


def _head(session: Session, p: Proposal, locale: str, gettext: Gettext | None, user: str,
          currency: str) -> dict[str, Any]:
    model = session.get(ProductModel, p.model_id) if p.model_id else None
    return form_context(session, locale, gettext, user) | {
        "doc": {"number": p.label, "date": p.proposal_date, "valid_until": p.valid_until, "state": p.state,
                "partner": p.partner.legal_name or p.partner.name, "contact": p.contact.name if p.contact else "",
                "currency": currency, "qty": p.qty, "note": p.note,
                "model": _label(model, locale),
                "model_description": localized(model, "description", locale) if model else "",
                "marketing_text": localized(model, "marketing_text", locale) if model else "",
                "image": model.image if model and (model.image or "").startswith("data:image/") else None},
    }


def _schedule(p: Proposal, total: Decimal) -> list[dict]:
    insts = [dp.Instalment(i.seq, i.pct, i.event, i.due_date, i.days) for i in p.instalments]
    amounts = dp.schedule_amounts(total, insts)
    return [{"seq": i.seq, "pct": i.pct, "event": i.event, "due_date": i.due_date, "days": i.days,
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


class _Texts:
    """The texts of a proposal's lines in one language: from the option or base line they came from
    (which carry every language), else the text saved on the line (a manual or calculator line)."""

    def __init__(self, session: Session, p: Proposal, locale: str, gettext: Gettext | None) -> None:
        self.locale, self.gettext = locale, gettext
        ids = {ln.option_id for ln in p.lines if ln.option_id}
        self.options = {o.id: o for o in session.scalars(select(ProductOption).where(
            ProductOption.id.in_(sorted(ids))))} if ids else {}
        base_ids = {int(ln.line_key[1:]) for ln in p.lines if ln.line_key[:1] == "b" and ln.line_key[1:].isdigit()}
        self.base = {m.id: m for m in session.scalars(select(ModelLine).where(
            ModelLine.id.in_(sorted(base_ids))))} if base_ids else {}

    def source(self, line: Any) -> Any:
        if line.option_id in self.options:
            return self.options[line.option_id]
        key = line.line_key or ""
        return self.base.get(int(key[1:])) if key[:1] == "b" and key[1:].isdigit() else None

    def row(self, line: Any) -> dict[str, Any]:
        """Description, group, characteristics, marketing text and image of a line in the language."""
        src = self.source(line)
        chars = localized(src, "characteristics", self.locale) if src is not None else line.characteristics
        option = self.options.get(line.option_id)
        return {"no": line.line_no, "group": _group_in(line, self.options, self.locale, self.gettext),
                "description": _description_in(line, self.options, self.locale), "qty": line.qty,
                "characteristics": characteristics(chars),
                "marketing_text": localized(option, "marketing_text", self.locale) if option is not None else "",
                "image": option.image if option is not None and (option.image or "").startswith("data:image/")
                else None, "promotion": promotion_text(line, self.locale, self.gettext)}


MSG_PROMOTION = "Promotion: %(name)s, −%(pct)s%%"


def promotion_text(line: Any, locale: str, gettext: Gettext | None) -> str:
    """"Promotion: Kits for the new term, −7%" in the form's language, or "" for a line without one."""
    promo = getattr(line, "promotion", None)
    if promo is None:
        return ""
    from app.printing.formatting import percent

    params = {"name": promo.label(locale), "pct": percent(line.promotion_pct or 0, locale)}
    return (gettext(MSG_PROMOTION) if gettext else MSG_PROMOTION) % params


def _customer_lines(p: Proposal, texts: _Texts, conv: Conversion | None, product: str) -> list[dict[str, Any]]:
    """What the client buys: the configured product as one line (its components and options listed
    inside, without the materials that go into it, such as bolts and paint), then every line sold
    beside it; unit prices in the client's currency when `conv` is given."""
    built = built_lines(p)
    price = (lambda v: conv.price(v)) if conv is not None else (lambda v: v)
    out = []
    if built:
        unit = price(dp.bundle_unit_price(sum((ln.price for ln in built), ZERO), p.qty))
        parts = [texts.row(ln) | {"per_product": _per_product(ln.qty, p.qty)} for ln in built
                 if ln.item is None or ln.item.kind != MATERIAL]
        out.append({"no": 1, "group": "", "description": product, "qty": p.qty, "unit_price": unit,
                    "price": line_amounts(p.qty, unit).net, "characteristics": [], "marketing_text": "",
                    "image": None, "parts": parts, "bundle": True})
    for ln in p.lines:
        if ln in built:
            continue
        unit = price(ln.unit_price)
        out.append(texts.row(ln) | {"no": len(out) + 1, "unit_price": unit, "price": line_amounts(ln.qty, unit).net,
                                    "parts": []})
    return out


def _per_product(qty: Decimal, products: Decimal) -> Decimal:
    with exact():
        return (qty / products).normalize() if products else qty


def customer_context(session: Session, p: Proposal, locale: str, gettext: Gettext | None = None,
                     user: str = "", on: date | None = None) -> dict[str, Any]:
    """The client's form: in the client's language and currency (at the rate of `on`, today by default)."""
    conv = conversion(session, p.partner_id, p.currency_id, p.rate, on or date.today())
    currency = conv.currency.code if conv is not None else p.currency.code
    ctx = _head(session, p, locale, gettext, user, currency)
    product = ctx["doc"]["model"] or (gettext("Configured product") if gettext else "Configured product")
    ctx["lines"] = _customer_lines(p, _Texts(session, p, locale, gettext), conv, product)
    if conv is None:
        net, tax, total = p.price_total, p.tax_total, p.grand_total
    else:
        sums = document_totals(line_amounts(ln["qty"], ln["unit_price"], ZERO, p.tax_pct) for ln in ctx["lines"])
        net, tax, total = sums.net, sums.tax, sums.total
    ctx["totals"] = {"price": net, "tax_pct": p.tax_pct, "tax": tax, "total": total,
                     "words": words(total, currency, language(locale))}
    ctx["schedule"] = _schedule(p, total)
    return ctx


def internal_context(session: Session, p: Proposal, locale: str, gettext: Gettext | None = None,
                     user: str = "") -> dict[str, Any]:
    """The company's form: every line of the composition with its cost and margin, in the proposal's currency."""
    ctx = _head(session, p, locale, gettext, user, p.currency.code)
    texts = _Texts(session, p, locale, gettext)
    rate = p.rate
    ctx["lines"] = [texts.row(ln) | {
        "unit_price": ln.unit_price, "price": ln.price, "unit_cost": ln.unit_cost, "cost": ln.cost,
        "margin_pct": dp.margin_of(ln.cost, ln.price * rate), "item": ln.item.code if ln.item else ""}
        for ln in p.lines]
    ctx["groups"] = dp.group_margins(p.lines, rate)
    ctx["totals"] = {"price": p.price_total, "tax_pct": p.tax_pct, "tax": p.tax_total, "total": p.grand_total,
                     "words": words(p.grand_total, p.currency.code, language(locale)),
                     "cost": p.cost_total, "margin_pct": p.margin_actual_pct, "floor_pct": p.floor_margin_pct,
                     "override_by": p.floor_override_by, "rate": plain_number(rate), "source": p.cost_source,
                     "snapshot_at": p.snapshot_at}
    ctx["schedule"] = _schedule(p, p.grand_total)
    return ctx


def proposal_pdf(session: Session, proposal_id: int, form: str = "customer",
                 lang: str | None = None) -> tuple[bytes, str]:
    """The customer or internal form as PDF bytes and a file name (the client's language by default)."""
    p = get(session, proposal_id)
    locale, translations = print_locale(lang or (p.partner.language if form == "customer" else None))
    build = internal_context if form == "internal" else customer_context
    context = build(session, p, locale, translations.gettext, user=printed_by())
    template = "proposal_internal.html" if form == "internal" else "proposal_customer.html"
    # the number already says TCP ("TCP-2026-00002"): named once, the internal form marked as such
    name = f"{safe_filename(p.label)}{'-internal' if form == 'internal' else ''}.pdf"
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

