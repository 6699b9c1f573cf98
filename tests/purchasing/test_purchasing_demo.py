"""The purchasing demo: offers for processors and boards, reorder points, a generated request with
reasons, a sent order partly received (loaded after partners, stock and production, as in demo.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.purchasing import PurchaseOrder, PurchaseRequestLine, PurchasingRun, SupplierOffer
from app.services.base import SYSTEM, acting_as, unit_of_work
from app.services.demo import DEMO_LOADERS, _resolve, load_base
from app.services.purchasing import best_offer


def _load_until_purchasing() -> None:
    with acting_as(SYSTEM):
        with unit_of_work(db.session):
            load_base()
        for path in DEMO_LOADERS[:DEMO_LOADERS.index("app.services.demo_purchasing:load") + 1]:
            _resolve(path)()


def test_demo_story(app):
    _load_until_purchasing()
    cpu = db.session.scalar(select(Item).where(Item.code == "CPU-A1"))
    suppliers = set(db.session.scalars(select(SupplierOffer.supplier_id).where(SupplierOffer.item_id == cpu.id)))
    assert len(suppliers) == 3
    choice = best_offer(db.session, cpu.id, date.today(), Decimal(2))
    # the expired 1750 RUB price is skipped; ЭлектроКомп's 1840 needs 10 at least: for 2, $20.50 x 91.2 wins
    assert (choice.price, choice.currency_code, choice.price_base) == (Decimal("20.5"), "USD", Decimal("1869.6"))
    assert [a.price_base for a in choice.alternatives] == [Decimal(1840), Decimal(1890)]
    assert best_offer(db.session, cpu.id, date.today(), Decimal(10)).price_base == Decimal(1840)
    order = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.state == "partial"))
    assert order is not None and order.currency.code == "EUR"
    assert [ln.received_qty for ln in order.lines] == [Decimal(40), Decimal(40)]
    lines = {ln.item.code: ln for ln in db.session.scalars(select(PurchaseRequestLine))}
    # 12 processors < 14: up to 24 = 12 -> ЭлектроКомп (1840, packs of 5): 15; 10 boards < 12: 10 at 2390
    assert {code: (ln.qty, ln.price) for code, ln in lines.items()} == {
        "CPU-A1": (Decimal(15), Decimal(1840)), "MB-R2": (Decimal(10), Decimal(2390))}
    assert lines["CPU-A1"].reason["formula"] == "12 < 14; 24 − 12 − 0 = 12"
    assert lines["CPU-A1"].request.supplier.name.endswith(("ЭлектроКомп", "ЭлектроКомп»"))
    run = db.session.scalar(select(PurchasingRun))
    assert run.lines_created == len(lines) and run.value_base > 0
