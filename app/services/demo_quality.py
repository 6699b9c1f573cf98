"""Demo data of quality and the knowledge base: a defective motor lot traced to Robokids' robots, in ru / es / en.

Runs after the sales loader. Two standard robots are made in a warehouse of their own (the quality lab's
stock, so the main warehouse's story is untouched: its processors stay on the shelf) from a receipt in
which the motors come from the motor supplier, and shipped to Robokids. Robokids then complains that a
robot's drive burns out: the complaint names the robot lot, the order that made it and the motor lot, whose
recall list leads back to Robokids. Older complaints give the Pareto chart and the monthly trend something
to show; a few knowledge-base articles answer the usual questions in three languages.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.production import ProductionOrder
from app.models.quality import Complaint, CorrectiveAction, DefectCause, KbArticle, KbCategory, KbTag
from app.models.stock import StockLot, Warehouse
from app.services.quality.complaints import move_complaint, prepare_complaint

CAUSES = [
    ("SUP-MOT", "Defective motor from the supplier", "Брак двигателя поставщика", "Motor defectuoso del proveedor",
     "supplier"),
    ("ASM", "Assembly error", "Ошибка сборки", "Error de montaje", "production"),
    ("FW", "Firmware fault", "Ошибка прошивки", "Fallo del firmware", "design"),
    ("TRN", "Damaged in transport", "Повреждение при перевозке", "Daño en el transporte", "transport"),
    ("USE", "Misuse by the client", "Неправильная эксплуатация", "Uso indebido", "usage"),
]
# parts of two standard robots: (code, qty, unit cost)
PARTS = [("MOT-12", "8", "415"), ("CPU-A1", "2", "1900"), ("MB-R2", "2", "2450"), ("SB-IO", "2", "640"),
         ("SEN-US", "4", "180"), ("CASE-S", "2", "880"), ("WHEEL", "8", "72"), ("BOLT-M3", "100", "2.45"),
         ("PAINT-B", "1", "640")]
SECTIONS = [("ROBOTS", "Robots", "Роботы", "Robots"), ("SERVICE", "Service and warranty", "Сервис и гарантия",
                                                         "Servicio y garantía")]
ARTICLES = [
    ("ROBOTS", "A robot does not start", "Робот не включается", "El robot no arranca",
     "1. Charge the **battery** for 2 hours.\n2. Check the power switch.\n3. Re-flash the firmware.",
     "1. Зарядите **аккумулятор** в течение 2 часов.\n2. Проверьте выключатель питания.\n"
     "3. Перепрошейте робота.",
     "1. Cargue la **batería** durante 2 horas.\n2. Compruebe el interruptor.\n3. Vuelva a grabar el firmware."),
    ("ROBOTS", "A drive motor overheats", "Двигатель привода перегревается", "El motor de tracción se calienta",
     "Stop the robot, let the motor cool down, check that the wheels turn freely. If it happens again, "
     "replace the drive under warranty.",
     "Остановите робота, дайте двигателю остыть, проверьте, что колёса вращаются свободно. Если перегрев "
     "повторяется, замените привод по гарантии.",
     "Detenga el robot, deje enfriar el motor y compruebe que las ruedas giran libremente. Si se repite, "
     "sustituya la tracción en garantía."),
    ("SERVICE", "Warranty terms", "Условия гарантии", "Condiciones de la garantía",
     "Robots have a **12-month** warranty from shipment. Parts replaced under warranty are free.",
     "На роботов действует гарантия **12 месяцев** со дня отгрузки. Детали по гарантии меняются бесплатно.",
     "Los robots tienen **12 meses** de garantía desde el envío. Las piezas en garantía son gratuitas."),
    ("SERVICE", "How to update the firmware", "Как обновить прошивку", "Cómo actualizar el firmware",
     "Connect the robot by USB and run the updater; the version is shown on the display.",
     "Подключите робота по USB и запустите программу обновления; версия видна на экране.",
     "Conecte el robot por USB y ejecute el actualizador; la versión aparece en la pantalla."),
]


def _lab(items: dict[str, Item]) -> Warehouse | None:
    from app.services.demo_stock import _supplier
    from app.services.stock import DocumentInput, LineInput, create_document, post_document

    if any(code not in items for code, _, _ in PARTS) or "ROBOT-STD" not in items:
        return None
    lab = Warehouse(code="QA", name="Quality lab stock", name_ru="Склад лаборатории качества",
                    name_es="Almacén del laboratorio de calidad", valuation="fifo")
    db.session.add(lab)
    db.session.flush()
    doc = create_document(db.session, DocumentInput(
        doc_type="receipt", warehouse_id=lab.id, doc_date=date.today() - timedelta(days=20),
        partner_id=_supplier("Motores Ibéricos"),
        lines=[LineInput(items[c].id, q, unit_cost=cost) for c, q, cost in PARTS]))
    post_document(db.session, doc.id)
    return lab


def _robots(items: dict[str, Item], lab: Warehouse) -> ProductionOrder:
    from app.services.production import OrderInput, complete_order, create_order, release_order

    day = date.today() - timedelta(days=14)
    order = create_order(db.session, OrderInput(items["ROBOT-STD"].id, "2", lab.id, order_date=day,
                                                note="Spare robots for Robokids"))
    for kid in release_order(db.session, order.id).children:
        complete_order(db.session, kid.id, str(kid.qty), day)
    complete_order(db.session, order.id, "2", day + timedelta(days=1))
    return order


def _ship(items: dict[str, Item], lab: Warehouse):
    from app.services.demo_sales import _partner
    from app.services.sales import OrderInput, OrderLineInput, confirm_order, create_order
    from app.services.sales.shipments import ShipmentInput, ship_order

    robokids = _partner("ROBOKIDS", "Робокидс", email="info@robokids.example")
    order = create_order(db.session, OrderInput(
        partner_id=robokids.id, order_date=date.today() - timedelta(days=13), tax_rate=Decimal(20),
        warehouse_id=lab.id, note="Spare robots for the second classroom of Robokids",
        lines=[OrderLineInput(items["ROBOT-STD"].id, Decimal(2))]))
    confirm_order(db.session, order.id)
    ship_order(db.session, ShipmentInput(order.id, ship_date=date.today() - timedelta(days=12)))
    return robokids


def _complaints(items, lab, robot_order, robokids, causes: dict[str, DefectCause]) -> None:
    robot_lot = db.session.scalar(select(StockLot).where(StockLot.warehouse_id == lab.id,
                                                         StockLot.item_id == items["ROBOT-STD"].id))
    motor_lot = db.session.scalar(select(StockLot).where(StockLot.warehouse_id == lab.id,
                                                         StockLot.item_id == items["MOT-12"].id))
    today = date.today()
    main = Complaint(title="Robot drive burns out after 10 minutes", partner_id=robokids.id, lot_id=robot_lot.id,
                     production_order_id=robot_order.id, component_lot_id=motor_lot.id, cause=causes["SUP-MOT"],
                     qty=Decimal(1), cost_replacement=Decimal("1800"), cost_other=Decimal("1500"),
                     complaint_date=today - timedelta(days=3),
                     description="Школа «Робокидс»: у робота перегревается и отключается привод. / "
                                 "Escuela Robokids: la tracción se calienta y se apaga.")
    _save(main)
    users = current_app.appbuilder.sm
    owner = users.find_user(username="production")
    db.session.add_all([
        CorrectiveAction(complaint=main, kind="corrective", owner_id=owner.id if owner else None,
                         description="Replace the drives of both robots / Заменить приводы обоих роботов",
                         due_date=today + timedelta(days=5)),
        CorrectiveAction(complaint=main, kind="preventive", owner_id=owner.id if owner else None,
                         description="Incoming inspection of every motor lot / Входной контроль каждой партии "
                                     "двигателей", due_date=today + timedelta(days=30))])
    older = [("ASM", 75, "2", "0", "2400", "Loose wheel"), ("ASM", 60, "1", "0", "900", "Wrong cable"),
             ("FW", 45, "3", "0", "600", "Old firmware flashed"), ("TRN", 40, "1", "3200", "0", "Cracked case"),
             ("SUP-MOT", 20, "2", "0", "1200", "Motor noise"), ("ASM", 10, "1", "0", "700", "Sensor not fixed")]
    for code, days, qty, scrap, rework, title in older:
        c = Complaint(title=title, cause=causes[code], qty=Decimal(qty), cost_scrap=Decimal(scrap),
                      cost_rework=Decimal(rework), complaint_date=today - timedelta(days=days))
        _save(c)
        move_complaint(db.session, c.id, "resolve", "Fixed / Исправлено / Corregido")


def _save(c: Complaint) -> None:
    prepare_complaint(db.session, c)
    db.session.add(c)
    db.session.flush()


def _knowledge(items: dict[str, Item]) -> None:
    sections = {}
    for code, en, ru, es in SECTIONS:
        sections[code] = KbCategory(code=code, name=en, name_ru=ru, name_es=es)
    tags = {"robot": KbTag(name="robot", name_ru="робот", name_es="robot"),
            "warranty": KbTag(name="warranty", name_ru="гарантия", name_es="garantía")}
    db.session.add_all([*sections.values(), *tags.values()])
    for section, en, ru, es, body, body_ru, body_es in ARTICLES:
        db.session.add(KbArticle(title=en, title_ru=ru, title_es=es, body=body, body_ru=body_ru, body_es=body_es,
                                 category=sections[section], item=items.get("ROBOT-STD"),
                                 tags=[tags["warranty"] if section == "SERVICE" else tags["robot"]]))


def load() -> None:
    """Load the quality part of the story and the knowledge base."""
    items = {i.code: i for i in db.session.scalars(select(Item))}
    causes = {code: DefectCause(code=code, name=en, name_ru=ru, name_es=es, cause_group=group)
              for code, en, ru, es, group in CAUSES}
    db.session.add_all(causes.values())
    _knowledge(items)
    lab = _lab(items)
    if lab is None:
        db.session.flush()
        return  # no catalog: causes and articles only
    robot_order = _robots(items, lab)
    robokids = _ship(items, lab)
    _complaints(items, lab, robot_order, robokids, causes)
    db.session.flush()
