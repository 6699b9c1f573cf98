"""The lines grid of a stock draft (one save, one transaction), partner links and returns limited by the shipment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.models.stock import StockDocument, StockDocumentLine
from app.services.sales import confirm_order
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
from app.services.stock import DocumentInput, LineInput, create_document, post_document
from app.services.stock.grid import GridLine, save_lines
from app.services.stock.partner_links import link_partner_names
from app.services.stock.returns import returnable
from tests import factories as f
from tests import factories_partners as fp
from tests.sales import factories_sales as fs

D = Decimal


def _draft(session, wh, it, partner=None):
    return create_document(session, DocumentInput("receipt", wh.id, lines=[LineInput(it.id, "2", unit_cost="10")],
                                                  partner_id=partner.id if partner else None))


def _lines(session, doc_id):
    session.expire_all()
    return [(ln.line_no, ln.item.code, ln.qty, ln.unit_cost) for ln in session.get(StockDocument, doc_id).lines]


def test_grid_adds_changes_and_removes_lines_in_one_save(app, session):
    wh, cpu, bolt = f.warehouse(), f.item("CPU-1"), f.item("BOLT")
    f.unit("box")
    f.unit_conversion(bolt, "box", "100")
    doc = _draft(session, wh, cpu)
    kept_id = doc.lines[0].id
    version = session.get(StockDocument, doc.id).row_version
    save_lines(session, doc.id, [GridLine(bolt.id, "3", "box", "150,5", note="boxes"),
                                 GridLine(cpu.id, "5", None, "12", line_id=kept_id)], opened_version=version)
    assert _lines(session, doc.id) == [(1, "BOLT", D(3), D("150.5")), (2, "CPU-1", D(5), D(12))]
    saved = session.get(StockDocument, doc.id)
    assert saved.lines[1].id == kept_id  # the edited line keeps its row (and its audit history)
    assert saved.lines[0].unit.code == "box" and saved.row_version == version + 1
    save_lines(session, doc.id, [GridLine(cpu.id, "5", None, "12", line_id=kept_id)], saved.row_version)
    assert _lines(session, doc.id) == [(1, "CPU-1", D(5), D(12))]
    post_document(session, doc.id)
    assert f.balance(cpu, wh) == (D(5), D("60.00"))


def test_grid_refusal_names_row_item_and_field_and_saves_nothing(app, session):
    wh, cpu, bolt = f.warehouse(), f.item("CPU-1"), f.item("BOLT")
    doc = _draft(session, wh, cpu)
    with pytest.raises(DomainError) as err:
        save_lines(session, doc.id, [GridLine(cpu.id, "1", None, "10"), GridLine(bolt.id, "-2", None, ""),
                                     GridLine(bolt.id, "1", "kg", "1")])
    assert err.value.messages() == [
        "Line 2 (BOLT), Quantity: Quantity must be positive",
        "Line 2 (BOLT), Unit cost: Enter the unit cost",
        "Line 3 (BOLT), Unit: Unknown unit kg",
    ]
    assert [(p.line, p.field) for p in err.value.problems] == [(2, "qty"), (2, "unit_cost"), (3, "unit")]
    assert _lines(session, doc.id) == [(1, "CPU-1", D(2), D(10))]


def test_grid_refuses_a_save_over_a_newer_one_and_a_posted_document(app, session):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    doc = _draft(session, wh, cpu)
    opened = session.get(StockDocument, doc.id).row_version
    save_lines(session, doc.id, [GridLine(cpu.id, "7", None, "10")], opened)  # the other user's save
    with pytest.raises(DomainError, match="since you opened it"):
        save_lines(session, doc.id, [GridLine(cpu.id, "1", None, "10")], opened)
    assert _lines(session, doc.id) == [(1, "CPU-1", D(7), D(10))]
    post_document(session, doc.id)
    with pytest.raises(DomainError, match="Posted"):
        save_lines(session, doc.id, [GridLine(cpu.id, "1", None, "10")])
    assert session.query(StockDocumentLine).count() == 1


def test_receipt_links_its_supplier(app, session):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    supplier = fp.partner("Чип")
    doc = _draft(session, wh, cpu, supplier)
    session.expire_all()
    saved = session.get(StockDocument, doc.id)
    assert saved.partner_id == supplier.id and saved.counterparty == "Чип" and saved.partner_name == ""


@pytest.fixture
def shipped(app, session):
    wh = f.warehouse()
    robot, kit = fs.priced_item("ROBOT", "100"), fs.priced_item("KIT", "50")
    fs.stock(wh, robot, 5, cost="60")
    fs.stock(wh, kit, 5, cost="20")
    order = fs.order(fs.client(), [(robot, 3), (kit, 2)])
    confirm_order(session, order.id)
    ship = ship_order(session, ShipmentInput(order.id, [ShipmentLineInput(order.lines[0].id, "3"),
                                                        ShipmentLineInput(order.lines[1].id, "2")]))
    return wh, robot, kit, ship


def test_return_starts_from_the_shipment_and_never_exceeds_it(shipped, session):
    wh, robot, kit, ship = shipped
    ret = create_document(session, DocumentInput("customer_return", wh.id, doc_date=date.today(),
                                                 shipment_id=ship.id))
    session.expire_all()
    ret = session.get(StockDocument, ret.id)
    assert ret.partner_id == ship.partner_id
    assert sorted((ln.item.code, ln.qty, ln.unit_cost) for ln in ret.lines) == [("KIT", D(2), D(20)),
                                                                                ("ROBOT", D(3), D(60))]
    robot_only = [GridLine(robot.id, "1", None, "60")]
    save_lines(session, ret.id, robot_only)
    post_document(session, ret.id)
    assert returnable(session, ship.id)[robot.id].left == D(2)
    second = create_document(session, DocumentInput("customer_return", wh.id, shipment_id=ship.id))
    with pytest.raises(DomainError) as err:
        save_lines(session, second.id, [GridLine(robot.id, "3", None, "60"),
                                        GridLine(f.item("OTHER").id, "1", None, "1")])
    assert err.value.messages() == [
        f"Line 1 (ROBOT), Quantity: ROBOT: 3 to return, but 3 were shipped in {ship.number} and 1 already came back, "
        "so at most 2",
        f"Line 2 (OTHER), Item: OTHER was not shipped in {ship.number}",
    ]


def test_two_returns_of_one_shipment_cannot_together_exceed_it(shipped, session):
    wh, robot, kit, ship = shipped
    first = create_document(session, DocumentInput("customer_return", wh.id, shipment_id=ship.id,
                                                   lines=[LineInput(robot.id, "2", unit_cost="60")]))
    second = create_document(session, DocumentInput("customer_return", wh.id, shipment_id=ship.id,
                                                    lines=[LineInput(robot.id, "2", unit_cost="60")]))
    post_document(session, first.id)
    with pytest.raises(DomainError, match="at most 1"):  # checked again at posting, under the document's lock
        post_document(session, second.id)
    with pytest.raises(DomainError, match="at most 1"):
        create_document(session, DocumentInput("customer_return", wh.id, shipment_id=ship.id,
                                               lines=[LineInput(robot.id, "3", unit_cost="60")]))
    assert f.balance(robot, wh)[0] == D(4)  # 5 - 3 shipped + 2 back


def test_documents_typed_with_a_partner_text_get_linked(app, session):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    chip = fp.partner("Чип", legal_name="ООО «Чип»")
    fp.partner("Твин")
    fp.partner("Твин")  # two partners of that name: the text stays text
    typed = [create_document(session, DocumentInput("receipt", wh.id, partner_name=name,
                                                    lines=[LineInput(cpu.id, "1", unit_cost="5")]))
             for name in ("ООО  «Чип» ", "чип", "Твин", "Никто")]
    result = link_partner_names(session)
    assert (result.linked, result.unmatched) == (2, ["Никто", "Твин"])
    session.expire_all()
    assert [session.get(StockDocument, d.id).partner_id for d in typed] == [chip.id, chip.id, None, None]
    assert link_partner_names(session).linked == 0


def test_a_kept_line_keeps_its_lot(app, session):
    wh, cpu = f.warehouse(), f.item("CPU-1")
    f.receipt(wh, [(cpu, 5, "10")])
    lot = f.lots(cpu, wh)[0]
    issue = create_document(session, DocumentInput("issue", wh.id, reason="repair",
                                                   lines=[LineInput(cpu.id, "1", lot_id=lot.id)]))
    line_id = issue.lines[0].id
    save_lines(session, issue.id, [GridLine(cpu.id, "2", line_id=line_id)])  # the page sends no lot
    session.expire_all()
    assert [(ln.qty, ln.lot_id) for ln in session.get(StockDocument, issue.id).lines] == [(D(2), lot.id)]
