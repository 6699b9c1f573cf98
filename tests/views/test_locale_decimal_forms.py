"""Register forms read and show numbers in the user's locale (FAB's DecimalField -> LocaleDecimalField).

A pricing rule's margin typed "1 234,5" on a Russian page or "1.234,5" on a Spanish one is 1234.5;
the edit form shows it back in that format; an ambiguous "1.234" on a Russian page is refused by the
field's name and nothing is saved.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.proposals import PricingRule


def _add(client, margin: str):
    return client.post("/pricingruleview/add", data={"name": "Rule", "scope": "all", "margin_pct": margin,
                                                      "discount_pct": "", "floor_margin_pct": "", "active": "y"},
                       follow_redirects=True)


@pytest.mark.parametrize("lang, typed, shown", [("ru", "1 234,5", "1\u00a0234,5"), ("ru", "1\u00a0234,5", None),
                                                ("es", "1.234,5", "1.234,5"), ("en", "1,234.5", "1,234.5")])
def test_a_number_typed_in_the_locale_is_saved_and_shown_back(app, login_as, lang, typed, shown):
    client = login_as("Manager")
    client.get(f"/lang/{lang}")
    assert _add(client, typed).status_code == 200
    rule = db.session.query(PricingRule).one()
    assert rule.margin_pct == Decimal("1234.5")
    if shown:
        page = client.get(f"/pricingruleview/edit/{rule.id}").get_data(as_text=True)
        assert f'value="{shown}"' in page


def test_an_ambiguous_number_is_refused_by_the_field_name(app, login_as):
    client = login_as("Manager")
    client.get("/lang/ru")
    page = _add(client, "1.234").get_data(as_text=True)
    assert db.session.query(PricingRule).count() == 0
    assert "неоднозначно" in page and "1.234" in page
    assert "Наценка" in page or "Маржа" in page  # the field's label starts the message


def test_the_api_reads_string_numbers_by_the_locale_free_rule(app):
    """Machines call the API: "1234.56" and the app's own "50 000,00" are read, "1,234" is ambiguous."""
    from app.api.params import number
    from app.domain.errors import DomainError

    with app.test_request_context("/api/v1/salesorder/", headers={"Accept-Language": "es"}):
        assert number("1234.56", "price", money=True) == Decimal("1234.56")
        assert number("50 000,00", "price", money=True) == Decimal("50000.00")
        assert number("1.234", "qty") == Decimal("1.234")  # not 1234, whatever the client's language
        with pytest.raises(DomainError) as caught:
            number("1,234", "qty")
        assert "ambiguous" in caught.value.messages()[0] and "qty" in caught.value.messages()[0]
    with app.test_request_context("/pricingruleview/add"):
        from flask import session

        session["locale"] = "es"
        assert number("1.234", "qty") == Decimal(1234)  # a Spanish page: the grouping point


def test_a_lookup_table_edited_on_a_spanish_page_keeps_its_fractions(app, login_as):
    """The rows come back in the reader's format: "0.125" retyped on a Spanish page would be 125."""
    import re

    from app.models.calculators import LookupTable
    from app.services.calculators.definitions import TableInput, save_table

    table = save_table(db.session, TableInput(name="weights", text="key;label;kg\nbolt;Bolt;0.125\nbox;Box;1250"))
    db.session.commit()
    client = login_as("Engineer")
    client.get("/lang/es")
    page = client.get(f"/lookuptableview/rows/{table.id}").get_data(as_text=True)
    text = re.search(r"<textarea[^>]*>([^<]*)</textarea>", page).group(1)
    assert "bolt;Bolt;0,125" in text and "box;Box;1250" in text
    assert client.post(f"/lookuptableview/rows/{table.id}", data={"text": text}).status_code == 302
    db.session.expire_all()
    values = {r.key: r.values["kg"] for r in db.session.get(LookupTable, table.id).rows}
    assert (Decimal(values["bolt"]), Decimal(values["box"])) == (Decimal("0.125"), Decimal(1250))
