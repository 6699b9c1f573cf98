"""The TCP configurator: a custom page (not a CRUD form) and its JSON endpoints.

Every click on the page posts the configuration to `calc` (JSON, CSRF header) and gets back the
recalculated lines, per-group and total cost / price / margin, the rule violations and, for every
option, whether it can be chosen now and why not; app/static/js/configurator.js updates the page
in place. `save` stores it as a draft proposal through the workflow service. The view only turns
JSON into ProposalInput and Evaluation into JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import parse_pattern
from flask import jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from app.domain import pricing as dp
from app.domain.errors import DomainError, plain_number
from app.extensions import db
from app.models.core import Currency
from app.models.partners import Partner
from app.models.proposals import COST_SOURCES, PAYMENT_EVENTS, ProductModel, Proposal
from app.permissions import ACTION_READ, ACTION_WRITE, RESOURCE_PROPOSAL
from app.printing.formatting import percent
from app.services.proposals import configure, workflow
from app.services.proposals.client import client_currency_id
from app.services.proposals.labels import EVENT_LABELS, SOURCE_LABELS
from app.services.proposals.spec import load_model
from app.services.stock.reports import language
from app.views.base import locale_name
from app.views.fields import input_text
from app.views.sales.common import note_text

MAX_BODY = 256 * 1024


@lru_cache(maxsize=64)
def _pattern(places: int):
    return parse_pattern("#,##0." + "0" * places if places else "#,##0")


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _num(value: Decimal | None, places: int = 2) -> str:
    """A number in the reader's format; the pattern and locale are parsed once (a click formats ~1,500)."""
    if value is None:
        return ""
    return _pattern(places).apply(value, _locale(locale_name()))


def _qty(value: Decimal) -> str:
    places = min(max(-value.normalize().as_tuple().exponent, 0), 6)
    return _num(value, places)


def _id(raw: Any) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def input_from_json(session, body: dict) -> configure.ProposalInput:
    """The page's JSON as the service's input (unknown keys ignored, bad numbers reported by the service)."""
    extras = []
    for raw in body.get("extra_lines") or []:
        if not isinstance(raw, dict):
            continue
        if _id(raw.get("run_id")):
            extras.append(configure.extra_from_run(session, _id(raw.get("run_id"))))
        else:
            extras.append(configure.ExtraLine(str(raw.get("description") or "")[:500], raw.get("qty") or "1",
                                              raw.get("unit_cost"), _id(raw.get("item_id")),
                                              margin_pct=raw.get("margin_pct"), discount_pct=raw.get("discount_pct")))
    instalments = [configure.InstalmentInput(i.get("pct"), i.get("event") if i.get("event") in PAYMENT_EVENTS
                                             else "order", _date(i.get("due_date")), _id(i.get("days")) or 0,
                                             str(i.get("note") or "")[:200])
                   for i in body.get("instalments") or [] if isinstance(i, dict)]
    terms = {str(k): v for k, v in (body.get("line_terms") or {}).items() if isinstance(v, dict)}
    selection = body.get("selection") if isinstance(body.get("selection"), dict) else {}
    return configure.ProposalInput(
        partner_id=_id(body.get("partner_id")), model_id=_id(body.get("model_id")), qty=body.get("qty") or "1",
        selection=selection, currency_id=_id(body.get("currency_id")),
        cost_source=body.get("cost_source") or COST_SOURCES[0], margin_pct=body.get("margin_pct"),
        discount_pct=body.get("discount_pct"), tax_pct=body.get("tax_pct") or "0",
        contact_id=_id(body.get("contact_id")), deal_id=_id(body.get("deal_id")),
        valid_until=_date(body.get("valid_until")), note=str(body.get("note") or "")[:2000], line_terms=terms,
        extra_lines=extras, instalments=instalments)


