"""Proposal workflow: rules refuse a save (nothing written), the floor margin needs a Manager, states,
versions, the customer and internal forms, e-mail, the client card, conversion into an order."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from app.domain.errors import DomainError
from app.extensions import db
from app.models.proposals import PaymentInstalment, Proposal, ProposalLine
from app.services import proposals as svc
from app.services.base import Actor, acting_as
from app.services.proposals import InstalmentInput, ProposalInput
from tests.proposals import factories_proposals as fp

HALF_HALF = [InstalmentInput("50", "order"), InstalmentInput("50", "delivery", days=10)]


def _input(robot, **kw) -> ProposalInput:
    kw.setdefault("selection", {robot.options["std"].id: 1, robot.options["board"].id: 2})
    kw.setdefault("instalments", list(HALF_HALF))
    return ProposalInput(robot.partner.id, robot.model.id, qty=kw.pop("qty", "4"), currency_id=robot.currency_id,
                         **kw)


def _as(app, role: str) -> Actor:
    user = app.appbuilder.sm.find_user(username=role.lower())
    return Actor(user.id, user.username)


def _counts() -> tuple[int, int, int]:
    return (db.session.query(Proposal).count(), db.session.query(ProposalLine).count(),
            db.session.query(PaymentInstalment).count())


def test_a_broken_rule_refuses_the_save_naming_the_rule_and_writes_nothing(app):
    robot = fp.robot()
    sel = {robot.options["std"].id: 1, robot.options["lidar"].id: 1, robot.options["board"].id: 3}
    with pytest.raises(DomainError) as err:
        svc.save_proposal(db.session, _input(robot, selection=sel, instalments=[InstalmentInput("60")]))
    assert err.value.messages() == [
        "The payment schedule must add up to 100% (now 60%)",
        "Option 'Lidar' requires 'Processor Pro'",
        "At most 2 of 'Board' with 'Processor Std' (chosen: 3)",
    ]
    assert _counts() == (0, 0, 0)


def test_the_third_level_is_checked_through_the_service(app):
    robot = fp.robot()
    sel = {robot.options["pro"].id: 1, robot.options["npu"].id: 1}
    with pytest.raises(DomainError) as err:
        svc.save_proposal(db.session, _input(robot, selection=sel))
    assert err.value.messages() == ["Choose an option in 'Firmware'"]
    sel[robot.options["vision"].id] = 1
    p = svc.save_proposal(db.session, _input(robot, selection=sel))
    assert [ln.description for ln in p.lines] == ["N-BASE", "Processor Pro (CPU-PRO)", "NPU", "Vision (FW-VIS)"]


def test_below_the_floor_a_sales_user_is_refused_and_a_manager_may_save(app):
    robot = fp.robot()
    fp.rule("all", margin="10", floor="20")
    with acting_as(_as(app, "Sales")), pytest.raises(DomainError) as err:
        svc.save_proposal(db.session, _input(robot))
    assert err.value.messages()[0] == "The margin 10% is below the floor of 20%: only a manager can approve it"
    assert _counts() == (0, 0, 0)
    with acting_as(_as(app, "Economist")), pytest.raises(DomainError):
        svc.save_proposal(db.session, _input(robot))
    with acting_as(_as(app, "Manager")):
        p = svc.save_proposal(db.session, _input(robot))
    assert p.floor_override_by == "manager" and p.margin_actual_pct == D("10.00")
    with acting_as(_as(app, "Sales")):
        ok = svc.save_proposal(db.session, _input(robot, margin_pct="25"))
    assert ok.floor_override_by == "" and ok.margin_actual_pct == D("25.00")


def test_saved_lines_keep_the_snapshot_costs_and_prices(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    p = svc.save_proposal(db.session, _input(robot))
    assert p.number.startswith("TCP-") and p.version == 1 and p.root_id == p.id and p.state == "draft"
    rows = [(ln.description, ln.qty, ln.unit_cost, ln.cost, ln.unit_price, ln.price) for ln in p.lines]
    # 4 robots: 4 nodes (4 cases @ 80, 16 bolts @ 1, 6 + 4 x 30 min at 2 per minute), 4 processors (1 @ 90 +
    # 3 @ 110 free), 8 boards @ 50
    assert rows == [
        ("N-BASE", D(4), D("147.0000"), D("588.0000"), D("183.7500"), D("735.0000")),
        ("Processor Std (CPU-STD)", D(4), D("105.0000"), D("420.0000"), D("131.2500"), D("525.0000")),
        ("Board (BOARD)", D(8), D("50.0000"), D("400.0000"), D("62.5000"), D("500.0000")),
    ]
    assert (p.cost_total, p.price_total, p.grand_total, p.margin_actual_pct) == (
        D("1408.0000"), D("1760.0000"), D("1760.0000"), D("20.00"))
    assert [(i.seq, i.pct, i.event, i.days) for i in p.instalments] == [(1, D(50), "order", 0),
                                                                        (2, D(50), "delivery", 10)]


def test_workflow_states_and_versions(app):
    robot = fp.robot()
    p = svc.save_proposal(db.session, _input(robot))
    with pytest.raises(DomainError) as err:
        svc.approve_proposal(db.session, p.id)
    assert err.value.messages() == [f"Proposal (TCP) {p.label} is “Draft”: “Approval” is possible only in these "
                                    "states: Sent"]
    svc.send_proposal(db.session, p.id)
    with pytest.raises(DomainError):
        svc.save_proposal(db.session, _input(robot), p.id)
    v2 = svc.revise_proposal(db.session, p.id)
    old = db.session.get(Proposal, p.id)
    assert (v2.number, v2.version, v2.state, v2.root_id, v2.is_current) == (p.number, 2, "draft", p.id, True)
    assert (old.state, old.is_current, len(old.lines)) == ("sent", False, 3)
    with pytest.raises(DomainError) as err:
        svc.approve_proposal(db.session, old.id)
    assert err.value.messages() == [f"Proposal {p.number} has a newer version: work on the current one"]
    sel = {robot.options["std"].id: 1}
    v2 = svc.save_proposal(db.session, _input(robot, selection=sel), v2.id)
    assert len(v2.lines) == 2 and len(db.session.get(Proposal, p.id).lines) == 3
    svc.send_proposal(db.session, v2.id)
    svc.reject_proposal(db.session, v2.id, "too expensive")
    v3 = svc.revise_proposal(db.session, v2.id)
    svc.send_proposal(db.session, v3.id)
    done = svc.approve_proposal(db.session, v3.id)
    assert (done.state, done.version, done.label) == ("approved", 3, f"{p.number}/3")
    assert [v.version for v in svc.versions(db.session, done)] == [1, 2, 3]
    assert [(v.state, v.is_current) for v in svc.versions(db.session, done)] == [
        ("sent", False), ("rejected", False), ("approved", True)]


def test_what_if_and_the_drift_since_sending(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    p = svc.save_proposal(db.session, _input(robot, qty="1"))
    svc.send_proposal(db.session, p.id)
    rows, drift = svc.what_if(db.session, p.id)
    by = {r.source: r.cost for r in rows}
    # node 156 each way but standard (70 case); processor fifo 90 / avg 102 / last 110 / std 95; boards 2 x 50 / 48
    assert by == {"fifo": D("346.0000"), "average": D("358.0000"), "last_purchase": D("366.0000"),
                  "best_offer": by["best_offer"], "standard": D("337.0000")}
    assert drift.snapshot_cost == drift.current_cost == D("346.0000") and drift.margin_change == 0
    fp.f.receipt(robot.wh, [(robot.items["BOARD"], 1, "50")])  # nothing changes for FIFO yet
    from app.services.stock.reservations import reserve

    reserve(db.session, "sales_order", 998, "SO-Y", robot.items["BOARD"].id, robot.wh.id, D(10))
    db.session.commit()
    _, drift = svc.what_if(db.session, p.id)
    # 10 boards reserved: the free one costs 50, the second one beyond stock at the newest lot's 50
    assert drift.current_cost == D("346.0000")
    reserve(db.session, "sales_order", 997, "SO-Z", robot.items["CPU-STD"].id, robot.wh.id, D(3))
    db.session.commit()
    _, drift = svc.what_if(db.session, p.id)
    assert drift.current_cost == D("366.0000") and drift.margin_change < 0


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_customer_form_shows_no_cost_and_the_internal_one_does(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    p = svc.save_proposal(db.session, _input(robot))
    from app.services.proposals.printing import proposal_pdf

    customer = _text(proposal_pdf(db.session, p.id, "customer", "en")[0])
    internal = _text(proposal_pdf(db.session, p.id, "internal", "en")[0])
    cost_figures = ["147", "588", "105", "420", "1 408", "1,408", "1408"]
    assert "cost" not in customer.lower() and "margin" not in customer.lower()
    assert not [c for c in cost_figures if c in customer], customer
    # the configured product is one line (its parts listed inside, without prices): half the total per instalment
    assert "RUB880.00" in customer and "Range: 12 m" not in customer and "Frame: steel" in customer
    assert "Payment schedule" in customer and "On delivery" in customer
    assert "Cost" in internal and "588" in internal and "420" in internal and "20.00" in internal
    ru = _text(proposal_pdf(db.session, p.id, "customer", "ru")[0])
    assert not [c for c in cost_figures if c in ru] and "себестоим" not in ru.lower()


def test_the_customer_form_names_options_in_the_clients_language(app):
    """Lines are saved in the language they were composed in; the printed form speaks the client's."""
    robot = fp.robot()
    p = svc.save_proposal(db.session, _input(robot))
    from app.models.proposals import ProductOption
    from app.services.proposals.printing import proposal_pdf

    chosen = [db.session.get(ProductOption, ln.option_id) for ln in p.lines if ln.option_id]
    assert chosen
    es = _text(proposal_pdf(db.session, p.id, "customer", "es")[0])
    ru = _text(proposal_pdf(db.session, p.id, "customer", "ru")[0])
    for option in chosen:
        assert f"{option.name} (es)" in es and f"{option.name} (ru)" not in es
        assert f"{option.name} (ru)" in ru


