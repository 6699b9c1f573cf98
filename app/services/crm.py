"""The sales funnel's use cases: deals moved through stages with their history, activities, the board.

Every stage move writes a DealStageChange row: the funnel's conversion per stage is computed from
that history in SQL (a deal reached a stage if it ever entered it or a later, not-lost one). A
closed deal (won or lost stage) does not move until it is reopened. Reads for pages (board,
funnel, my day, the client card's sections) cost a fixed number of queries at any data size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from app.domain.errors import Collector, DomainError
from app.domain.money import read_decimal
from app.models.base import utcnow
from app.models.core import Currency
from app.models.crm import ACTIVITY_KINDS, Activity, Deal, DealStage, DealStageChange
from app.models.partners import Partner
from app.services.base import current_actor, unit_of_work
from app.services.locking import lock_row
from app.services.partner_card import CardSection, limited_rows, url_or_none

# name, ru, es, probability %, won, lost
DEFAULT_STAGES = [
    ("Lead", "Лид", "Cliente potencial", 10, False, False),
    ("Qualified", "Квалифицирован", "Calificado", 25, False, False),
    ("Proposal", "Предложение", "Propuesta", 50, False, False),
    ("Negotiation", "Переговоры", "Negociación", 75, False, False),
    ("Won", "Выиграна", "Ganada", 100, True, False),
    ("Lost", "Проиграна", "Perdida", 0, False, True),
]
BOARD_CARDS = 50  # cards shown per kanban column; totals count every deal
PERCENT = Decimal("0.1")


def ensure_default_stages(session: Session) -> list[DealStage]:
    """The default stages, created when there are none (idempotent)."""
    stages = list(session.scalars(select(DealStage).order_by(DealStage.sort_order)))
    if stages:
        return stages
    with unit_of_work(session):
        for n, (name, ru, es, prob, won, lost) in enumerate(DEFAULT_STAGES, start=1):
            session.add(DealStage(name=name, name_ru=ru, name_es=es, sort_order=n * 10, probability=prob,
                                  is_won=won, is_lost=lost))
    return list(session.scalars(select(DealStage).order_by(DealStage.sort_order)))


def open_stages(session: Session) -> list[DealStage]:
    return list(session.scalars(select(DealStage).where(DealStage.active.is_(True)).order_by(DealStage.sort_order)))


# --- deals ---------------------------------------------------------------------------------------

@dataclass
class DealInput:
    title: str
    partner_id: int | None
    amount: Decimal | str | int = Decimal(0)
    currency_id: int | None = None
    stage_id: int | None = None  # None: the first stage
    contact_id: int | None = None
    probability: int | None = None  # None: the stage's default
    expected_close: date | None = None
    manager_id: int | None = None
    source: str = ""
    note: str = ""


def first_stage(session: Session) -> DealStage | None:
    """The stage a new deal starts in when none is chosen: the first open one (never won or lost),
    whether the deal comes through the API, a page form or an import."""
    return session.scalar(select(DealStage).where(DealStage.active.is_(True), DealStage.is_won.is_(False),
                                                  DealStage.is_lost.is_(False)).order_by(DealStage.sort_order))


def create_deal(session: Session, data: DealInput) -> Deal:
    """A new deal in its first stage (or the one given), with the first row of its stage history."""
    errors = Collector()
    if not (data.title or "").strip():
        errors.add("Give the deal a title", field="title")
    partner = session.get(Partner, data.partner_id) if data.partner_id else None
    if partner is None:
        errors.add("Choose the deal's partner", field="partner_id")
    amount = read_decimal(data.amount if data.amount not in (None, "") else "0")
    if amount is None:
        amount = Decimal(0)
        errors.add("Not a number: %(value)s", field="amount", value=data.amount)
    elif amount < 0:
        errors.add("The amount can't be negative", field="amount")
    stage = session.get(DealStage, data.stage_id) if data.stage_id else None
    if stage is None:
        stage = first_stage(session)
    if stage is None:
        errors.add("Set up the deal stages first", field="stage_id")
    if data.probability is not None and not 0 <= data.probability <= 100:
        errors.add("The probability is a percentage from 0 to 100", field="probability")
    errors.raise_if_any()
    assert stage is not None
    with unit_of_work(session):
        deal = Deal(title=data.title.strip(), partner_id=data.partner_id, contact_id=data.contact_id, amount=amount,
                    currency_id=data.currency_id, stage_id=stage.id, expected_close=data.expected_close,
                    probability=stage.probability if data.probability is None else data.probability,
                    manager_id=data.manager_id, source=data.source, note=data.note,
                    closed_at=utcnow() if stage.is_closed else None)
        session.add(deal)
        session.flush()
        _history(session, deal, None, stage.id)
    return deal


def record_created(session: Session, deal: Deal) -> None:
    """The first history row of a deal added through a page form (FAB writes the row itself)."""
    with unit_of_work(session):
        if not session.scalar(select(func.count()).where(DealStageChange.deal_id == deal.id)):
            _history(session, deal, None, deal.stage_id)


def _history(session: Session, deal: Deal, from_id: int | None, to_id: int, at: datetime | None = None) -> None:
    actor = current_actor()
    session.add(DealStageChange(deal_id=deal.id, from_stage_id=from_id, to_stage_id=to_id, changed_at=at or utcnow(),
                                user_id=actor.user_id, username=actor.username[:100]))


def move_deal(session: Session, deal_id: int, stage_id: int, reason: str = "") -> Deal:
    """Move a deal to another stage: history row, the stage's probability, closed when won / lost.

    A closed deal is refused (reopen it first); moving to the stage it is in changes nothing.
    """
    with unit_of_work(session):
        deal = lock_row(session, Deal, deal_id)  # lock, then check: two users moving one deal queue here
        stage = session.get(DealStage, stage_id)
        errors = Collector()
        if deal is None:
            errors.add("No such deal: %(id)s", id=deal_id)
        if stage is None or not stage.active:
            errors.add("No such stage: %(id)s", id=stage_id)
        errors.raise_if_any()
        assert deal is not None and stage is not None
        if deal.stage_id == stage.id:
            return deal
        if deal.stage.is_closed:
            raise DomainError("The deal %(title)s is closed (%(stage)s): reopen it to move it", title=deal.title,
                              stage=deal.stage.name)
        if stage.is_lost and not reason.strip():
            raise DomainError("Say why the deal was lost")
        from_id = deal.stage_id
        deal.stage_id = stage.id
        deal.stage = stage
        deal.probability = stage.probability
        if stage.is_closed:
            deal.closed_at = utcnow()
            deal.close_reason = reason.strip()
        _history(session, deal, from_id, stage.id)
    return deal


def reopen_deal(session: Session, deal_id: int, stage_id: int) -> Deal:
    """Put a closed deal back into an open stage (recorded in the history as a move)."""
    with unit_of_work(session):
        deal = lock_row(session, Deal, deal_id)
        stage = session.get(DealStage, stage_id)
        if deal is None:
            raise DomainError("No such deal: %(id)s", id=deal_id)
        if stage is None or stage.is_closed:
            raise DomainError("Choose an open stage")
        if not deal.stage.is_closed:
            raise DomainError("The deal %(title)s is not closed", title=deal.title)
        from_id = deal.stage_id
        deal.stage_id, deal.stage, deal.probability = stage.id, stage, stage.probability
        deal.closed_at, deal.close_reason = None, ""
        _history(session, deal, from_id, stage.id)
    return deal


# --- activities ----------------------------------------------------------------------------------

@dataclass
class ActivityInput:
    subject: str
    due_at: datetime | None
    kind: str = "call"
    partner_id: int | None = None  # None: the deal's partner
    deal_id: int | None = None
    assignee_id: int | None = None


def link_activity(act: Activity) -> None:
    """An activity saved through a form (page or API) given only its deal belongs to the deal's partner;
    one with neither is refused, as create_activity refuses it."""
    if act.partner is None and act.deal is not None:
        act.partner = act.deal.partner
    if act.partner is None:
        raise DomainError("Choose the activity's partner or deal")


def default_assignee(session: Session, act: Activity) -> None:
    """An activity saved with nobody assigned goes to its author: the page's user or the API token's,
    so an activity created through the API shows in its author's day like one made on the page."""
    actor = current_actor()
    if act.assignee is None and act.assignee_id is None and actor.user_id is not None:
        from flask_appbuilder.security.sqla.models import User

        act.assignee = session.get(User, actor.user_id)