def evaluation_json(ev: configure.Evaluation, whatif: configure.Evaluation | None = None) -> dict:
    """What the page draws: formatted figures, translated messages, the state of every option."""
    def pct(v: Decimal | None) -> str:
        return "" if v is None else percent(v, locale_name())

    lines = [{
        "key": ln.key, "kind": ln.kind, "group": ln.group_label, "description": ln.description, "qty": _qty(ln.qty),
        "unit_cost": _num(ln.unit_cost), "cost": _num(ln.cost), "unit_price": _num(ln.unit_price),
        "price": _num(ln.price), "margin": pct(ln.margin_pct), "below_floor": ln.below_floor, "node": ln.node,
        "labour": _num(ln.labour) if ln.labour else "",
        "own_margin": _plain(ln.own_margin), "own_discount": _plain(ln.own_discount),
        "parts": [{"label": label, "qty": _qty(q), "cost": _num(c)} for label, q, c in ln.parts],
        "promotion": ln.promotion_name, "promotion_pct": pct(ln.promotion_pct),
    } for ln in ev.lines]
    options = {}
    check = ev.check
    if ev.model is not None and check is not None:
        for opt_id in ev.model.options:
            reasons = [v.render(gettext) for v in check.blocked.get(opt_id, [])]
            options[str(opt_id)] = {"selected": check.selection.get(opt_id, 0), "blocked": bool(reasons),
                                    "reasons": reasons, "inactive": opt_id in check.inactive,
                                    "limit": check.limits.get(opt_id)}
    amounts = dp.schedule_amounts(ev.priced.total, ev.instalments)
    out = {
        "lines": lines,
        "groups": [{"label": g["label"] or gettext("Other lines"), "cost": _num(g["cost"]), "price": _num(g["price"]),
                    "margin": pct(g["margin_pct"])} for g in ev.groups()],
        "totals": {"cost": _num(ev.priced.cost), "price": _num(ev.priced.price), "tax": _num(ev.priced.tax),
                   "total": _num(ev.priced.total), "margin": pct(ev.priced.margin_pct), "floor": pct(ev.floor_pct),
                   "below_floor": ev.below_floor, "currency": ev.currency_code, "rate": plain_number(ev.rate)},
        "violations": [v.render(gettext) for v in (check.violations if check else [])],
        # figures in the messages in the reader's format (12,5, not 12.5), as on the sales pages
        "problems": [note_text(p) for p in ev.problems],
        "notes": [note_text(p) for p in ev.notes],
        "options": options,
        "schedule": [{"seq": i.seq, "amount": _num(a)} for i, a in zip(ev.instalments, amounts, strict=True)],
    }
    if whatif is not None:
        revenue = ev.priced.price * ev.rate
        out["what_if"] = {"source": str(SOURCE_LABELS.get(whatif.source, whatif.source)),
                          "cost": _num(whatif.priced.cost),
                          "margin": pct(dp.margin_of(whatif.priced.cost, revenue)),
                          "notes": [note_text(p) for p in whatif.notes]}
    return out


def _default_tax() -> str:
    """The sales tax rate orders default to (VAT 20% unless configured), so a new TCP starts with the same."""
    from app.services.sales.orders import default_tax_rate

    return input_text(default_tax_rate())


