"""A TCP, the order and the invoice made from it carry the same amounts, to the kopek.

The rule (app.domain.money): per line, net = qty x unit price rounded to the kopek, tax = the
rounded net x rate rounded to the kopek; document totals are sums of the rounded lines (Russian
and Spanish invoices print VAT per line). The configured product is sold as one order line, so
the TCP's tax is computed on that line, not on its options one by one.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models.sales import SalesInvoice, SalesOrder
from app.services import proposals as svc
from app.services.proposals import ExtraLine, InstalmentInput, ProposalInput
from tests.proposals import factories_proposals as fp

D = Decimal
KOPEK = D("0.01")


def _convert(data: ProposalInput):
    p = svc.save_proposal(db.session, data)
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    done = svc.convert_proposal(db.session, p.id)
    return done, db.session.get(SalesOrder, done.sales_order_id), db.session.get(SalesInvoice, done.invoice_id)


def _figures(doc) -> tuple[Decimal, Decimal, Decimal]:
    if isinstance(doc, SalesOrder):
        return doc.amount_net, doc.amount_tax, doc.amount_total
    if isinstance(doc, SalesInvoice):
        return doc.amount_net, doc.amount_tax, doc.amount_total
    return doc.price_total, doc.tax_total, doc.grand_total


def test_tax_per_line_not_on_the_total(app):
    """Two lines of 10.03 at 20%: VAT 2.01 + 2.01 = 4.02 on every document (4.012 on the TCP before)."""
    robot = fp.robot(with_stock=False)
    lines = [ExtraLine("Setup, day 1", unit_cost="10.03"), ExtraLine("Setup, day 2", unit_cost="10.03")]
    p, order, invoice = _convert(ProposalInput(robot.partner.id, currency_id=robot.currency_id, tax_pct="20",
                                               extra_lines=lines, instalments=[InstalmentInput("100")]))
    assert _figures(p) == (D("20.06"), D("4.02"), D("24.08"))
    assert _figures(order) == _figures(p) == _figures(invoice)


def test_the_configured_product_is_taxed_as_the_order_line_it_becomes(app):
    """3 robots whose options cost odd kopeks: the order sells them as one line; the TCP's VAT is that line's."""
    robot = fp.robot()
    o = robot.options
    data = ProposalInput(robot.partner.id, robot.model.id, qty="3", currency_id=robot.currency_id, tax_pct="20",
                         margin_pct="17.3", discount_pct="3", selection={o["std"].id: 1, o["board"].id: 2},
                         extra_lines=[ExtraLine("Delivery", unit_cost="1111.11", margin_pct="0")],
                         instalments=[InstalmentInput("100")])
    p, order, invoice = _convert(data)
    product = next(ln for ln in order.lines if ln.item_id == p.custom_item_id)
    assert product.amount_net == sum((ln.price for ln in p.lines if ln.kind != "manual"), D(0))
    assert _figures(order) == _figures(p) == _figures(invoice)
    assert p.tax_total == sum((ln.amount_tax for ln in order.lines), D(0))


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
margins = st.decimals(min_value=0, max_value=D("60"), places=2)
discounts = st.decimals(min_value=0, max_value=D("30"), places=2)
taxes = st.sampled_from(["0", "10", "20", "21", "7.5", "12.5"])
quantities = st.one_of(st.integers(1, 40).map(str), st.sampled_from(["0.5", "2.25", "1.333"]))
extra = st.builds(lambda cost, qty, margin, disc: (cost, qty, margin, disc), amounts, quantities, margins, discounts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(qty=st.integers(1, 12), boards=st.integers(0, 2), margin=margins, discount=discounts, tax=taxes,
       extras=st.lists(extra, max_size=4))
def test_tcp_order_and_invoice_totals_are_equal(app, qty, boards, margin, discount, tax, extras):
    robot = _robot()
    o = robot.options
    selection = {o["std"].id: 1, **({o["board"].id: boards} if boards else {})}
    data = ProposalInput(robot.partner.id, robot.model.id, qty=str(qty), currency_id=robot.currency_id, tax_pct=tax,
                         margin_pct=str(margin), discount_pct=str(discount), selection=selection,
                         extra_lines=[ExtraLine(f"Work {n}", qty=q, unit_cost=str(c), margin_pct=str(m),
                                                discount_pct=str(d)) for n, (c, q, m, d) in enumerate(extras)],
                         instalments=[InstalmentInput("100")])
    p, order, invoice = _convert(data)
    assert _figures(p) == _figures(order) == _figures(invoice)
    for doc_lines, doc in ((order.lines, order), (invoice.lines, invoice)):
        assert sum((ln.amount_tax for ln in doc_lines), D(0)) == doc.amount_tax
        assert all(ln.amount_tax == ln.amount_tax.quantize(KOPEK) for ln in doc_lines)
    assert p.grand_total == p.price_total + p.tax_total


_ROBOT: dict[int, fp.Robot] = {}


def _robot() -> fp.Robot:
    """One robot model per test database (hypothesis runs every example in the same one)."""
    from app.models.proposals import ProductModel

    key = id(db.engine)
    cached = _ROBOT.get(key)
    if cached is None or db.session.get(ProductModel, cached.model.id) is None:
        _ROBOT[key] = cached = fp.robot()
    return cached