def test_emailing_the_customer_form_is_recorded_in_the_outbox(app, monkeypatch):
    from app.models.core import Company
    from app.models.mail import OutboxMessage
    from app.services import mail

    robot = fp.robot()
    p = svc.save_proposal(db.session, _input(robot))
    from app.services.proposals.printing import email_proposal

    with pytest.raises(DomainError):
        email_proposal(db.session, p.id)
    company = db.session.query(Company).one()
    company.smtp_host, company.mail_from = "smtp.example", "tcp@fabrika.example"
    db.session.commit()
    sent = []
    monkeypatch.setattr(mail, "_smtp_send", lambda settings, email: sent.append(email))
    msg = email_proposal(db.session, p.id)
    assert msg.recipients == "info@robokids.example" and msg.entity == "proposal" and msg.entity_id == p.id
    assert msg.attachments[0].filename.startswith("TCP-") and len(sent) == 1
    assert db.session.query(OutboxMessage).count() == 1


def test_the_client_card_lists_current_versions(app):
    from app.services.proposals.card import card_sections

    robot = fp.robot()
    p = svc.save_proposal(db.session, _input(robot))
    svc.send_proposal(db.session, p.id)
    svc.revise_proposal(db.session, p.id)
    (section,) = card_sections(db.session, robot.partner.id)
    assert section.total == 1 and section.rows[0]["number"] == f"{p.number}/2"
    assert card_sections(db.session, robot.partner.id + 1000)[0].total == 0


