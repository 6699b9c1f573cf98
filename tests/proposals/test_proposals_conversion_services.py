"""Converting a TCP whose configuration includes a service option (firmware): the service is sold beside
the custom item as an order line of its own and stays out of the item's bill of materials."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models.production import Bom
from app.models.sales import SalesOrder
from app.services import proposals as svc
from app.services.proposals import InstalmentInput, ProposalInput
from tests.proposals import factories_proposals as fp

D = Decimal


def test_a_service_option_becomes_its_own_order_line_not_a_bom_line(app):
    robot = fp.robot()
    o = robot.options
    p = svc.save_proposal(db.session, ProposalInput(
        robot.partner.id, robot.model.id, qty="2", currency_id=robot.currency_id,
        selection={o["pro"].id: 1, o["npu"].id: 1, o["vision"].id: 1}, instalments=[InstalmentInput("100")]))
    service = next(ln for ln in p.lines if ln.item is not None and ln.item.code == "FW-VIS")
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    done = svc.convert_proposal(db.session, p.id)
    assert done.state == "converted"
    bom = db.session.query(Bom).filter_by(item_id=done.custom_item_id).one()
    assert "FW-VIS" not in {ln.item.code for ln in bom.lines}
    order = db.session.get(SalesOrder, done.sales_order_id)
    by_item = {ln.item_id: ln for ln in order.lines}
    fw = by_item[robot.items["FW-VIS"].id]
    assert (fw.qty, fw.unit_price, fw.proposal_line_id) == (service.qty, service.unit_price, service.id)
    assert set(by_item) == {done.custom_item_id, robot.items["FW-VIS"].id}
    # nothing is lost: the two lines sell exactly what the proposal priced
    assert sum((ln.amount_net for ln in order.lines), D(0)) == sum((ln.price for ln in done.lines), D(0))
