"""The configurator's calculation: a model plus a selection becomes priced lines, totals and rule checks.

`evaluate` is what every click runs and what saving a proposal stores: the chosen options are
checked against the model's rules (app.domain.rules), turned into lines with the base
configuration and any manual or calculator lines, costed from the proposal's source
(costing.cost_demands) and priced by the pricing rules (app.domain.pricing): target margin and
discount per line, per item group or per client, the floor margin, tax and currency. Nothing is
written here; the workflow module stores what this returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import pricing as dp
from app.domain import rules as drules
from app.domain.errors import Collector, Problem
from app.domain.money import ZERO, parse_decimal, parse_money, parse_quantity
from app.models.catalog import Item
from app.models.core import Currency, CurrencyRate
from app.models.proposals import COST_SOURCES, LINE_BASE, LINE_CALCULATOR, LINE_MANUAL, LINE_OPTION, PricingRule
from app.services.company import current_company
from app.services.proposals import costing
from app.services.proposals.spec import ModelData, item_labels, load_model

MSG_QTY = "The number of products must be a positive whole number"
MSG_NO_RATE = "No exchange rate for %(currency)s on %(date)s"
MSG_LINE_DESCRIPTION = "Give the line a description or an item"
MSG_CURRENCY = "Choose a currency"
MESSAGES = (MSG_QTY, MSG_NO_RATE, MSG_LINE_DESCRIPTION, MSG_CURRENCY)


@dataclass
class ExtraLine:
    """A line outside the model: manual (fixed cost, or an item costed by the source) or from a calculator."""

    description: str
    qty: object = "1"
    unit_cost: object = None
    item_id: int | None = None
    kind: str = LINE_MANUAL
    characteristics: str = ""
    margin_pct: object = None
    discount_pct: object = None
    calculator_version_id: int | None = None
    calculation_run_id: int | None = None
    calculator_inputs: str = ""


@dataclass
class InstalmentInput:
    pct: object
    event: str = "order"
    due_date: date | None = None
    days: int = 0
    note: str = ""


@dataclass
class ProposalInput:
    partner_id: int | None
    model_id: int | None = None
    qty: object = "1"
    selection: dict = field(default_factory=dict)  # option id -> quantity (1 for a ticked option)
    currency_id: int | None = None
    cost_source: str = "fifo"
    margin_pct: object = None
    discount_pct: object = None
    tax_pct: object = "0"
    contact_id: int | None = None
    deal_id: int | None = None
    proposal_date: date | None = None
    valid_until: date | None = None
    note: str = ""
    line_terms: dict = field(default_factory=dict)  # line key -> {"margin": ..., "discount": ...}
    extra_lines: list[ExtraLine] = field(default_factory=list)
    instalments: list[InstalmentInput] = field(default_factory=list)


@dataclass
class LineHead:
    """What a configured line is, before and after costing: where it comes from and how many."""

    key: str
    kind: str
    group_label: str
    option_id: int | None
    item_id: int | None
    description: str
    characteristics: str
    qty: Decimal


@dataclass
class EvalLine(LineHead):
    cost: Decimal
    unit_cost: Decimal
    unit_price: Decimal
    list_unit_price: Decimal
    price: Decimal
    margin_pct: Decimal | None
    terms: dp.Terms
    own_margin: Decimal | None
    own_discount: Decimal | None
    below_floor: bool
    node: bool = False
    labour: Decimal = ZERO
    parts: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    extra: ExtraLine | None = None
    promotion_id: int | None = None  # the promotion whose discount the price carries
    promotion_name: str = ""
    promotion_pct: Decimal | None = None


@dataclass
class Evaluation:
    model: ModelData | None
    qty: Decimal
    source: str
    currency_code: str
    currency_id: int | None
    rate: Decimal
    lines: list[EvalLine]
    priced: dp.Priced
    check: drules.Check | None
    notes: list[Problem]
    problems: list[Problem]
    floor_pct: Decimal
    margin_pct: Decimal | None
    discount_pct: Decimal | None
    tax_pct: Decimal
    instalments: list[dp.Instalment] = field(default_factory=list)
    instalment_notes: list[str] = field(default_factory=list)

    @property
    def below_floor(self) -> bool:
        return self.priced.total_below_floor or bool(self.priced.below_floor)

    def groups(self) -> list[dict]:
        """Cost, price and margin per option group (the base configuration first)."""
        return dp.group_margins(self.lines, self.rate)


def parse_pct(raw: object) -> tuple[Decimal | None, str | None]:
    """A percentage: up to 8 decimal places (the Rate columns), at most 1000."""
    return parse_decimal(raw, 8, Decimal(1000))


def _number(raw: object, label: str, problems: Collector, parser=parse_pct) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value, err = parser(raw)
    if err:
        problems.add(err, field=label, value=raw, places=8)
    return value


def built_in(line_kind: str, item_id: int | None, item_kind: str | None) -> bool:
    """Whether a proposal line is built into the configured product (its BOM, one order line) rather
    than sold beside it. A service option (software setup, training) is no part of a bill of
    materials: it is sold as an order line of its own. Conversion and pricing both ask this, so the
    proposal's tax is computed on the very lines its order will have."""
    return line_kind in (LINE_BASE, LINE_OPTION) and item_id is not None and item_kind != "service"