def test_an_approved_proposal_becomes_an_order_an_invoice_a_bom_and_a_production_order(app):
    sales = pytest.importorskip("app.services.sales")
    if not hasattr(sales, "create_order"):
        pytest.skip("sales services not there yet")
    from app.models.production import Bom, ProductionOrder

    robot = fp.robot()
    fp.rule("all", margin="20")
    p = svc.save_proposal(db.session, _input(robot))
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    done = svc.convert_proposal(db.session, p.id)
    assert done.state == "converted" and done.sales_order_id and done.invoice_id
    from app.models.sales import SalesOrder

    order = db.session.get(SalesOrder, done.sales_order_id)
    assert order.proposal_id == p.id and len(order.lines) == 1
    assert order.state == "confirmed" and order.warehouse_id is not None  # the client said yes
    assert (order.lines[0].qty, order.lines[0].unit_price) == (D(4), D("440.0000"))  # 1760 / 4
    bom = db.session.query(Bom).filter_by(item_id=done.custom_item_id).one()
    assert sorted((ln.item.code, ln.qty) for ln in bom.lines) == [("BOARD", D(2)), ("CPU-STD", D(1)), ("N-BASE", D(1))]
    mo = db.session.get(ProductionOrder, done.production_order_id)
    assert (mo.item_id, mo.qty, mo.state) == (done.custom_item_id, D(4), "draft")
    with pytest.raises(DomainError):
        svc.convert_proposal(db.session, p.id)


def test_bad_numbers_and_a_missing_client_are_all_reported_and_nothing_is_written(app):
    robot = fp.robot(with_stock=False)
    data = _input(robot, qty="2.5", margin_pct="abc", discount_pct="150")
    data.partner_id = None
    with pytest.raises(DomainError) as err:
        svc.save_proposal(db.session, data)
    assert err.value.messages() == [
        "The number of products must be a positive whole number",
        "Not a number: abc",
        "The discount must be from 0 to 100%",
        "Choose the client",
    ]
    assert _counts() == (0, 0, 0)


def test_a_proposal_names_an_existing_deal_only(app):
    robot = fp.robot(with_stock=False)
    with pytest.raises(DomainError) as err:
        svc.save_proposal(db.session, _input(robot, deal_id=424242))
    assert err.value.messages() == ["Deal not found"]
    from app.models.crm import Deal, DealStage

    stage = DealStage(name="New", sort_order=1, probability=10)
    db.session.add(stage)
    db.session.flush()
    deal = Deal(title="4 custom robots", partner_id=robot.partner.id, stage_id=stage.id)
    db.session.add(deal)
    db.session.commit()
    assert svc.save_proposal(db.session, _input(robot, deal_id=deal.id)).deal_id == deal.id
