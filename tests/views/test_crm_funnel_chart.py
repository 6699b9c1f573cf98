"""The funnel chart (issue 14, item 14): one money axis, amounts in the base currency at the day's rates.

Deals in roubles and euros used to be drawn as separate lines on one shared axis, beside deal counts
and conversion on two more axes. The chart now has one bar per stage in the base currency; a
currency with no rate by the day is left out and named on the chart.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.core import CurrencyRate
from app.services import crm
from tests.factories import currency
from tests.factories_partners import deal, partner, stages


def _story():
    stages()
    rub, eur, usd = currency("RUB"), currency("EUR"), currency("USD")
    db.session.add(CurrencyRate(currency_id=eur.id, on_date=date.today() - timedelta(days=3), rate=Decimal("100")))
    db.session.add(CurrencyRate(currency_id=eur.id, on_date=date.today() + timedelta(days=3), rate=Decimal("999")))
    db.session.commit()
    school = partner("Escuela")
    deal("roubles", school, amount="1000", currency_id=rub.id)
    deal("euros", school, amount="20", currency_id=eur.id)
    deal("dollars", school, amount="7", currency_id=usd.id)


def test_amounts_are_converted_at_the_days_rate(app):
    _story()
    rows = crm.funnel(db.session)
    in_base = crm.funnel_in_base_currency(db.session, rows, date.today())
    lead = [r.stage.name for r in rows].index("Lead")
    assert in_base.currency == "RUB"
    assert in_base.amounts[lead] == Decimal("3000.00"), "1000 RUB + 20 EUR at 100 (the rate of 3 days ago)"
    assert in_base.without_rate == ["USD"]


def test_the_page_draws_one_axis_and_says_which_rates(app, login_as):
    _story()
    client = login_as("Sales")
    client.get("/lang/ru")
    text = client.get("/crm/funnel/").text
    data = json.loads(re.search(r'<script type="application/json" id="funnel-data">(.*?)</script>', text, re.S)
                      .group(1))["chart"]
    lead = data["labels"].index("Лид") if "Лид" in data["labels"] else 0
    assert data["amounts"][lead] == 3000.0
    assert data["currency"] == "RUB"
    assert "RUB" in data["title"] and "по курсу на" in data["title"]
    assert "USD" in data["subtitle"]
    assert data["notes"][lead].startswith("3 сделки")
    assert "amount" not in json.dumps(data["axis"]), "one axis label, translated"
