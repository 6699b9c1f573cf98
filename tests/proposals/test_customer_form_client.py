"""The customer's TCP form in the client's language and currency, listing only what the client buys.

A proposal composed in roubles for a Spanish client who pays in euros (its bank account) is printed
in euros at the day's rate, with the option and base-line texts of its Spanish columns, the configured
product as one line (its node and options inside, the bolts that go into it left out), and totals that
are the sums of its printed lines under the document rule (tax per line).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pypdf import PdfReader

from app.domain.money import document_totals, line_amounts
from app.extensions import db
from app.models.core import CurrencyRate
from app.models.partners import PartnerBankAccount
from app.models.proposals import ModelLine
from app.services import proposals as svc
from app.services.proposals.client import client_currency_id
from app.services.proposals.printing import customer_context, proposal_pdf
from tests import factories as f
from tests.proposals import factories_proposals as fp

D = Decimal
TODAY = date(2026, 12, 7)


def _spanish_school(robot: fp.Robot):
    eur = f.currency("EUR")
    db.session.add(CurrencyRate(currency_id=eur.id, on_date=date(2026, 12, 1), rate=D("100")))
    school = robot.partner
    school.language = "es"
    db.session.add(PartnerBankAccount(partner=school, bank_name="CaixaBank", account="ES91", currency=eur,
                                      is_default=True))
    model = robot.model
    model.base_lines.append(ModelLine(item=robot.items["BOLT"], qty=D(4), sort=2))
    base = model.base_lines[0]
    base.characteristics_ru, base.characteristics_es = "Рама: сталь", "Estructura: acero"
    robot.options["board"].characteristics_ru = "16 входов"
    robot.options["board"].characteristics_es = "16 entradas"
    db.session.commit()
    return eur


def test_the_customer_form_is_in_the_clients_currency_and_language(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    eur = _spanish_school(robot)
    assert client_currency_id(db.session, robot.partner.id) == eur.id
    p = svc.save_proposal(db.session, svc.ProposalInput(
        robot.partner.id, robot.model.id, qty="2", currency_id=robot.currency_id, tax_pct="21",
        selection={robot.options["std"].id: 1, robot.options["board"].id: 2},
        instalments=[svc.InstalmentInput("33.3333", "order"), svc.InstalmentInput("66.6667", "delivery")]))
    db.session.commit()
    assert p.currency.code == "RUB"

    ctx = customer_context(db.session, p, "es", on=TODAY)
    assert ctx["doc"]["currency"] == "EUR"
    [product] = [ln for ln in ctx["lines"] if ln.get("bundle")]
    parts = [part["description"] for part in product["parts"]]
    assert "BOLT" not in " ".join(parts) and any("N-BASE" in d for d in parts)
    # every price is the rouble price / 100, to the cent; the totals are those of the printed lines
    rub_bundle = sum((ln.price for ln in p.lines if ln.kind in ("base", "option")), D(0))
    assert product["unit_price"] == (rub_bundle / p.qty / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    sums = document_totals(line_amounts(ln["qty"], ln["unit_price"], D(0), D(21)) for ln in ctx["lines"])
    assert (ctx["totals"]["price"], ctx["totals"]["tax"], ctx["totals"]["total"]) == (sums.net, sums.tax, sums.total)
    assert sum(i["amount"] for i in ctx["schedule"]) == sums.total

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(proposal_pdf(db.session, p.id)[0])).pages)
    assert "Estructura: acero" in text and "16 entradas" in text and "Frame: steel" not in text
    assert "€" in text and "RUB" not in text and "BOLT" not in text
    assert "33,33" in text and "33,3333" not in text  # shares with 2 decimals at most
    assert "Al hacer el pedido" in text  # the payment event, not purchasing's "on order" (En pedido)


def test_a_client_paying_in_the_proposals_currency_gets_the_saved_figures(app):
    robot = fp.robot()
    p = svc.save_proposal(db.session, svc.ProposalInput(
        robot.partner.id, robot.model.id, qty="2", currency_id=robot.currency_id,
        selection={robot.options["std"].id: 1}))
    db.session.commit()
    ctx = customer_context(db.session, p, "ru", on=TODAY)
    assert ctx["doc"]["currency"] == "RUB"
    assert (ctx["totals"]["price"], ctx["totals"]["total"]) == (p.price_total, p.grand_total)
    assert proposal_pdf(db.session, p.id)[1] == f"{p.label}.pdf"
    assert proposal_pdf(db.session, p.id, "internal")[1] == f"{p.label}-internal.pdf"