def _bundle(session: Session, specs: list) -> set[str]:
    """The keys of the lines built into the configured product (one query for the items' kinds)."""
    ids = {s.item_id for s in specs if s.item_id is not None}
    kinds = dict(session.execute(select(Item.id, Item.kind).where(Item.id.in_(sorted(ids)))).all()) if ids else {}
    return {s.key for s in specs if built_in(s.kind, s.item_id, kinds.get(s.item_id))}


def _whole_qty(raw: object, problems: Collector) -> Decimal:
    value, err = parse_quantity(raw if raw not in (None, "") else "1")
    if err or value is None or value <= 0 or value != value.to_integral_value():
        problems.add(MSG_QTY, field="qty")
        return Decimal(1)
    return value


def currency_rate(session: Session, currency_id: int | None, on_date: date,
                  problems: Collector) -> tuple[Decimal, str, int | None]:
    """(base units per unit of the currency, its code, its id); the base currency when none is given."""
    company = current_company(session)
    base_id = company.base_currency_id if company else None
    if currency_id is None:
        currency_id = base_id
    if currency_id is None:
        cur = session.scalar(select(Currency).order_by(Currency.id).limit(1))
        if cur is None:
            problems.add(MSG_CURRENCY, field="currency")
            return Decimal(1), "", None
        currency_id = cur.id
    cur = session.get(Currency, currency_id)
    if cur is None:
        problems.add(MSG_CURRENCY, field="currency")
        return Decimal(1), "", None
    if currency_id == base_id or base_id is None:
        return Decimal(1), cur.code, cur.id
    rate = session.scalar(select(CurrencyRate.rate).where(CurrencyRate.currency_id == currency_id,
                                                          CurrencyRate.on_date <= on_date)
                          .order_by(CurrencyRate.on_date.desc()).limit(1))
    if not rate:
        problems.add(MSG_NO_RATE, field="currency", currency=cur.code, date=on_date.isoformat())
        return Decimal(1), cur.code, cur.id
    return rate, cur.code, cur.id


def load_rules(session: Session) -> list[dp.Rule]:
    """Every active pricing rule (a small table: a few per client and group)."""
    return [dp.Rule(r.scope, r.margin_pct, r.discount_pct, r.floor_margin_pct, r.item_group_id, r.partner_id)
            for r in session.scalars(select(PricingRule).where(PricingRule.active.is_(True)))]


@dataclass
class _Spec(LineHead):
    fixed_unit_cost: Decimal | None = None
    own_margin: Decimal | None = None
    own_discount: Decimal | None = None
    extra: ExtraLine | None = None


def _model_lines(model: ModelData, check: drules.Check, qty: Decimal, base_label: str) -> list[_Spec]:
    specs = [_Spec(f"b{ln.id}", LINE_BASE, base_label, None, ln.item_id, ln.label, ln.characteristics, ln.qty * qty)
             for ln in model.base_lines]
    for opt in model.options.values():
        chosen = check.selection.get(opt.id)
        if not chosen:
            continue
        group = model.groups[opt.group_id]
        label = opt.label if not opt.item_label or opt.item_label == opt.label else f"{opt.label} ({opt.item_label})"
        specs.append(_Spec(f"o{opt.id}", LINE_OPTION, group.label, opt.id, opt.item_id, label, opt.characteristics,
                           opt.qty * chosen * qty, None if opt.item_id else ZERO))
    return specs


