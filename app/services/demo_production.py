"""Demo data of production: the Robokids robots' BOMs, routings with a firmware stage, and real orders.

Runs after the warehouse loader (it needs the catalog and the parts on the shelf). Two node
orders are completed (drives and chassis, valued from the FIFO lots they really took); an order
for five standard robots is released and, since nodes are short, creates child orders for them:
the order tree page shows the whole story. The processors stay untouched on the shelf, as the
warehouse demo expects. Everything goes through the services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item
from app.models.production import WorkCenter
from app.models.stock import Warehouse
from app.services.production import (
    BomInput,
    BomLineInput,
    OperationInput,
    OrderInput,
    RoutingInput,
    complete_order,
    create_bom,
    create_order,
    create_routing,
    release_order,
    report_operation,
)

# code, name (en, ru, es), labour per hour, overhead per hour
CENTRES = [
    ("ASM", ("Assembly", "Сборка", "Montaje"), "650", "280"),
    ("SOLD", ("Soldering", "Пайка", "Soldadura"), "720", "310"),
    ("PAINT", ("Painting", "Покраска", "Pintura"), "480", "220"),
    ("QA", ("Quality control", "Контроль качества", "Control de calidad"), "560", "150"),
    ("FW", ("Firmware", "Прошивка", "Programación"), "600", "120"),
]
# parent: [(component, qty, unit or None, scrap %)]
BOMS = {
    "N-CHASSIS": [("CASE-S", "1", None, "0"), ("WHEEL", "4", None, "0"), ("BOLT-M3", "16", None, "0"),
                  ("PAINT-B", "0.05", "l", "10")],
    "N-DRIVE": [("MOT-12", "2", None, "0"), ("BOLT-M3", "8", None, "5")],
    "N-BRAIN": [("CPU-A1", "1", None, "0"), ("MB-R2", "1", None, "0"), ("SB-IO", "1", None, "0"),
                ("SEN-US", "2", None, "0")],
    "ROBOT-STD": [("N-CHASSIS", "1", None, "0"), ("N-BRAIN", "1", None, "0"), ("N-DRIVE", "2", None, "0"),
                  ("BOLT-M3", "12", None, "0")],
    "ROBOT-XL": [("N-CHASSIS", "1", None, "0"), ("N-BRAIN", "1", None, "0"), ("N-DRIVE", "3", None, "0"),
                 ("SEN-US", "2", None, "0"), ("BOLT-M3", "20", None, "0")],
}
# item: [(seq, (name en, ru, es), centre, set-up min, run min per unit, instructions, software version)]
ROUTINGS = {
    "N-CHASSIS": [(10, ("Paint the case", "Покраска корпуса", "Pintura de la carcasa"), "PAINT", "20", "12",
                   "Обезжирить, два слоя краски, сушка 40 мин.\nDesengrasar, dos capas, secado 40 min.", "")],
    "N-DRIVE": [(10, ("Assemble the drive", "Сборка привода", "Montaje de la tracción"), "ASM", "15", "18",
                 "Моменты затяжки M3: 0,6 Н·м.\nPar de apriete M3: 0,6 N·m.", "")],
    "N-BRAIN": [(10, ("Solder the boards", "Пайка плат", "Soldadura de placas"), "SOLD", "10", "25",
                 "Паяльная станция 350 °C, флюс без отмывки.\nEstación a 350 °C, fundente sin limpieza.", "")],
    "ROBOT-STD": [
        (10, ("Final assembly", "Общая сборка", "Montaje final"), "ASM", "30", "40",
         "Установить шасси, узел управления, два привода.\nMontar chasis, control y dos tracciones.", ""),
        (20, ("Test", "Проверка", "Prueba"), "QA", "0", "15",
         "Тест движения и датчиков.\nPrueba de movimiento y sensores.", ""),
        (30, ("Flash the software", "Прошивка ПО", "Grabación del software"), "FW", "10", "6",
         "Прошить через USB, проверить версию.\nGrabar por USB y comprobar la versión.", "robokids-fw 2.3.1"),
    ],
    "ROBOT-XL": [
        (10, ("Final assembly", "Общая сборка", "Montaje final"), "ASM", "45", "55", "", ""),
        (20, ("Test", "Проверка", "Prueba"), "QA", "0", "20", "", ""),
        (30, ("Flash the software", "Прошивка ПО", "Grabación del software"), "FW", "10", "8", "",
         "robokids-fw 2.3.1-xl"),
    ],
}


def _centres() -> dict[str, WorkCenter]:
    out = {code: WorkCenter(code=code, name=en, name_ru=ru, name_es=es, labour_rate=Decimal(lab),
                            overhead_rate=Decimal(ovh))
           for code, (en, ru, es), lab, ovh in CENTRES}
    db.session.add_all(out.values())
    db.session.flush()
    return out


def _engineering(items: dict[str, Item], centres: dict[str, WorkCenter], since: date) -> None:
    for parent, lines in BOMS.items():
        create_bom(db.session, BomInput(items[parent].id, "1", valid_from=since, lines=[
            BomLineInput(items[c].id, q, unit_code=u, scrap_pct=s) for c, q, u, s in lines]))
    for item, ops in ROUTINGS.items():
        create_routing(db.session, RoutingInput(items[item].id, "1", valid_from=since, operations=[
            OperationInput(seq, en, centres[wc].id, setup, run, instructions=text, is_software=bool(fw),
                           software_version=fw, name_ru=ru, name_es=es)
            for seq, (en, ru, es), wc, setup, run, text, fw in ops]))


def _make(items: dict[str, Item], wh: Warehouse, code: str, qty: str, on: date, minutes=None) -> None:
    order = create_order(db.session, OrderInput(items[code].id, qty, wh.id, order_date=on, planned_start=on,
                                                planned_end=on + timedelta(days=1)))
    release_order(db.session, order.id)
    if minutes:
        op = order.operations[0]
        report_operation(db.session, op.id, qty, minutes[0], minutes[1])
    complete_order(db.session, order.id, qty, on + timedelta(days=1))


def load() -> None:
    """Load the production part of the Robokids story."""
    today = date.today()
    items = {i.code: i for i in db.session.query(Item)}
    main = db.session.query(Warehouse).filter_by(code="MAIN").one()
    centres = _centres()
    _engineering(items, centres, today - timedelta(days=60))
    _make(items, main, "N-DRIVE", "4", today - timedelta(days=2), minutes=("18", "80"))
    _make(items, main, "N-CHASSIS", "3", today - timedelta(days=2))
    robots = create_order(db.session, OrderInput(
        items["ROBOT-STD"].id, "5", main.id, order_date=today, planned_start=today + timedelta(days=3),
        planned_end=today + timedelta(days=5), note="Robokids"))
    release_order(db.session, robots.id)
    create_order(db.session, OrderInput(items["ROBOT-XL"].id, "2", main.id, order_date=today,
                                        planned_start=today + timedelta(days=10),
                                        planned_end=today + timedelta(days=12)))
