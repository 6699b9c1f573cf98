"""The client card in a fixed, small number of statements (app/services/partner_card.py): each section
one LIMITed query that also counts, the duplicate look-ups one statement, and totals still all rows."""

from __future__ import annotations

from app.extensions import db
from app.services.partner_card import build_card
from app.services.partners import PartnerInput, save_partner
from bench.sqlcount import statements
from tests.factories_partners import deal, partner

# header 4 (partner, tags, addresses, bank accounts), contacts, merged ids, audit, duplicates, and one per
# section: deals, activities, balance, orders, shipments, invoices, payments, offers, requests, purchase
# orders, proposals, service requests (it was 37 with a COUNT beside each section and 5 duplicate look-ups)
CARD_STATEMENTS = 20


def test_the_card_counts_all_rows_in_one_statement_per_section(app):
    company = partner("Школа", tax_id="7701234567", phone="+7 495 123-45-67")
    twin = partner("Школа №2", tax_id="7701234567")  # a duplicate by tax id, and by a similar name
    for i in range(3):
        save_partner(db.session, PartnerInput(name=f"Contact {i}", kind="person", company_id=company.id))
        deal(f"D{i}", company)
    pid, twin_id = company.id, twin.id
    db.session.expire_all()
    with statements() as log:
        card = build_card(db.session, pid, limit=2)
    assert len(log) <= CARD_STATEMENTS, len(log)
    deals = next(s for s in card.sections if s.key == "deals")
    assert (deals.total, [r["title"] for r in deals.rows]) == (3, ["D2", "D1"])
    assert (card.contacts_total, len(card.contacts)) == (3, 3)
    assert [(d.partner_id, d.reason) for d in card.duplicates] == [(twin_id, "tax_id")]