def _extra_specs(extras: list[ExtraLine], problems: Collector, start: int) -> list[_Spec]:
    out = []
    for n, ex in enumerate(extras, start=1):
        line_no = start + n
        qty, err = parse_quantity(ex.qty)
        if err or qty is None or qty <= 0:
            problems.add("Quantity must be positive", line=line_no)
            qty = Decimal(1)
        unit_cost = None
        if ex.unit_cost not in (None, ""):
            unit_cost, err = parse_money(ex.unit_cost)
            if err:
                problems.add(err, line=line_no, value=ex.unit_cost, places=4)
                unit_cost = ZERO
        if not ex.description.strip() and ex.item_id is None:
            problems.add(MSG_LINE_DESCRIPTION, line=line_no)
        if ex.item_id is None and unit_cost is None:
            unit_cost = ZERO
        margin = _number(ex.margin_pct, "margin", problems)
        discount = _number(ex.discount_pct, "discount", problems)
        out.append(_Spec(f"x{n}", ex.kind or LINE_MANUAL, "", None, ex.item_id, ex.description.strip(),
                         ex.characteristics, qty, unit_cost, margin, discount, ex))
    return out


def base_config_label(locale: str) -> str:
    """"Base configuration" in the reader's language (English outside a Flask app)."""
    try:
        from flask_babel import force_locale, gettext

        with force_locale(locale):
            return gettext("Base configuration")
    except RuntimeError:
        return "Base configuration"


def evaluate(session: Session, data: ProposalInput, locale: str = "en", source: str | None = None,
             base_label: str | None = None) -> Evaluation:
    """Check, cost and price a proposal as entered (nothing written); problems are listed, not raised."""
    problems = Collector()
    if base_label is None:
        base_label = base_config_label(locale)
    on_date = data.proposal_date or date.today()
    source = source or data.cost_source
    if source not in COST_SOURCES:
        problems.add(costing.MSG_UNKNOWN_SOURCE, field="cost_source", source=source)
        source = COST_SOURCES[0]
    qty = _whole_qty(data.qty, problems)
    margin = _number(data.margin_pct, "margin", problems)
    discount = _number(data.discount_pct, "discount", problems)
    tax = _number(data.tax_pct, "tax", problems) or ZERO
    problems.problems.extend(dp.term_problems(margin, discount))
    rate, code, currency_id = currency_rate(session, data.currency_id, on_date, problems)
    model, check, specs = None, None, []
    if data.model_id is not None:
        model = load_model(session, data.model_id, locale)
        selection, bad = drules.normalise(model.spec, data.selection or {})
        problems.problems.extend(Problem(v.msgid, v.params) for v in bad)
        check = drules.check(model.spec, selection)
        specs = _model_lines(model, check, qty, base_label)
    specs += _extra_specs(data.extra_lines, problems, len(specs))
    for spec in specs:
        terms = data.line_terms.get(spec.key) or {}
        if spec.own_margin is None:
            spec.own_margin = _number(terms.get("margin"), "margin", problems)
        if spec.own_discount is None:
            spec.own_discount = _number(terms.get("discount"), "discount", problems)
        problems.problems.extend(dp.term_problems(spec.own_margin, spec.own_discount))
    cost = costing.cost_demands(session, [costing.Demand(s.key, s.item_id, s.qty, s.fixed_unit_cost) for s in specs],
                                source, on_date)
    rules = load_rules(session)
    chains = costing.item_group_chains(session, {s.item_id for s in specs if s.item_id})
    proposal_terms = dp.resolve(rules, data.partner_id, [], margin, discount)
    inputs = []
    for s in specs:
        terms = dp.resolve(rules, data.partner_id, chains.get(s.item_id, []),
                           s.own_margin if s.own_margin is not None else margin,
                           s.own_discount if s.own_discount is not None else discount)
        inputs.append(dp.LineIn(s.key, s.qty, cost.lines[s.key].cost, terms))
    bundle = _bundle(session, specs)
    priced = dp.price_lines(inputs, rate, tax, proposal_terms.floor_margin_pct, bundle, qty)
    offers = promotions_for(session, data.partner_id, specs, priced.lines, rate, on_date)
    if offers:
        inputs = [replace(li, terms=replace(li.terms, discount_pct=offers[li.key].discount_pct))
                  if li.key in offers else li for li in inputs]
        priced = dp.price_lines(inputs, rate, tax, proposal_terms.floor_margin_pct, bundle, qty)
    labels = item_labels(session, {p.item_id for lc in cost.lines.values() for p in lc.parts}, locale)
    lines = []
    for s, out in zip(specs, priced.lines, strict=True):
        lc = cost.lines[s.key]
        lines.append(EvalLine(
            s.key, s.kind, s.group_label, s.option_id, s.item_id, s.description, s.characteristics, s.qty, out.cost,
            out.unit_cost, out.unit_price, out.list_unit_price, out.price, out.margin_pct, out.terms, s.own_margin,
            s.own_discount, out.below_floor, lc.node, lc.labour,
            [(labels.get(p.item_id, str(p.item_id)), p.qty, p.cost) for p in lc.parts], s.extra))
        offer = offers.get(s.key)
        if offer is not None:
            lines[-1].promotion_id, lines[-1].promotion_name = offer.promotion_id, offer.name
            lines[-1].promotion_pct = offer.discount_pct
    instalments = [dp.Instalment(n, _number(i.pct, "pct", problems) or ZERO, i.event, i.due_date, int(i.days or 0))
                   for n, i in enumerate(data.instalments, start=1)]
    problems.problems.extend(dp.schedule_problems(instalments))
    return Evaluation(model, qty, source, code, currency_id, rate, lines, priced, check, cost.notes, problems.problems,
                      proposal_terms.floor_margin_pct, margin, discount, tax, instalments)