def create_activity(session: Session, data: ActivityInput) -> Activity:
    errors = Collector()
    if not (data.subject or "").strip():
        errors.add("Give the activity a subject", field="subject")
    if data.kind not in ACTIVITY_KINDS:
        errors.add("Unknown activity kind: %(kind)s", field="kind", kind=data.kind)
    if data.due_at is None:
        errors.add("Give the due date", field="due_at")
    deal = session.get(Deal, data.deal_id) if data.deal_id else None
    if data.deal_id and deal is None:
        errors.add("No such deal: %(id)s", id=data.deal_id)
    partner_id = data.partner_id or (deal.partner_id if deal else None)
    if partner_id is None or session.get(Partner, partner_id) is None:
        errors.add("Choose the activity's partner or deal", field="partner_id")
    errors.raise_if_any()
    with unit_of_work(session):
        act = Activity(subject=data.subject.strip(), kind=data.kind, due_at=data.due_at, partner_id=partner_id,
                       deal_id=data.deal_id, assignee_id=data.assignee_id)
        session.add(act)
        session.flush()
    return act


def complete_activity(session: Session, activity_id: int, result: str = "") -> Activity:
    """Mark an activity done, with its result note."""
    with unit_of_work(session):
        act = lock_row(session, Activity, activity_id)
        if act is None:
            raise DomainError("No such activity: %(id)s", id=activity_id)
        if act.done:
            raise DomainError("The activity %(subject)s is already done", subject=act.subject)
        act.done = True
        act.done_at = utcnow()
        if result.strip():
            act.result = result.strip()
    return act


