"""Live costing of proposal lines: each cost source with exact figures, nodes with routing labour, pricing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.extensions import db
from app.models.proposals import COST_SOURCES
from app.services.proposals import ExtraLine, ProposalInput, evaluate
from tests.proposals import factories_proposals as fp


def _one(robot, code: str, qty: str, source: str, **kw):
    data = ProposalInput(robot.partner.id, extra_lines=[ExtraLine("", qty, item_id=robot.items[code].id)],
                         currency_id=robot.currency_id, cost_source=source, **kw)
    return evaluate(db.session, data)


@pytest.mark.parametrize("source,cost", [
    ("fifo", D("200.0000")),  # 1 reserved takes one of the 2 @ 90: 1 x 90 + 1 x 110
    ("average", D("204.0000")),  # (2 x 90 + 3 x 110) / 5 = 102
    ("last_purchase", D("220.0000")),  # the latest receipt, 110
    ("standard", D("190.0000")),  # 95
])
def test_cost_of_two_processors_by_source(app, source, cost):
    robot = fp.robot()
    ev = _one(robot, "CPU-STD", "2", source)
    assert ev.lines[0].cost == cost and ev.priced.cost == cost
    assert ev.notes == []


def test_fifo_demand_beyond_free_stock_is_priced_at_the_newest_lot_and_noted(app):
    robot = fp.robot()
    ev = _one(robot, "CPU-STD", "6", "fifo")
    # free: 1 @ 90, 3 @ 110; 2 more at the newest lot's 110
    assert ev.lines[0].cost == D("640.0000")
    assert [n.render() for n in ev.notes] == ["2 of CPU-STD beyond the free stock priced at the newest lot's cost"]


def test_an_item_without_a_cost_by_the_source_falls_back_to_standard_with_a_note(app):
    robot = fp.robot()
    ev = _one(robot, "LIDAR", "1", "fifo")
    assert ev.lines[0].cost == D("400.0000")
    assert [n.render() for n in ev.notes] == ["LIDAR has no cost by this source: its standard cost is used"]


def test_best_offer_uses_the_product_matrix_or_says_it_fell_back(app):
    robot = fp.robot()
    try:
        from app.models.purchasing import SupplierOffer
    except ImportError:
        SupplierOffer = None
    if SupplierOffer is not None:
        supplier = fp.partner("ChipSnab", "chips@example.com")
        db.session.add(SupplierOffer(supplier_id=supplier.id, item_id=robot.items["CPU-STD"].id, price=D("85"),
                                     currency_id=robot.currency_id, valid_from=date(2026, 1, 1)))
        db.session.commit()
        ev = _one(robot, "CPU-STD", "2", "best_offer")
        assert ev.lines[0].cost == D("170.0000") and ev.notes == []
    ev = _one(robot, "BOARD", "2", "best_offer")
    assert ev.lines[0].cost == D("96.0000")  # no offer: standard 48
    assert len(ev.notes) == 1


def test_a_node_costs_its_bom_plus_routing_labour(app):
    robot = fp.robot()
    ev = _one(robot, "N-BASE", "2", "fifo")
    # 2 cases @ 80 + 8 bolts @ 1 + (6 set-up + 2 x 30 run) minutes at 120 per hour = 160 + 8 + 132
    line = ev.lines[0]
    assert (line.cost, line.node, line.labour) == (D("300.0000"), True, D(132))
    assert sorted((label, cost) for label, _, cost in line.parts) == [("BOLT", D(8)), ("CASE", D(160))]
    assert _one(robot, "N-BASE", "2", "standard").lines[0].cost == D("280.0000")  # 2 x 70 + 8 + 132


def test_margin_discount_per_client_group_and_line(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    fp.rule("partner", discount="10", partner_id=robot.partner.id)
    ev = _one(robot, "CPU-STD", "2", "fifo")
    line = ev.lines[0]
    # unit cost 100 -> 125 at 20% margin -> 112.50 after the client's 10% -> 225 for two
    assert (line.unit_price, line.price, line.margin_pct) == (D("112.5000"), D("225.0000"), D("11.11"))
    own = ProposalInput(robot.partner.id, currency_id=robot.currency_id, extra_lines=[
        ExtraLine("", "2", item_id=robot.items["CPU-STD"].id, margin_pct="50", discount_pct="0")])
    line = evaluate(db.session, own).lines[0]
    assert (line.unit_price, line.price, line.margin_pct) == (D("200.0000"), D("400.0000"), D("50.00"))


def test_the_configured_model_is_costed_and_priced_per_line_and_in_total(app):
    robot = fp.robot()
    fp.rule("all", margin="20")
    sel = {robot.options["std"].id: 1, robot.options["board"].id: 2}
    ev = evaluate(db.session, ProposalInput(robot.partner.id, robot.model.id, qty="1", selection=sel,
                                            currency_id=robot.currency_id, tax_pct="20"))
    costs = {ln.description: ln.cost for ln in ev.lines}
    # base node 80 + 4 + 72 labour; processor 1 (after the reserved one) @ 90; 2 boards @ 50
    assert costs == {"N-BASE": D("156.0000"), "Processor Std (CPU-STD)": D("90.0000"), "Board (BOARD)": D("100.0000")}
    assert ev.priced.cost == D("346.0000")
    assert ev.priced.price == D("432.5000")  # 195 + 112.50 + 125
    assert (ev.priced.tax, ev.priced.total, ev.priced.margin_pct) == (D("86.5000"), D("519.0000"), D("20.00"))
    assert [g["label"] for g in ev.groups()] == ["Base configuration", "Processor", "Boards"]


def test_every_source_is_costed_in_a_few_queries(app):
    from bench.sqlcount import statements

    robot = fp.robot()
    data = ProposalInput(robot.partner.id, robot.model.id, selection={robot.options["std"].id: 1},
                         currency_id=robot.currency_id)
    for source in COST_SOURCES:
        evaluate(db.session, data, source=source)
        with statements() as log:
            evaluate(db.session, data, source=source)
        assert len(log) <= 25, (source, len(log))


def test_a_calculator_result_becomes_a_line_with_its_cost_price_version_and_inputs(app):
    from app.models.calculators import CalculationRun, Calculator, CalculatorVersion
    from app.services.proposals.configure import extra_from_run

    robot = fp.robot(with_stock=False)
    calc = Calculator(code="DOOR", name="Interior door")
    db.session.add(calc)
    db.session.flush()
    version = CalculatorVersion(calculator_id=calc.id, number=3)
    db.session.add(version)
    db.session.flush()
    run = CalculationRun(calculator_id=calc.id, version_id=version.id, inputs={"height": "2000", "width": "800"},
                         outputs={}, cost=D("1000"), price=D("1500"), description="Door 2000 x 800, oak")
    db.session.add(run)
    db.session.commit()
    line = extra_from_run(db.session, run.id)
    ev = evaluate(db.session, ProposalInput(robot.partner.id, currency_id=robot.currency_id, extra_lines=[line]))
    (out,) = ev.lines
    assert (out.kind, out.description, out.cost, out.unit_price) == ("calculator", "Door 2000 x 800, oak",
                                                                     D("1000.0000"), D("1500.0000"))
    assert (line.calculator_version_id, line.calculation_run_id) == (version.id, run.id)
    assert '"height": "2000"' in line.calculator_inputs