class ConfiguratorView(BaseView):
    """Pick a model, toggle options and quantities, see cost, price and margin change on every click."""

    route_base = "/proposals/configurator"
    class_permission_name = RESOURCE_PROPOSAL
    method_permission_name = {"index": ACTION_READ, "calc": ACTION_READ, "save": ACTION_WRITE,
                              "partners": ACTION_READ}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> Any:
        session = db.session
        locale = language(locale_name())
        proposal = session.get(Proposal, _id(request.args.get("proposal"))) if request.args.get("proposal") else None
        model_id = proposal.model_id if proposal else _id(request.args.get("model"))
        models = session.execute(select(ProductModel.id, ProductModel.code, ProductModel.name, ProductModel.name_ru,
                                        ProductModel.name_es).where(ProductModel.active.is_(True))
                                 .order_by(ProductModel.code)).all()
        if model_id is None and models and proposal is None:
            model_id = models[0].id
        model = None
        if model_id is not None:
            try:
                model = load_model(session, model_id, locale)
            except DomainError:
                model = None
        initial: dict[str, Any] = {"model_id": model_id, "qty": "1", "selection": {}, "cost_source": COST_SOURCES[0],
                                   "tax_pct": _default_tax(), "instalments": [], "extra_lines": [], "line_terms": {}}
        partner = None
        if proposal is not None:
            data = workflow.input_of(proposal)
            partner = proposal.partner
            initial.update(proposal_id=proposal.id, partner_id=proposal.partner_id, deal_id=proposal.deal_id,
                           contact_id=proposal.contact_id, qty=plain_number(proposal.qty),
                           selection=json.loads(proposal.selection or "{}"), currency_id=proposal.currency_id,
                           cost_source=proposal.cost_source, tax_pct=input_text(proposal.tax_pct),
                           margin_pct=_plain(proposal.margin_pct), discount_pct=_plain(proposal.discount_pct),
                           note=proposal.note, valid_until=proposal.valid_until.isoformat()
                           if proposal.valid_until else "",
                           instalments=[{"pct": input_text(i.pct), "event": i.event, "days": i.days,
                                         "due_date": i.due_date.isoformat() if i.due_date else "", "note": i.note}
                                        for i in proposal.instalments],
                           extra_lines=[{"run_id": e.calculation_run_id} if e.calculation_run_id else
                                        {"description": e.description, "qty": input_text(e.qty), "item_id": e.item_id,
                                         "unit_cost": None if e.unit_cost is None else input_text(e.unit_cost)}
                                        for e in data.extra_lines],
                           line_terms={k: {kk: _plain(vv) for kk, vv in v.items()}
                                       for k, v in data.line_terms.items()})
        elif model is not None:
            from app.domain.rules import default_selection

            initial["selection"] = {str(k): v for k, v in default_selection(model.spec).items()}
            if _id(request.args.get("partner")):
                partner = session.get(Partner, _id(request.args.get("partner")))
            deal = _deal(session, _id(request.args.get("deal")))
            if deal is not None:
                initial.update(deal_id=deal.id, contact_id=deal.contact_id)
                partner = deal.partner
        if _id(request.args.get("calc_run")):  # a calculator's "Add to proposal": its result as an extra line
            initial["extra_lines"] = [*initial["extra_lines"], {"run_id": _id(request.args.get("calc_run"))}]
        if partner is not None:
            initial["partner_id"] = partner.id
            initial["currency_id"] = initial.get("currency_id") or client_currency_id(session, partner.id)
        if not initial.get("currency_id"):
            from app.services.company import current_company

            company = current_company(session)
            initial["currency_id"] = company.base_currency_id if company else None
        currencies = session.execute(select(Currency.id, Currency.code).where(Currency.active.is_(True))
                                     .order_by(Currency.code)).all()
        return self.render_template(
            "fabrika/proposal_configurator.html", title=_l("TCP configurator"), model=model, proposal=proposal,
            models=[(m.id, f"{m.code} {getattr(m, f'name_{locale}', '') or m.name}") for m in models],
            currencies=currencies, sources=[(s, SOURCE_LABELS[s]) for s in COST_SOURCES],
            events=[(e, EVENT_LABELS[e]) for e in PAYMENT_EVENTS], partner=partner,
            initial=initial, can_save=self.appbuilder.sm.has_access("can_write", RESOURCE_PROPOSAL),
            calc_url=url_for(f"{self.endpoint}.calc"), save_url=url_for(f"{self.endpoint}.save"),
            partners_url=url_for(f"{self.endpoint}.partners"))

    def _body(self) -> dict | None:
        if (request.content_length or 0) > MAX_BODY:
            return None
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None

    def _answer(self, run: Callable[[Any, dict], Any]) -> Any:
        """The page's two JSON commands: a missing, malformed or oversized body is a 400, a refusal a 422
        with its problems in the user's language, anything else what `run(session, body)` answers."""
        body = self._body()
        if body is None:
            return jsonify({"errors": [gettext("Bad request")]}), 400
        try:
            return run(db.session, body)
        except DomainError as exc:
            return jsonify({"errors": exc.messages(gettext)}), 422

    @expose("/calc", methods=["POST"])
    @has_access_api
    def calc(self) -> Any:
        """Recalculate the configuration in the body; writes nothing."""

        def evaluate(session: Any, body: dict) -> Any:
            try:
                data = input_from_json(session, body)
                locale = language(locale_name())
                ev = configure.evaluate(session, data, locale, base_label=gettext("Base configuration"))
                alt = body.get("what_if_source")
                whatif = None
                if alt in COST_SOURCES and alt != ev.source:
                    whatif = configure.evaluate(session, data, locale, source=alt)
                promised = _promise(session, ev, locale)
            finally:
                session.rollback()  # a read: nothing to keep, no transaction left open
            return jsonify(evaluation_json(ev, whatif) | {"promise": promised})

        return self._answer(evaluate)

    @expose("/save", methods=["POST"])
    @has_access_api
    def save(self) -> Any:
        """Save the configuration as a draft proposal (new, or the draft being edited)."""

        def save(session: Any, body: dict) -> Any:
            data = input_from_json(session, body)
            proposal = workflow.save_proposal(session, data, _id(body.get("proposal_id")), language(locale_name()))
            return jsonify({"id": proposal.id, "number": proposal.label,
                            "url": url_for("ProposalView.show", pk=proposal.id)})

        return self._answer(save)

    @expose("/partners")
    @has_access_api
    def partners(self) -> Any:
        """Up to 20 active clients whose name contains the text typed (the page's client picker); with
        `id`, that one client and the currency it pays in, which a new TCP then starts in."""
        if _id(request.args.get("id")):
            partner = db.session.get(Partner, _id(request.args.get("id")))
            if partner is None:
                return jsonify([])
            return jsonify([{"id": partner.id, "name": partner.name,
                             "currency_id": client_currency_id(db.session, partner.id)}])
        text = (request.args.get("q") or "").strip()[:100]
        stmt = select(Partner.id, Partner.name).where(Partner.active.is_(True), Partner.is_customer.is_(True))
        if text:
            # the partners context keeps a normalised, lower-cased name (SQLite's lower() knows ASCII only)
            from app.services.partners import normalize_name

            norm = normalize_name(text)
            stmt = stmt.where(or_(and_(Partner.name_norm >= norm, Partner.name_norm < norm + "\uffff"),
                                  Partner.name.contains(text)))
        rows = db.session.execute(stmt.order_by(Partner.name).limit(20)).all()
        return jsonify([{"id": r.id, "name": r.name} for r in rows])


def _deal(session, deal_id: int | None):
    """The funnel's deal a proposal is made for."""
    from app.models.crm import Deal

    return None if deal_id is None else session.get(Deal, deal_id)


def _plain(value: Decimal | None) -> str:
    """A value the page puts back into an input: in the reader's format, which the parser reads back."""
    return "" if value is None else input_text(value)


def _promise(session: Any, ev: configure.Evaluation, locale: str) -> list[str]:
    """The capable-to-promise date of this configuration and why (issue 18), redrawn with every change."""
    from app.services.planning.promise import configuration_needs, promise

    needs = configuration_needs([(ln.item_id, ln.qty) for ln in ev.lines])
    if not needs:
        return []
    result = promise(session, needs, locale=locale)
    return [gettext("Can deliver by") + " " + result.date.strftime("%d.%m.%Y"), *result.text(gettext)[:-1]]