def promotions_for(session: Session, partner_id: int | None, specs: list, lines: list, rate: Decimal,
                   on_date: date) -> dict:
    """line key -> the promotion that beats the line's own discount, decided by the one function orders
    use (app.services.marketing.promotions.best_offers): the best one wins, never added to the line's
    discount nor to another promotion, and cut so the line keeps the higher of the promotion's floor
    margin and the proposal's own (its pricing rules), over the cost the line was priced at.

    A line's list price is its cost priced for its target margin; the same item on two lines at
    different prices is decided once per distinct line (one query per round, rarely more than one).
    """
    from app.services.marketing.promotions import best_offers, choose

    pending = [(s, out) for s, out in zip(specs, lines, strict=True)
               if s.item_id is not None and partner_id is not None and out.qty > 0 and out.list_unit_price > 0]
    if not pending:
        return {}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(sorted({s.item_id for s, _ in pending}))))}
    won = {}
    while pending:
        batch: dict[int, tuple] = {}
        rest = []
        for s, out in pending:
            if s.item_id in batch:
                rest.append((s, out))
            else:
                batch[s.item_id] = (s, out)
        offers = best_offers(session, partner_id, {i: items[i] for i in batch if i in items},
                             {i: out.list_unit_price for i, (_, out) in batch.items()}, rate, on_date,
                             costs={i: _unit(out) for i, (_, out) in batch.items()},
                             floors={i: out.terms.floor_margin_pct for i, (_, out) in batch.items()})
        for item_id, (s, out) in batch.items():
            offer = offers.get(item_id)
            if offer is not None and choose(out.terms.discount_pct, offer)[1] is not None:
                won[s.key] = offer
        pending = rest
    return won


def _unit(out: dp.LineOut) -> Decimal:
    """The unit cost the line was priced at (base currency, exact)."""
    from app.domain.money import exact

    with exact():
        return out.cost / out.qty


def selection_json(selection: dict) -> str:
    return json.dumps({str(k): int(v) for k, v in sorted(selection.items(), key=lambda kv: int(kv[0]))})


def extra_from_run(session: Session, run_id: int) -> ExtraLine:
    """A calculator's stored result as a proposal line: its description, cost, price (as the line's
    margin), version and inputs. The calculators context owns CalculationRun; it is read lazily."""
    from app.domain.errors import DomainError
    from app.models.calculators import CalculationRun

    run = session.get(CalculationRun, run_id)
    if run is None:
        raise DomainError("Calculation %(run)s not found", run=run_id)
    margin = None
    if run.cost and run.price and run.price > run.cost:
        # 8 places (the Rate column): priced back from the cost, the line gives the calculator's price
        margin = ((run.price - run.cost) * 100 / run.price).quantize(Decimal("0.00000001"))
    name = run.calculator.name if run.calculator is not None else ""
    return ExtraLine(description=(run.description or name)[:500], qty="1", unit_cost=run.cost or ZERO,
                     kind=LINE_CALCULATOR, margin_pct=margin, calculator_version_id=run.version_id,
                     calculation_run_id=run.id, calculator_inputs=json.dumps(run.inputs or {}, ensure_ascii=False))