def next_activities(session: Session, deal_ids: list[int]) -> dict[int, Activity]:
    """The earliest open activity of each deal, in one query."""
    if not deal_ids:
        return {}
    first = (select(Activity.deal_id, func.min(Activity.due_at).label("due"))
             .where(Activity.deal_id.in_(deal_ids), Activity.done.is_(False)).group_by(Activity.deal_id).subquery())
    stmt = select(Activity).join(first, and_(Activity.deal_id == first.c.deal_id, Activity.due_at == first.c.due))
    out: dict[int, Activity] = {}
    for act in session.scalars(stmt.where(Activity.done.is_(False)).order_by(Activity.id)):
        out.setdefault(act.deal_id, act)
    return out


@dataclass
class MyDay:
    overdue: list[Activity]
    today: list[Activity]


def my_day(session: Session, user_id: int, today: date | None = None) -> MyDay:
    """The user's open activities due today and overdue (one indexed query)."""
    today = today or date.today()
    start, end = datetime.combine(today, time.min), datetime.combine(today + timedelta(days=1), time.min)
    stmt = (select(Activity).options(joinedload(Activity.partner), joinedload(Activity.deal))
            .where(Activity.assignee_id == user_id, Activity.done.is_(False), Activity.due_at < end)
            .order_by(Activity.due_at).limit(500))
    acts = list(session.scalars(stmt))
    return MyDay(overdue=[a for a in acts if a.due_at < start], today=[a for a in acts if a.due_at >= start])


def deal_lookup_rows(session: Session, text: str, limit: int = 20) -> list[tuple[int, str]]:
    """(id, title) of the newest deals whose title starts with `text`, for select boxes."""
    text = (text or "").strip()
    if not text:
        return []
    stmt = select(Deal.id, Deal.title).where(Deal.title.ilike(text.replace("%", "").replace("_", "") + "%"))
    return [tuple(r) for r in session.execute(stmt.order_by(Deal.id.desc()).limit(limit))]


# --- board and funnel ----------------------------------------------------------------------------

