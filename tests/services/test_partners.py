"""The client base: normalisation, duplicate detection on save, and merging that keeps all history."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint, func, insert, select, text

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import Activity, Deal, DealStageChange
from app.models.partners import Partner, PartnerAddress, PartnerBankAccount, Tag
from app.services.crm import ActivityInput, create_activity, move_deal
from app.services.partners import (
    DuplicatePartner,
    PartnerInput,
    add_address,
    add_bank_account,
    find_duplicates,
    merge_partners,
    normalize_name,
    normalize_phone,
    partner_references,
    probe_of,
    save_partner,
)
from tests.factories_partners import deal, partner, stages


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("raw, norm", [
    ("+7 (495) 111-22-33", "74951112233"), ("8 495 111 22 33", "74951112233"), ("+34 91 555 12 34", "34915551234"),
    ("", ""),
])
def test_phone_normalisation(raw, norm):
    assert normalize_phone(raw) == norm


@pytest.mark.parametrize("raw, norm", [
    ('ООО "Робокидс"', "робокидс"), ("ООО «РобоТех Образование»", "роботех образование"),
    ("Motores Ibéricos, S.L.", "motores ibéricos"), ("Chip&Dip LLC", "chip dip"), ("ИП Ёлкин", "елкин"),
    ("S.A.", "sa"),
])
def test_name_normalisation(raw, norm):
    assert normalize_name(raw) == norm


def test_save_normalises_and_stores_keys(app):
    p = partner("  ООО «Робокидс» ", tax_id="77-25 000 111", phone="8 (495) 111-22-33", email=" Info@RoboKids.Example ")
    assert (p.name, p.tax_id, p.phone_norm, p.email, p.name_norm) == (
        "ООО «Робокидс»", "7725000111", "74951112233", "info@robokids.example", "робокидс")


@pytest.mark.parametrize("field, existing, typed, reason", [
    ("tax_id", "7725000111", "7725 000 111", "tax_id"),
    ("phone", "+7 (495) 111-22-33", "84951112233", "phone"),
    ("email", "info@robokids.example", "INFO@Robokids.Example", "email"),
])
def test_duplicate_refused_with_the_existing_partner_named(app, field, existing, typed, reason):
    first = partner("Робокидс", **{field: existing})
    before = _count(Partner)
    with pytest.raises(DuplicatePartner) as err:
        partner("Совсем другая школа", check=True, **{field: typed})
    assert [(d.partner_id, d.reason) for d in err.value.duplicates] == [(first.id, reason)]
    assert f"Робокидс (#{first.id})" in err.value.messages()[0]
    assert "confirm" in err.value.messages()[-1]
    assert _count(Partner) == before  # nothing half-saved


@pytest.mark.parametrize("typed", ["ООО «Робокидс»", "Робокидс, АНО", "Робокидсс", "Робо-кидс"])
def test_similar_name_refused(app, typed):
    first = partner("Робокидс")
    with pytest.raises(DuplicatePartner) as err:
        partner(typed, check=True)
    assert [(d.partner_id, d.reason) for d in err.value.duplicates] == [(first.id, "name")]


def test_different_names_pass(app):
    partner("Робокидс")
    partner("Роботех", check=True)
    partner("Умники", check=True)
    assert _count(Partner) == 3


def test_confirm_saves_anyway_and_editing_itself_is_no_duplicate(app):
    first = partner("Робокидс", tax_id="7725000111")
    second = save_partner(db.session, PartnerInput(name="Робокидс", tax_id="7725000111"), confirm_duplicate=True)
    assert second.id != first.id
    third = partner("Умники", phone="+7 383 210-20-30", check=True)
    again = save_partner(db.session, PartnerInput(note="changed", phone="8 383 210 20 30"), third.id)
    assert again.note == "changed" and again.phone_norm == "73832102030"


def test_contacts_of_different_companies_may_share_a_name(app):
    a, b = partner("Робокидс"), partner("Умники")
    partner("Иван Петров", kind="person", company_id=a.id, check=True)
    partner("Иван Петров", kind="person", company_id=b.id, check=True)
    with pytest.raises(DuplicatePartner):  # but not the same phone
        partner("Пётр Иванов", kind="person", company_id=b.id, phone="1", check=True)
        partner("Пётр Сидоров", kind="person", company_id=b.id, phone="1", check=True)


def test_bad_input_lists_every_problem_and_writes_nothing(app):
    person = partner("Иван", kind="person")
    before = _count(Partner)
    with pytest.raises(DomainError) as err:
        save_partner(db.session, PartnerInput(name=" ", kind="robot", email="not-an-address", company_id=person.id))
    assert err.value.messages() == [
        "Give the partner's name", "Unknown partner kind: robot", "Not an e-mail address: not-an-address",
        "A contact belongs to a company"]
    assert _count(Partner) == before


def test_a_company_with_contacts_stays_a_company(app):
    company = partner("Робокидс")
    partner("Анна", kind="person", company_id=company.id)
    with pytest.raises(DomainError) as err:
        save_partner(db.session, PartnerInput(kind="person"), company.id)
    assert err.value.messages() == ["A company with contacts can't become a person"]
    assert db.session.get(Partner, company.id).kind == "company"


def test_inactive_partners_are_not_duplicates(app):
    old = partner("Робокидс", tax_id="1")
    save_partner(db.session, PartnerInput(active=False), old.id)
    partner("Робокидс", tax_id="1", check=True)


def test_duplicate_lookups_use_the_indexes(app, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's plan text")
    for column, index in (("phone_norm", "ix_partner_phone_norm"), ("email_norm", "ix_partner_email_norm"),
                          ("tax_id", "ix_partner_tax_id"), ("name_norm", "ix_partner_name_norm")):
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN SELECT id FROM partner WHERE {column} = 'x'")).all()
        assert index in str(plan), plan


# --- merge ---------------------------------------------------------------------------------------

@pytest.fixture
def extra_tables(app):
    """Two tables with a foreign key to partner that only this test knows (like another context's)."""
    offers = Table("test_supplier_offer", Model.metadata,
                   Column("id", Integer, primary_key=True),
                   Column("supplier_id", ForeignKey("partner.id"), nullable=False),
                   Column("carrier_id", ForeignKey("partner.id"), nullable=True),
                   Column("code", String(20), nullable=False))
    prices = Table("test_partner_price", Model.metadata,
                   Column("id", Integer, primary_key=True),
                   Column("partner_id", ForeignKey("partner.id"), nullable=False),
                   Column("item", String(20), nullable=False),
                   UniqueConstraint("partner_id", "item"))
    offers.create(db.engine)
    prices.create(db.engine)
    yield offers, prices
    db.session.rollback()
    for table in (offers, prices):
        table.drop(db.engine)
        Model.metadata.remove(table)


def test_references_are_found_in_the_whole_schema(app, extra_tables):
    refs = {(t.name, c.name) for t, c in partner_references()}
    assert {("test_supplier_offer", "supplier_id"), ("test_supplier_offer", "carrier_id"),
            ("test_partner_price", "partner_id"), ("deal", "partner_id"), ("deal", "contact_id"),
            ("activity", "partner_id"), ("partner", "company_id"), ("partner", "merged_into_id"),
            ("partner_tag", "partner_id"), ("partner_address", "partner_id")} <= refs


def _story(extra_tables):
    """A (kept) and B (merged) with contacts, addresses, bank accounts, tags, deals, activities, offers."""
    offers, prices = extra_tables
    st = stages()
    shared, only_b = Tag(name="school"), Tag(name="key account")
    db.session.add_all([shared, only_b])
    db.session.commit()
    a = partner("Робокидс", tax_id="7725000111", tag_ids=[shared.id])
    b = partner("ООО Робокидс", phone="+7 495 111-22-33", email="info@robokids.example", website="robokids.example",
                tag_ids=[shared.id, only_b.id])
    contact = partner("Анна Ковалёва", kind="person", company_id=b.id)
    add_address(db.session, b.id, "ул. Профсоюзная, 12", city="Москва")
    add_bank_account(db.session, b.id, "Альфа-Банк", "40703810401300000123")
    d = deal("Робокидс: роботы", b, "444100", contact_id=contact.id)
    move_deal(db.session, d.id, st["Qualified"].id)
    create_activity(db.session, ActivityInput(subject="Позвонить", due_at=datetime(2026, 11, 2, 10), deal_id=d.id))
    db.session.execute(insert(offers), [{"supplier_id": b.id, "carrier_id": b.id, "code": "O1"},
                                        {"supplier_id": a.id, "carrier_id": None, "code": "O2"}])
    db.session.execute(insert(prices), [{"partner_id": b.id, "item": "ROBOT"}, {"partner_id": a.id, "item": "KIT"}])
    db.session.commit()
    return a, b, contact, d



def test_merge_keeps_all_history(app, extra_tables):
    offers, prices = extra_tables
    a, b, contact, d = _story(extra_tables)
    a_id, b_id = a.id, b.id
    counts = {m: _count(m) for m in (Deal, DealStageChange, Activity, PartnerAddress, PartnerBankAccount, Partner)}
    result = merge_partners(db.session, a_id, b_id)
    assert result.moved == {"partner.company_id": 1, "partner_address.partner_id": 1,
                            "partner_bank_account.partner_id": 1, "partner_tag.partner_id": 1, "deal.partner_id": 1,
                            "activity.partner_id": 1, "test_supplier_offer.supplier_id": 1,
                            "test_supplier_offer.carrier_id": 1, "test_partner_price.partner_id": 1}
    db.session.expire_all()
    kept, gone = db.session.get(Partner, a_id), db.session.get(Partner, b_id)
    assert {m: _count(m) for m in counts} == counts  # nothing deleted
    assert sorted(t.name for t in kept.tags) == ["key account", "school"] and gone.tags == []
    assert db.session.get(Partner, contact.id).company_id == a_id
    assert [x.partner_id for x in kept.addresses + kept.bank_accounts] == [a_id, a_id]
    assert db.session.get(Deal, d.id).partner_id == a_id
    assert db.session.scalar(select(func.count()).where(DealStageChange.deal_id == d.id)) == 2
    assert db.session.execute(select(offers.c.code).where(offers.c.supplier_id == a_id)
                              .order_by(offers.c.code)).scalars().all() == ["O1", "O2"]
    assert db.session.execute(select(func.count()).select_from(offers).where(offers.c.carrier_id == b_id)).scalar() == 0
    assert db.session.execute(select(func.count()).select_from(prices).where(prices.c.partner_id == a_id)).scalar() == 2
    # B stays as history, pointing at A; A got B's phone, e-mail and website (its own tax id stays)
    assert (gone.active, gone.merged_into_id) == (False, a_id)
    assert (kept.tax_id, kept.phone_norm, kept.email, kept.website) == (
        "7725000111", "74951112233", "info@robokids.example", "robokids.example")
    log = db.session.scalars(select(AuditLog).where(AuditLog.action.in_(["merge", "merged"]))
                             .order_by(AuditLog.id)).all()
    assert [(r.action, r.entity, r.entity_id) for r in log] == [("merge", "Partner", str(a_id)),
                                                                ("merged", "Partner", str(b_id))]
    assert "test_supplier_offer.supplier_id" in log[0].changes


def test_merge_refusals_write_nothing(app, extra_tables):
    offers, prices = extra_tables
    a, b = partner("Робокидс"), partner("Умники")
    db.session.execute(insert(prices), [{"partner_id": b.id, "item": "ROBOT"}, {"partner_id": a.id, "item": "ROBOT"}])
    db.session.commit()
    with pytest.raises(DomainError) as err:
        merge_partners(db.session, a.id, b.id)
    assert err.value.messages() == ["Both partners have the same test_partner_price: merge them by hand first"]
    assert db.session.get(Partner, b.id).active is True
    with pytest.raises(DomainError) as err:
        merge_partners(db.session, a.id, a.id)
    assert err.value.messages() == ["A partner can't be merged into itself"]
    db.session.execute(prices.delete())
    db.session.commit()
    merge_partners(db.session, a.id, b.id)
    with pytest.raises(DomainError) as err:
        merge_partners(db.session, a.id, b.id)
    assert err.value.messages() == ["Умники has already been merged"]


def test_merged_partner_is_no_longer_a_duplicate_candidate(app):
    a = partner("Робокидс", tax_id="1")
    b = partner("Робокидс", tax_id="1")
    assert [d.partner_id for d in find_duplicates(db.session, probe_of(a))] == [b.id]
    merge_partners(db.session, a.id, b.id)
    assert find_duplicates(db.session, probe_of(a)) == []


def test_two_users_saving_the_same_new_client_at_once_make_one_partner(app):
    from tests.services.test_stock_concurrency import run_together

    def work(k: int) -> int:
        return save_partner(db.session, PartnerInput(name=f"Робокидс {k}", tax_id="7725000111")).id

    results = run_together(app, 4, work)
    assert sorted(kind for kind, _ in results) == ["ok", "refused", "refused", "refused"]
    assert db.session.scalar(select(func.count()).select_from(Partner).where(Partner.tax_id == "7725000111")) == 1
