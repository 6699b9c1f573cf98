"""The demo's Robokids TCP: a configurable RK-Custom, 4 custom robots, 50% prepayment / 50% on delivery,
sent and approved, priced by the demo's rules from the FIFO stock."""

from decimal import Decimal

from app.models.proposals import ProductModel, Proposal
from app.services.demo import load_demo
from app.services.proposals.spec import load_model


def test_the_demo_proposal_for_robokids(app, session):
    load_demo()
    model = session.query(ProductModel).filter_by(code="RK-CUSTOM").one()
    data = load_model(session, model.id, "ru")
    assert data.spec.depth() == 2 and len(data.spec.rules) == 4
    p = session.query(Proposal).filter_by(model_id=model.id).one()
    assert (p.state, p.qty, p.partner.tax_id != "", p.version) == ("approved", Decimal(4), True, 1)
    assert [(i.pct, i.event) for i in p.instalments] == [(Decimal(50), "order"), (Decimal(50), "delivery")]
    assert p.margin_actual_pct >= Decimal(15)  # the floor: the demo saves without an override
    assert p.floor_override_by == ""
    assert {ln.description.split(" (")[0] for ln in p.lines} >= {"Увеличенный корпус", "Процессор Pro", "Лидар",
                                                                  "Пакет для старших школьников"}
    assert p.grand_total == p.price_total + p.tax_total and p.cost_total > 0