@dataclass
class BoardColumn:
    stage: DealStage
    deals: list[Deal]
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency code -> amount


def board(session: Session, manager_id: int | None = None, limit: int = BOARD_CARDS) -> list[BoardColumn]:
    """The kanban: per active stage its newest `limit` deals and the count and sum of all of them."""
    stages = open_stages(session)
    where = [Deal.manager_id == manager_id] if manager_id else []
    totals = session.execute(
        select(Deal.stage_id, Currency.code, func.count(), func.sum(Deal.amount))
        .outerjoin(Currency, Deal.currency_id == Currency.id).where(*where).group_by(Deal.stage_id, Currency.code)
    ).all()
    columns = {s.id: BoardColumn(s, []) for s in stages}
    for stage_id, code, count, amount in totals:
        col = columns.get(stage_id)
        if col is not None:
            col.count += count
            col.totals[code or ""] = col.totals.get(code or "", Decimal(0)) + Decimal(amount or 0)
    if limit <= 0:
        return list(columns.values())
    ranked = (select(Deal.id, func.row_number().over(partition_by=Deal.stage_id,
                                                    order_by=Deal.updated_at.desc()).label("rn"))
              .where(*where).subquery())
    deals = session.scalars(
        select(Deal).join(ranked, ranked.c.id == Deal.id).where(ranked.c.rn <= limit)
        .options(joinedload(Deal.partner), joinedload(Deal.currency)).order_by(Deal.updated_at.desc())
    ).all()
    for deal in deals:
        if deal.stage_id in columns:
            columns[deal.stage_id].deals.append(deal)
    return list(columns.values())


@dataclass
class FunnelRow:
    stage: DealStage
    reached: int  # deals that ever entered this stage or a later one
    amount: dict[str, Decimal]  # their amounts per currency code
    now: int  # deals in this stage now
    conversion: Decimal | None  # % of this stage's deals that reached the next stage


def funnel(session: Session, date_from: date | None = None, date_to: date | None = None,
           manager_id: int | None = None) -> list[FunnelRow]:
    """Per stage: deals that reached it (from the stage history), their amount, and conversion to the next.

    Deals are those created in the period (and of the manager). Lost stages are not steps: they
    get their own row with `conversion` None. Conversion of the last step is None as well.
    """
    stages = open_stages(session)
    deal_filter = []
    if date_from:
        deal_filter.append(Deal.created_at >= datetime.combine(date_from, time.min))
    if date_to:
        deal_filter.append(Deal.created_at < datetime.combine(date_to + timedelta(days=1), time.min))
    if manager_id:
        deal_filter.append(Deal.manager_id == manager_id)
    step, later = aliased(DealStage), aliased(DealStage)
    reached_any = exists().where(
        DealStageChange.deal_id == Deal.id, DealStageChange.to_stage_id == later.id,
        case((step.is_lost.is_(True), later.id == step.id),
             else_=and_(later.sort_order >= step.sort_order, later.is_lost.is_(False))),
    )
    rows = session.execute(
        select(step.id, Currency.code, func.count(Deal.id), func.sum(Deal.amount))
        .select_from(step).join(Deal, reached_any).outerjoin(Currency, Deal.currency_id == Currency.id)
        .where(*deal_filter).group_by(step.id, Currency.code)
    ).all()
    now = dict(session.execute(select(Deal.stage_id, func.count()).where(*deal_filter).group_by(Deal.stage_id)).all())
    reached: dict[int, int] = defaultdict(int)
    amounts: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for stage_id, code, count, amount in rows:
        reached[stage_id] += count
        amounts[stage_id][code or ""] = amounts[stage_id].get(code or "", Decimal(0)) + Decimal(amount or 0)
    steps = [s for s in stages if not s.is_lost]
    out = []
    for s in stages:
        conversion = None
        if not s.is_lost:
            pos = steps.index(s)
            if pos + 1 < len(steps) and reached[s.id]:
                conversion = (Decimal(reached[steps[pos + 1].id]) * 100 / reached[s.id]).quantize(PERCENT)
        out.append(FunnelRow(s, reached[s.id], amounts[s.id], now.get(s.id, 0), conversion))
    return out


