"""The sales funnel: deal moves with their history, closed deals, activities, board, funnel conversion, card."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st_
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.crm import Activity, Deal, DealStageChange
from app.models.partners import Partner
from app.services import crm
from app.services.crm import ActivityInput, DealInput
from app.services.partner_card import card_sections, load_provider
from tests.factories import currency
from tests.factories_partners import deal, deal_with_history, partner, stages


def _history(deal_id: int) -> list[tuple[str | None, str]]:
    rows = db.session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal_id)
                              .order_by(DealStageChange.id)).all()
    return [(r.from_stage.name if r.from_stage else None, r.to_stage.name) for r in rows]


def test_create_and_move_record_the_history(app):
    st = stages()
    p = partner("Робокидс")
    d = crm.create_deal(db.session, DealInput(title="10 robots", partner_id=p.id, amount="444100.50"))
    assert (d.stage.name, d.probability, d.amount, d.closed_at) == ("Lead", 10, Decimal("444100.50"), None)
    crm.move_deal(db.session, d.id, st["Proposal"].id)
    crm.move_deal(db.session, d.id, st["Proposal"].id)  # same stage: nothing happens
    crm.move_deal(db.session, d.id, st["Won"].id)
    d = db.session.get(Deal, d.id)
    assert (d.stage.name, d.probability) == ("Won", 100) and d.closed_at is not None
    assert _history(d.id) == [(None, "Lead"), ("Lead", "Proposal"), ("Proposal", "Won")]


def test_closed_deal_is_refused_and_nothing_written(app):
    st = stages()
    d = deal("Kits", partner("Умники"), stage="Won")
    with pytest.raises(DomainError) as err:
        crm.move_deal(db.session, d.id, st["Lead"].id)
    assert err.value.messages() == ["The deal Kits is closed (Won): reopen it to move it"]
    assert _history(d.id) == [(None, "Won")]
    crm.reopen_deal(db.session, d.id, st["Negotiation"].id)
    assert db.session.get(Deal, d.id).closed_at is None
    assert _history(d.id)[-1] == ("Won", "Negotiation")


def test_lost_needs_a_reason(app):
    st = stages()
    d = deal("Kits", partner("Умники"))
    with pytest.raises(DomainError) as err:
        crm.move_deal(db.session, d.id, st["Lost"].id)
    assert err.value.messages() == ["Say why the deal was lost"]
    crm.move_deal(db.session, d.id, st["Lost"].id, "price too high")
    assert db.session.get(Deal, d.id).close_reason == "price too high"


def test_bad_deal_input_lists_every_problem(app):
    before = db.session.scalar(select(func.count()).select_from(Deal))
    with pytest.raises(DomainError) as err:
        crm.create_deal(db.session, DealInput(title="", partner_id=999, amount="-1", probability=120))
    assert err.value.messages() == [
        "Give the deal a title", "Choose the deal's partner", "The amount can't be negative",
        "Set up the deal stages first", "The probability is a percentage from 0 to 100"]
    assert db.session.scalar(select(func.count()).select_from(Deal)) == before


def _funnel_story():
    """Eight deals with hand-made stage histories; deal i has amount i x 100."""
    p = partner("Школа")
    paths = [["Lead"], ["Lead", "Qualified"], ["Lead", "Qualified", "Proposal"], ["Lead", "Proposal"],
             ["Lead", "Qualified", "Proposal", "Negotiation", "Won"], ["Lead", "Qualified", "Lost"],
             ["Lead", "Qualified", "Proposal", "Lost"], ["Qualified"]]
    for i, path in enumerate(paths, start=1):
        created = datetime(2026, 9, 1) if i == 8 else datetime(2026, 10, 1)
        deal_with_history(f"D{i}", p, path, amount=str(i * 100), created=created, manager_id=7 if i in (5, 6) else None)


def _table(rows):
    return {r.stage.name: (r.reached, r.amount.get("", Decimal(0)), r.now, r.conversion) for r in rows}


def test_funnel_conversion_from_the_stage_history(app):
    _funnel_story()
    assert _table(crm.funnel(db.session)) == {
        "Lead": (8, Decimal(3600), 1, Decimal("87.5")),
        "Qualified": (7, Decimal(3500), 2, Decimal("57.1")),
        "Proposal": (4, Decimal(1900), 2, Decimal("25.0")),
        "Negotiation": (1, Decimal(500), 0, Decimal("100.0")),
        "Won": (1, Decimal(500), 1, None),
        "Lost": (2, Decimal(1300), 2, None),
    }


def test_funnel_filters_by_period_and_manager(app):
    _funnel_story()
    period = _table(crm.funnel(db.session, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31)))
    assert {k: v[0] for k, v in period.items()} == {"Lead": 7, "Qualified": 6, "Proposal": 4, "Negotiation": 1,
                                                    "Won": 1, "Lost": 2}
    assert period["Lead"][3] == Decimal("85.7")  # 6 of 7
    mine = _table(crm.funnel(db.session, manager_id=7))
    assert {k: v[0] for k, v in mine.items()} == {"Lead": 2, "Qualified": 2, "Proposal": 1, "Negotiation": 1,
                                                  "Won": 1, "Lost": 1}


def test_board_totals_per_currency_and_limit(app):
    rub, eur = currency("RUB"), currency("EUR")
    p = partner("Школа")
    for amount, cur in (("100.10", rub), ("200.20", rub), ("50", eur)):
        deal(f"D {amount}", p, amount, currency_id=cur.id)
    cols = {c.stage.name: c for c in crm.board(db.session, limit=2)}
    lead = cols["Lead"]
    assert lead.count == 3 and lead.totals == {"RUB": Decimal("300.30"), "EUR": Decimal("50")}
    assert len(lead.deals) == 2 and cols["Won"].count == 0


def test_activities_next_complete_and_my_day(app):
    p = partner("Школа")
    d = deal("D", p)
    today = date(2026, 11, 27)
    mk = lambda s, at, who=1: crm.create_activity(db.session, ActivityInput(  # noqa: E731
        subject=s, due_at=at, deal_id=d.id, assignee_id=who))
    overdue = mk("overdue", datetime(2026, 11, 25, 9))
    mk("today", datetime(2026, 11, 27, 15))
    mk("tomorrow", datetime(2026, 11, 28, 9))
    mk("someone else's", datetime(2026, 11, 27, 10), who=2)
    assert crm.next_activities(db.session, [d.id])[d.id].id == overdue.id  # the earliest open one, anyone's
    day = crm.my_day(db.session, 1, today)
    assert ([a.subject for a in day.overdue], [a.subject for a in day.today]) == (["overdue"], ["today"])
    crm.complete_activity(db.session, overdue.id, "called, all fine")
    act = db.session.get(Activity, overdue.id)
    assert act.done and act.result == "called, all fine" and act.partner_id == p.id
    assert crm.next_activities(db.session, [d.id])[d.id].subject == "someone else's"
    with pytest.raises(DomainError) as err:
        crm.complete_activity(db.session, overdue.id)
    assert err.value.messages() == ["The activity overdue is already done"]
    with pytest.raises(DomainError) as err:
        crm.create_activity(db.session, ActivityInput(subject="", due_at=None, kind="fax"))
    assert err.value.messages() == ["Give the activity a subject", "Unknown activity kind: fax", "Give the due date",
                                    "Choose the activity's partner or deal"]


def test_card_sections_count_all_and_show_a_page(app):
    p, other = partner("Школа"), partner("Другая")
    for i in range(25):
        deal(f"D{i}", p, str(i))
    deal("Other", other)
    crm.create_activity(db.session, ActivityInput(subject="call", due_at=datetime(2026, 11, 1), partner_id=p.id))
    from bench.sqlcount import statements

    pid = p.id
    with statements() as log:
        deals, acts = crm.card_sections(db.session, pid, limit=20)
    assert len([s for s in log if s.startswith("SELECT")]) == 2  # one page query per section, counting all
    assert (deals.total, len(deals.rows), deals.rows[0]["title"], deals.rows[0]["amount"]) == (25, 20, "D24",
                                                                                               Decimal(24))
    assert (acts.total, acts.rows[0]["subject"]) == (1, "call")


def test_card_providers_all_load_and_a_broken_one_is_not_hidden(app):
    from app.services.partner_card import CARD_PROVIDERS

    assert all(callable(load_provider(spec)) for spec in CARD_PROVIDERS)
    with pytest.raises(ModuleNotFoundError):  # a missing context is a bug, not an empty section
        load_provider("app.services.no_such_context.card:card_sections")
    with pytest.raises(ModuleNotFoundError):  # nor is a broken import inside an existing module
        load_provider("tests.services.broken_card_provider:card_sections")
    p = partner("Школа")
    sections = card_sections(db.session, p.id, providers=["app.services.crm:card_sections"])
    assert [s.key for s in sections] == ["deals", "activities"]


def test_demo_story(app):
    from app.services.demo import load_demo
    from app.services.demo_partners import DEMO_SUPPLIERS, ROBOKIDS_DEAL, demo_partner

    load_demo()
    robokids = demo_partner("ROBOKIDS")
    assert robokids.is_customer and robokids.addresses and robokids.bank_accounts
    assert all(demo_partner(code).is_supplier for code in DEMO_SUPPLIERS)
    assert demo_partner("DELOVYE").is_carrier
    d = db.session.scalar(select(Deal).where(Deal.title == ROBOKIDS_DEAL))
    assert (d.stage.name, d.partner_id, d.amount) == ("Proposal", robokids.id, Decimal("444100"))
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.deal_id == d.id)) == 4
    assert db.session.scalar(select(func.count()).select_from(Partner).where(Partner.company_id == robokids.id)) == 2


OPEN_STEPS = ["Lead", "Qualified", "Proposal", "Negotiation", "Won"]


def _brute_force_reached() -> dict[str, int]:
    """Deals that reached each stage, counted in Python from every history row (the SQL's oracle)."""
    st = stages()
    order = {s.id: s for s in st.values()}
    entered: dict[int, set[int]] = {}
    for row in db.session.scalars(select(DealStageChange)):
        entered.setdefault(row.deal_id, set()).add(row.to_stage_id)
    out = {}
    for name, stage in st.items():
        out[name] = sum(1 for ids in entered.values() if (stage.id in ids if stage.is_lost else any(
            not order[i].is_lost and order[i].sort_order >= stage.sort_order for i in ids)))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=st_.lists(st_.tuples(st_.lists(st_.sampled_from(OPEN_STEPS), min_size=1, max_size=4, unique=True),
                                  st_.booleans()), min_size=1, max_size=6))
def test_funnel_matches_a_brute_force_count(app, paths):
    p = partner("Школа")
    for steps, lost in paths:
        path = sorted(steps, key=OPEN_STEPS.index)
        if lost and path[-1] != "Won":
            path.append("Lost")
        deal_with_history("H", p, path)
    rows = crm.funnel(db.session)
    assert {r.stage.name: r.reached for r in rows} == _brute_force_reached()
    reached = [r.reached for r in rows if not r.stage.is_lost]
    assert reached == sorted(reached, reverse=True)  # a funnel only narrows
    assert all(r.conversion is None or Decimal(0) <= r.conversion <= Decimal(100) for r in rows)
