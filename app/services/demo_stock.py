"""Demo data of the warehouse: the Robokids factory's catalog, two warehouses and real postings.

Parts bought at different prices (FIFO layers), a transfer to the shop (average cost) and a stock
count; the two processors written off to warranty repairs (the reason the logistics analysis of the
Robokids order finds them missing) are the service demo's repair (app/services/demo_service.py).
Everything is posted through the services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item, ItemGroup, PriceList, PriceListItem, UnitConversion
from app.models.core import Currency, Unit
from app.models.stock import Warehouse
from app.services.stock import DocumentInput, LineInput, create_document, post_document

GROUPS = [
    ("PARTS", "Parts", "Детали", "Piezas"),
    ("ELEC", "Electronics", "Электроника", "Electrónica"),
    ("NODES", "Nodes", "Узлы", "Conjuntos"),
    ("ROBOTS", "Robots", "Роботы", "Robots"),
    ("KITS", "Construction kits", "Конструкторы", "Kits de construcción"),
]
# code, en, ru, es, kind, group, unit, standard cost, sale price
ITEMS = [
    ("CPU-A1", "Processor A1", "Процессор A1", "Procesador A1", "component", "ELEC", "pcs", "1850", None),
    ("MB-R2", "Motherboard R2", "Материнская плата R2", "Placa base R2", "component", "ELEC", "pcs", "2400", None),
    ("SB-IO", "I/O board", "Плата ввода-вывода", "Placa de E/S", "component", "ELEC", "pcs", "650", None),
    ("MOT-12", "Motor 12 V", "Мотор 12 В", "Motor 12 V", "component", "PARTS", "pcs", "420", None),
    ("SEN-US", "Ultrasonic sensor", "Ультразвуковой датчик", "Sensor ultrasónico", "component", "PARTS", "pcs",
     "180", None),
    ("CASE-S", "Case, standard", "Корпус стандартный", "Carcasa estándar", "component", "PARTS", "pcs", "900",
     None),
    ("WHEEL", "Wheel 65 mm", "Колесо 65 мм", "Rueda 65 mm", "component", "PARTS", "pcs", "75", None),
    ("BOLT-M3", "Bolt M3x10", "Винт M3x10", "Tornillo M3x10", "material", "PARTS", "pcs", "2.5", None),
    ("PAINT-B", "Paint, blue", "Краска синяя", "Pintura azul", "material", "PARTS", "l", "640", None),
    ("N-CHASSIS", "Chassis node", "Узел шасси", "Conjunto chasis", "node", "NODES", "pcs", "1900", None),
    ("N-BRAIN", "Control node", "Узел управления", "Conjunto de control", "node", "NODES", "pcs", "5200", None),
    ("N-DRIVE", "Drive node", "Узел привода", "Conjunto de tracción", "node", "NODES", "pcs", "1100", None),
    ("ROBOT-STD", "Educational robot, standard", "Робот учебный стандартный", "Robot educativo estándar",
     "product", "ROBOTS", "pcs", "9800", "24900"),
    ("ROBOT-XL", "Educational robot, custom", "Робот учебный заказной", "Robot educativo a medida", "product",
     "ROBOTS", "pcs", "13500", "38900"),
    ("KIT-START", "Construction kit Start", "Конструктор «Старт»", "Kit de construcción «Start»", "kit", "KITS",
     "set", "3100", "7900"),
]
# weight of one unit, kg (what the weight rule of a disassembly shares the cost by)
WEIGHTS = {
    "CPU-A1": "0.02", "MB-R2": "0.12", "SB-IO": "0.05", "MOT-12": "0.35", "SEN-US": "0.03", "CASE-S": "0.9",
    "WHEEL": "0.08", "BOLT-M3": "0.001", "PAINT-B": "1.1", "N-CHASSIS": "1.8", "N-BRAIN": "0.25", "N-DRIVE": "0.72",
    "ROBOT-STD": "3.6", "ROBOT-XL": "4.4", "KIT-START": "1.5",
}
# receipts: (days ago, supplier, [(code, qty, unit cost)])
RECEIPTS = [
    (40, "ООО «ЧипСнаб»", [("CPU-A1", 10, "1800"), ("MB-R2", 6, "2350"), ("SB-IO", 20, "640")]),
    (30, "Motores Ibéricos S.L.", [("MOT-12", 40, "410"), ("WHEEL", 80, "72"), ("SEN-US", 20, "175")]),
    (25, "ООО «ЧипСнаб»", [("CPU-A1", 4, "1900"), ("MB-R2", 4, "2450")]),
    (20, "ООО «ПластКорпус»", [("CASE-S", 15, "880"), ("BOLT-M3", 2000, "2.40"), ("PAINT-B", 12, "630")]),
    (15, "ООО «КонструкторОпт»", [("KIT-START", 8, "3050")]),
]


def _units() -> dict[str, Unit]:
    return {u.code: u for u in db.session.query(Unit)}


def _catalog() -> dict[str, Item]:
    groups = {}
    for code, en, ru, es in GROUPS:
        groups[code] = ItemGroup(code=code, name=en, name_ru=ru, name_es=es)
    db.session.add_all(groups.values())
    units = _units()
    items = {}
    for code, en, ru, es, kind, group, unit, cost, price in ITEMS:
        items[code] = Item(code=code, name=en, name_ru=ru, name_es=es, kind=kind, group=groups[group],
                           unit=units[unit], standard_cost=Decimal(cost), tracking="lots",
                           weight=Decimal(WEIGHTS[code]), sale_price=Decimal(price) if price else None)
    db.session.add_all(items.values())
    db.session.add(UnitConversion(item=items["BOLT-M3"], unit=units["box"], factor=Decimal(100)))
    rub = db.session.query(Currency).filter_by(code="RUB").one()
    pl = PriceList(name="Base price list", name_ru="Базовый прайс-лист", name_es="Tarifa base", currency=rub)
    db.session.add(pl)
    for it in items.values():
        if it.sale_price:
            db.session.add(PriceListItem(price_list=pl, item=it, price=it.sale_price))
    return items


def _supplier(name: str) -> int | None:
    """The demo partner a receipt comes from (by its name or legal name): documents link partners, not text."""
    from sqlalchemy import or_, select

    from app.models.partners import Partner

    return db.session.scalar(select(Partner.id).where(or_(Partner.name == name, Partner.legal_name == name)).limit(1))


def _post(doc_type: str, wh: Warehouse, on: date, lines: list[LineInput], **kw) -> None:
    doc = create_document(db.session, DocumentInput(doc_type=doc_type, warehouse_id=wh.id, doc_date=on,
                                                    lines=lines, **kw))
    post_document(db.session, doc.id)


def load() -> None:
    """Load the warehouse part of the Robokids story."""
    items = _catalog()
    main = Warehouse(code="MAIN", name="Main warehouse", name_ru="Основной склад", name_es="Almacén principal",
                     valuation="fifo")
    shop = Warehouse(code="SHOP", name="Shop", name_ru="Магазин", name_es="Tienda", valuation="average")
    db.session.add_all([main, shop])
    db.session.flush()
    today = date.today()
    for days, supplier, lines in RECEIPTS:
        _post("receipt", main, today - timedelta(days=days),
              [LineInput(items[c].id, str(q), unit_cost=cost) for c, q, cost in lines], partner_id=_supplier(supplier),
              partner_name="" if _supplier(supplier) else supplier)
    _post("transfer", main, today - timedelta(days=8), [LineInput(items["KIT-START"].id, "3")],
          dest_warehouse_id=shop.id)
    _post("issue", shop, today - timedelta(days=5), [LineInput(items["KIT-START"].id, "1")], reason="Продажа в розницу")
    _post("count", main, today - timedelta(days=2), [LineInput(items["BOLT-M3"].id, "1985")])
    draft = DocumentInput(doc_type="receipt", warehouse_id=main.id, doc_date=today,
                          partner_id=_supplier("ООО «ЧипСнаб»"),
                          lines=[LineInput(items["MB-R2"].id, "5", unit_cost="2480")])
    create_document(db.session, draft)