@dataclass
class FunnelInBase:
    """The funnel's amounts in one currency, for a chart with one money axis."""

    currency: str  # the base currency's code ("" when the company has none)
    on_date: date  # the rates used are the last known on this day
    amounts: list[Decimal]  # per funnel row, in the base currency
    without_rate: list[str]  # currencies with no rate by then: their deals are left out of `amounts`


def funnel_in_base_currency(session: Session, rows: list[FunnelRow], on_date: date) -> FunnelInBase:
    """Each row's amounts converted to the base currency at the day's rates (sales pricing.rate_on)."""
    from app.services.sales.pricing import base_currency, rate_on

    base = base_currency(session)
    codes = sorted({code for row in rows for code in row.amount if code})
    currencies = {c.code: c for c in session.scalars(select(Currency).where(Currency.code.in_(codes)))}
    rates: dict[str, Decimal | None] = {code: rate_on(session, currencies[code], on_date) if code in currencies
                                        else None for code in codes}
    rates[""] = Decimal(1)  # a deal without a currency is counted as in the base currency
    amounts = [sum((value * rates[code] for code, value in row.amount.items() if rates.get(code) is not None),
                   Decimal(0)).quantize(Decimal("0.01")) for row in rows]
    missing = [code for code in codes if rates.get(code) is None]
    return FunnelInBase(base.code if base is not None else "", on_date, amounts, missing)


# --- the client card -----------------------------------------------------------------------------


ACTIVITY_KIND_LABELS = {"call": _l("Call"), "meeting": _l("Meeting"), "task": _l("Task"), "email": _l("E-mail")}


def card_sections(session: Session, partner_id: int, limit: int = 20) -> list[CardSection]:
    """The partner's deals and activities for the client card: one LIMITed query and one COUNT each."""
    return [_deal_section(session, partner_id, limit), _activity_section(session, partner_id, limit)]


def _deal_section(session: Session, partner_id: int, limit: int) -> CardSection:
    rows, total = limited_rows(session, select(
        Deal.id, Deal.title, DealStage, Deal.amount, Currency.code, Deal.probability, Deal.expected_close,
        Deal.closed_at)
        .join(DealStage, Deal.stage_id == DealStage.id).outerjoin(Currency, Deal.currency_id == Currency.id)
        .where(Deal.partner_id == partner_id).order_by(Deal.id.desc()), limit)
    return CardSection(
        key="deals", title=_l("Deals"), total=total,
        columns=[("title", _l("Deal")), ("stage", _l("Stage")), ("amount", _l("Amount")), ("currency", _l("Currency")),
                 ("probability", _l("Probability, %")), ("expected_close", _l("Expected close"))],
        rows=[{"title": r.title, "stage": r.DealStage.label(), "amount": r.amount, "currency": r.code or "",
               "probability": r.probability, "expected_close": r.expected_close,
               "url": url_or_none("DealView.show", pk=r.id)} for r in rows],
        more_url=url_or_none("DealView.list", _flt_0_partner=partner_id),
    )


def _activity_section(session: Session, partner_id: int, limit: int) -> CardSection:
    rows, total = limited_rows(session, select(
        Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.done, Activity.result)
        .where(Activity.partner_id == partner_id).order_by(Activity.done, Activity.due_at.desc()), limit)
    return CardSection(
        key="activities", title=_l("Activities"), total=total,
        columns=[("due_at", _l("Due")), ("kind", _l("Kind")), ("subject", _l("Subject")), ("done", _l("Done")),
                 ("result", _l("Result"))],
        rows=[{"due_at": r.due_at, "kind": str(ACTIVITY_KIND_LABELS.get(r.kind, r.kind)), "subject": r.subject,
               "done": r.done, "result": r.result, "url": url_or_none("ActivityView.show", pk=r.id)} for r in rows],
        more_url=url_or_none("ActivityView.list", _flt_0_partner=partner_id),
    )
