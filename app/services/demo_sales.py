"""Demo data of the sales context: the Robokids order of MISSION.md, through the services.

Runs after the partners, warehouse, production, purchasing and calculator loaders. The Robokids
school orders 10 standard robots, 5 kits and 4 custom robots (priced by the robot calculator's
last run when there is one) plus the firmware setup service; the order is confirmed (reserving
what the main warehouse has), its logistics analysis is run (production orders and purchase
requests appear), the kits leave in a first shipment with a carrier, and an invoice is issued
and half paid. A second, older order of another school is shipped, invoiced and paid in full, so
the lists, the popular items and the client balance have something to show.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.partners import Partner
from app.models.stock import Warehouse

FW_SERVICE = ("FW-SETUP", "Software setup for older children", "Настройка ПО для старших детей",
              "Configuración del software para niños mayores")


def _partner(code: str, fallback: str, **kw) -> Partner:
    """The partners demo's partner, or a plain one when that loader did not run."""
    try:
        from app.services.demo_partners import demo_partner

        return demo_partner(code)
    except (LookupError, KeyError, ImportError):
        p = db.session.scalar(select(Partner).where(Partner.name == fallback))
        if p is None:
            p = Partner(name=fallback, **kw)
            db.session.add(p)
            db.session.flush()
        return p


def _service_item(items: dict[str, Item]) -> Item:
    code, en, ru, es = FW_SERVICE
    if code in items:
        return items[code]
    from app.models.core import Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == "h")) or items["ROBOT-STD"].unit
    group = db.session.scalar(select(ItemGroup).where(ItemGroup.code == "ROBOTS"))
    item = Item(code=code, name=en, name_ru=ru, name_es=es, kind="service", unit=unit, group=group,
                sale_price=Decimal("5000"), tracking="none")
    db.session.add(item)
    db.session.flush()
    return item


def _calculator_line(item_id: int, qty: Decimal):
    """The custom robots line, priced by the robot calculator's last run when the calculators demo ran."""
    from app.models.calculators import CalculationRun, Calculator
    from app.services.sales import OrderLineInput

    run = db.session.scalar(select(CalculationRun).join(Calculator, Calculator.id == CalculationRun.calculator_id)
                            .where(Calculator.code == "ROBOT").order_by(CalculationRun.id.desc()).limit(1))
    if run is not None and run.price:
        return OrderLineInput(item_id, qty, unit_price=run.price, calculator_version_id=run.version_id,
                              calculator_inputs=dict(run.inputs), unit_cost_estimate=run.cost,
                              description=run.description[:500])
    return OrderLineInput(item_id, qty, unit_price=Decimal("38900"), unit_cost_estimate=Decimal("15100"))


def load() -> None:
    """Load the sales part of the Robokids story."""
    from app.services.sales import (
        OrderInput,
        OrderLineInput,
        PaymentInput,
        confirm_order,
        create_invoice,
        create_order,
        register_payment,
    )
    from app.services.sales.analysis import run_analysis
    from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, TransportInput, ship_order

    items = {i.code: i for i in db.session.scalars(select(Item))}
    main = db.session.scalar(select(Warehouse).where(Warehouse.code == "MAIN"))
    if main is None or "ROBOT-STD" not in items:
        return  # the warehouse demo is not loaded: nothing to sell
    today = date.today()
    robokids = _partner("ROBOKIDS", "Робокидс", email="info@robokids.example")
    other = _partner("ROBOTECH", "РобоТех", email="hello@robotech.example")
    carrier = _partner("DELOVYE", "Деловые Линии", is_carrier=True, is_customer=False)
    service = _service_item(items)

    # an earlier order of another school: two kits, shipped, invoiced and paid
    earlier = create_order(db.session, OrderInput(
        partner_id=other.id, order_date=today - timedelta(days=12), tax_rate=Decimal(20), warehouse_id=main.id,
        lines=[OrderLineInput(items["KIT-START"].id, Decimal(1))], delivery_terms="DAP"))
    confirm_order(db.session, earlier.id)
    ship_order(db.session, ShipmentInput(earlier.id, ship_date=today - timedelta(days=10), transport=TransportInput(
        carrier_id=carrier.id, vehicle="А 123 ВС 77", driver="Петров И. И.", delivery_date=today - timedelta(days=9),
        window_from="10:00", window_to="14:00", transport_cost="1500")))
    inv = create_invoice(db.session, earlier.id, invoice_date=today - timedelta(days=10))
    register_payment(db.session, PaymentInput(inv.id, inv.amount_total, pay_date=today - timedelta(days=5)))

    order = create_order(db.session, OrderInput(
        partner_id=robokids.id, order_date=today, tax_rate=Decimal(20), warehouse_id=main.id,
        delivery_address="г. Москва, ул. Лесная, д. 5, школа «Робокидс»", delivery_date=today + timedelta(days=21),
        delivery_terms="Доставка перевозчиком до школы",  # a Russian client's order: its texts in Russian
        note="Робокидс: 10 стандартных роботов, 5 конструкторов, 4 заказных робота", lines=[
            OrderLineInput(items["ROBOT-STD"].id, Decimal(10)),
            OrderLineInput(items["KIT-START"].id, Decimal(5), discount_pct=Decimal(5)),
            _calculator_line(items["ROBOT-XL"].id, Decimal(4)),
            OrderLineInput(service.id, Decimal(4)),
        ]))
    confirm_order(db.session, order.id)
    run_analysis(db.session, order.id)
    kits = next(ln for ln in order.lines if ln.item_id == items["KIT-START"].id)
    from app.services.stock.reservations import reserved_for

    held = reserved_for(db.session, "sales_order", order.id).get((kits.item_id, main.id), Decimal(0))
    if held > 0:
        transport = TransportInput(
            carrier_id=carrier.id, vehicle="А 777 АА 77", driver="Сидоров П. П.",
            delivery_date=today + timedelta(days=1), window_from="09:00", window_to="12:00", transport_cost="2500",
            note="Первая часть: конструкторы")
        ship_order(db.session, ShipmentInput(order.id, lines=[ShipmentLineInput(kits.id, held)], transport=transport))
    invoice = create_invoice(db.session, order.id)
    half = (invoice.amount_total / 2).quantize(Decimal("0.01"))
    register_payment(db.session, PaymentInput(invoice.id, half, reference="п/п 118"))
