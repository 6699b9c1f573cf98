"""Demo data of the proposals context: the Robokids custom robot TCP.

Loaded last among the demo loaders (it uses the catalog, stock, BOMs and partners of the others).
A configurable "Robot RK-Custom" (case sizes, processor standard / pro with a pro-only extra, I/O
boards, sensor nodes, a software package "for older children"), pricing rules (25% margin, 15%
floor, 5% for Robokids), and the TCP for 4 custom robots: 50% prepayment, 50% on delivery, sent
to the client and approved.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.core import Currency, Unit
from app.models.production import WorkCenter
from app.models.proposals import CompatibilityRule, ModelLine, OptionGroup, PricingRule, ProductModel, ProductOption
from app.services.proposals import InstalmentInput, ProposalInput, approve_proposal, save_proposal, send_proposal

# code, en, ru, es, kind, group, standard cost
NEW_ITEMS = [
    ("CASE-L", "Case, large 400x300x250", "Корпус увеличенный 400×300×250", "Carcasa grande 400×300×250",
     "component", "PARTS", "1350"),
    ("CPU-PRO", "Processor Pro", "Процессор Pro", "Procesador Pro", "component", "ELEC", "3200"),
    ("CAM-HD", "HD camera module", "Модуль HD-камеры", "Módulo de cámara HD", "component", "ELEC", "1900"),
    ("SEN-LIDAR", "Lidar sensor", "Лидар", "Sensor lidar", "component", "ELEC", "4200"),
    ("N-SENSOR", "Sensor node", "Узел датчиков", "Conjunto de sensores", "node", "NODES", "1100"),
    ("SW-SENIOR", "Software package for older children", "Пакет ПО для старших школьников",
     "Paquete de software para niños mayores", "service", "ELEC", "2500"),
    ("SW-BASIC", "Basic software package", "Базовый пакет ПО", "Paquete de software básico", "service", "ELEC",
     "300"),
]
WEIGHTS = {"SEN-LIDAR": "0.19", "N-SENSOR": "0.12"}  # kg per unit, for a disassembly's weight rule
IMG_ROBOT = ("data:image/png;base64,"
             "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAASElEQVR42mP4T2PAMIgsiEICoxaMWoDfAo28E2SjUQuob8H/Owxw"
             "RJT4qAVUt2A0mY5aMGrBULUAAuSQACVqRi0g34Ih07oGAAObOcjysbouAAAAAElFTkSuQmCC")


def _items() -> dict[str, Item]:
    items = {i.code: i for i in db.session.query(Item)}
    groups = {g.code: g for g in db.session.query(ItemGroup)}
    pcs = db.session.scalar(select(Unit).where(Unit.code == "pcs"))
    for code, en, ru, es, kind, group, cost in NEW_ITEMS:
        if code not in items:
            items[code] = Item(code=code, name=en, name_ru=ru, name_es=es, kind=kind, group=groups.get(group),
                               unit=pcs, standard_cost=Decimal(cost) if cost else None,
                               weight=Decimal(WEIGHTS[code]) if code in WEIGHTS else None,
                               tracking="none" if kind == "service" else "lots")
            db.session.add(items[code])
    db.session.flush()
    return items


def _sensor_node(items: dict[str, Item], since: date) -> None:
    from app.services.production import (
        BomInput,
        BomLineInput,
        OperationInput,
        RoutingInput,
        active_bom,
        create_bom,
        create_routing,
    )

    if active_bom(db.session, items["N-SENSOR"].id) is not None:
        return
    create_bom(db.session, BomInput(items["N-SENSOR"].id, valid_from=since, lines=[
        BomLineInput(items["SEN-US"].id, "2"), BomLineInput(items["SB-IO"].id, "1"),
        BomLineInput(items["BOLT-M3"].id, "4")]))
    centre = db.session.scalar(select(WorkCenter).where(WorkCenter.code == "SOLD")) or db.session.scalar(
        select(WorkCenter).order_by(WorkCenter.id).limit(1))
    if centre is not None:
        create_routing(db.session, RoutingInput(items["N-SENSOR"].id, valid_from=since, operations=[
            OperationInput(10, "Solder the sensor node", centre.id, "10", "12", name_ru="Пайка узла датчиков",
                           name_es="Soldadura del conjunto de sensores")]))


def _group(model: ProductModel, code: str, names: tuple[str, str, str], kind: str, sort: int, min_select: int = 0,
           max_select: int | None = None, parent: ProductOption | None = None) -> OptionGroup:
    g = OptionGroup(model=model, code=code, name=names[0], name_ru=names[1], name_es=names[2], kind=kind, sort=sort,
                    min_select=min_select, max_select=max_select, parent_option=parent)
    db.session.add(g)
    return g


Texts = tuple[str, str, str]  # en, ru, es
NONE: Texts = ("", "", "")


def _option(group: OptionGroup, code: str, names: Texts, item: Item | None, sort: int,
            chars: Texts = NONE, marketing: Texts = NONE, **kw) -> ProductOption:
    """An option with its name, characteristics and marketing text in the three languages."""
    o = ProductOption(group=group, code=code, name=names[0], name_ru=names[1], name_es=names[2], item=item,
                      qty=Decimal(1), sort=sort, characteristics=chars[0], characteristics_ru=chars[1],
                      characteristics_es=chars[2], marketing_text=marketing[0], marketing_text_ru=marketing[1],
                      marketing_text_es=marketing[2], **kw)
    db.session.add(o)
    return o


def _model(items: dict[str, Item]) -> tuple[ProductModel, dict[str, ProductOption]]:
    model = ProductModel(
        code="RK-CUSTOM", name="Robot RK-Custom", name_ru="Робот RK-Custom", name_es="Robot RK-Custom",
        base_item=items.get("ROBOT-XL"), image=IMG_ROBOT,
        description="An educational robot built for each school's tasks.",
        description_ru="Учебный робот, собираемый под задачи школы.",
        description_es="Robot educativo configurado para cada escuela.",
        marketing_text="Grows with the pupils: from the first steps to competitions.",
        marketing_text_ru="Растёт вместе с учениками: от первых шагов до соревнований.",
        marketing_text_es="Crece con los alumnos: de los primeros pasos a las competiciones.")
    model.base_lines = [
        ModelLine(item=items["N-CHASSIS"], qty=Decimal(1), sort=1, characteristics="Wheels: 4 × 65 mm",
                  characteristics_ru="Колёса: 4 × 65 мм", characteristics_es="Ruedas: 4 × 65 mm"),
        ModelLine(item=items["N-DRIVE"], qty=Decimal(3), sort=2),
        ModelLine(item=items["MB-R2"], qty=Decimal(1), sort=3),
        ModelLine(item=items["BOLT-M3"], qty=Decimal(20), sort=4),
        ModelLine(item=items["PAINT-B"], qty=Decimal("0.1"), sort=5),
    ]
    db.session.add(model)
    case = _group(model, "CASE", ("Case size", "Размер корпуса", "Tamaño de la carcasa"), "one", 1, 1)
    cpu = _group(model, "CPU", ("Processor", "Процессор", "Procesador"), "one", 2, 1)
    boards = _group(model, "BOARDS", ("I/O boards", "Платы ввода-вывода", "Placas de E/S"), "qty", 3, 0, 6)
    sensors = _group(model, "SENSORS", ("Sensor nodes", "Узлы датчиков", "Conjuntos de sensores"), "qty", 4, 0, 4)
    extra = _group(model, "EXTRA", ("Extra sensors", "Дополнительные датчики", "Sensores adicionales"), "many", 5)
    soft = _group(model, "SOFT", ("Software", "Программное обеспечение", "Software"), "one", 6, 1)
    o = {
        "case_std": _option(case, "CASE-S", ("Standard case", "Стандартный корпус", "Carcasa estándar"),
                            items["CASE-S"], 1, ("Size: 300×220×180 mm", "Размер: 300×220×180 мм",
                                                 "Tamaño: 300×220×180 mm"), is_default=True),
        "case_l": _option(case, "CASE-L", ("Large case", "Увеличенный корпус", "Carcasa grande"), items["CASE-L"], 2,
                          ("Size: 400×300×250 mm", "Размер: 400×300×250 мм", "Tamaño: 400×300×250 mm"),
                          ("Room for extra boards and sensors.", "Место для дополнительных плат и датчиков.",
                           "Espacio para placas y sensores adicionales.")),
        "cpu_std": _option(cpu, "CPU-STD", ("Processor Standard", "Процессор Стандарт", "Procesador Estándar"),
                           items["CPU-A1"], 1, ("Clock: 1.2 GHz", "Частота: 1,2 ГГц", "Frecuencia: 1,2 GHz"),
                           is_default=True),
        "cpu_pro": _option(cpu, "CPU-PRO", ("Processor Pro", "Процессор Pro", "Procesador Pro"), items["CPU-PRO"], 2,
                           ("Clock: 2.4 GHz; 4 cores", "Частота: 2,4 ГГц; 4 ядра", "Frecuencia: 2,4 GHz; 4 núcleos"),
                           ("Powerful enough for computer vision.", "Хватит на компьютерное зрение.",
                            "Suficiente para la visión artificial.")),
        "io": _option(boards, "IO", ("I/O board", "Плата ввода-вывода", "Placa de E/S"), items["SB-IO"], 1,
                      ("16 inputs", "16 входов", "16 entradas"), max_qty=4),
        "sensor": _option(sensors, "SENSOR", ("Sensor node", "Узел датчиков", "Conjunto de sensores"),
                          items["N-SENSOR"], 1, ("2 ultrasonic sensors", "2 ультразвуковых датчика",
                                                 "2 sensores ultrasónicos"), max_qty=4),
        "lidar": _option(extra, "LIDAR", ("Lidar", "Лидар", "Lidar"), items["SEN-LIDAR"], 1,
                         ("Range: 12 m", "Дальность: 12 м", "Alcance: 12 m"),
                         ("Maps a classroom in a minute.", "Строит карту класса за минуту.",
                          "Traza el mapa de un aula en un minuto.")),
        "sw_basic": _option(soft, "SW-BASIC", ("Basic package", "Базовый пакет", "Paquete básico"),
                            items["SW-BASIC"], 1, ("Age: 8–12", "Возраст: 8–12", "Edad: 8–12"), is_default=True),
        "sw_senior": _option(soft, "SW-SENIOR", ("Package for older children", "Пакет для старших школьников",
                                                 "Paquete para niños mayores"), items["SW-SENIOR"], 2,
                             ("Age: 13–17; Python, ROS", "Возраст: 13–17; Python, ROS", "Edad: 13–17; Python, ROS"),
                             ("Olympiad-level tasks.", "Задачи олимпиадного уровня.", "Retos de nivel olímpico.")),
    }
    db.session.flush()
    pro_extra = _group(model, "PRO-X", ("Pro extras", "Дополнения Pro", "Extras Pro"), "many", 7, parent=o["cpu_pro"])
    o["camera"] = _option(pro_extra, "CAM", ("HD camera", "HD-камера", "Cámara HD"), items["CAM-HD"], 1,
                          ("1080p, 30 fps",) * 3)
    db.session.flush()
    db.session.add_all([
        CompatibilityRule(model=model, kind="requires", option=o["lidar"], target=o["cpu_pro"],
                          note="Лидару нужна вычислительная мощность Pro"),
        CompatibilityRule(model=model, kind="max_qty", option=o["io"], target=o["cpu_std"], limit_qty=2,
                          note="Стандартный процессор обслуживает не больше 2 плат"),
        CompatibilityRule(model=model, kind="max_qty", group=sensors, target=o["case_std"], limit_qty=2,
                          note="В стандартный корпус помещаются 2 узла датчиков"),
        CompatibilityRule(model=model, kind="requires", option=o["sw_senior"], target=o["cpu_pro"]),
    ])
    db.session.flush()
    return model, o


def _rules() -> None:
    from app.services.demo_partners import demo_partner

    db.session.add(PricingRule(name="General margin", name_ru="Общая наценка", name_es="Margen general", scope="all",
                               margin_pct=Decimal(25), floor_margin_pct=Decimal(15)))
    try:
        robokids = demo_partner("ROBOKIDS")
        db.session.add(PricingRule(name="Robokids: school discount", name_ru="Robokids: скидка школе",
                                   name_es="Robokids: descuento escolar", scope="partner",
                                   partner=robokids, discount_pct=Decimal(5)))
    except (LookupError, KeyError):
        pass
    db.session.flush()


def load() -> None:
    """The configurable robot, pricing rules and the Robokids TCP (sent, then approved)."""
    from app.services.demo_partners import demo_partner

    if db.session.scalar(select(ProductModel.id).where(ProductModel.code == "RK-CUSTOM")) is not None:
        return
    today = date.today()
    items = _items()
    _sensor_node(items, today - timedelta(days=60))
    model, o = _model(items)
    _rules()
    try:
        robokids = demo_partner("ROBOKIDS")
    except (LookupError, KeyError):
        return
    rub = db.session.scalar(select(Currency).where(Currency.code == "RUB"))
    selection = {o["case_l"].id: 1, o["cpu_pro"].id: 1, o["camera"].id: 1, o["io"].id: 2, o["sensor"].id: 3,
                 o["lidar"].id: 1, o["sw_senior"].id: 1}
    proposal = save_proposal(db.session, ProposalInput(
        robokids.id, model.id, qty="4", selection=selection, currency_id=rub.id if rub else None,
        cost_source="fifo", tax_pct="20", valid_until=today + timedelta(days=30),
        note="4 заказных робота: увеличенный корпус, ПО для старших школьников.",
        instalments=[InstalmentInput("50", "order", note="Предоплата"),
                     InstalmentInput("50", "delivery", days=5, note="По поставке")]), locale="ru")
    send_proposal(db.session, proposal.id)
    approve_proposal(db.session, proposal.id)
