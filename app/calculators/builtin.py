"""The built-in calculators of the Robokids story: an interior door and the custom robot.

Plain data (definition texts, lookup tables, the few catalog items they need), loaded by the demo
and used by the tests, so a reader sees in one place what a real calculator looks like.
"""

from __future__ import annotations

import json

# code, en, ru, es, unit, standard cost (group DOORS or ELEC)
DOOR_ITEMS = [
    ("DOOR-PINE", "Door blank, pine", "Заготовка двери, сосна", "Tablero de puerta, pino", "m2", "2600"),
    ("DOOR-OAK", "Door blank, oak veneer", "Заготовка двери, шпон дуба", "Tablero de puerta, chapa de roble", "m2",
     "4500"),
    ("DOOR-MDF", "Door blank, painted MDF", "Заготовка двери, МДФ крашеный", "Tablero de puerta, MDF lacado", "m2",
     "1900"),
    ("DOOR-HW-SET", "Door hardware set", "Комплект фурнитуры двери", "Juego de herrajes de puerta", "set", "1450"),
    ("DOOR-SLIDE-KIT", "Sliding door kit", "Комплект раздвижной двери", "Kit de puerta corredera", "set", "3200"),
    ("DOOR-POCKET-KIT", "Pocket door cassette", "Пенал для двери-купе", "Casete de puerta empotrada", "set",
     "5600"),
]
ROBOT_ITEMS = [
    ("CPU-B2", "Processor B2", "Процессор B2", "Procesador B2", "pcs", "2900"),
    ("CPU-C3", "Processor C3", "Процессор C3", "Procesador C3", "pcs", "4700"),
    ("SB-MOT", "Motor driver board", "Плата драйвера моторов", "Placa controladora de motores", "pcs", "780"),
    ("SB-SEN", "Sensor hub board", "Плата датчиков", "Placa de sensores", "pcs", "520"),
]

TABLES = {
    "door_materials": (("Door materials", "Материалы дверей", "Materiales de puertas"),
                       "key;label;price_m2;weight_m2;label_ru;label_es\n"
                       "pine;Pine, solid;2600;14;Сосна, массив;Pino macizo\n"
                       "oak;Oak veneer;4500;18;Шпон дуба;Chapa de roble\n"
                       "mdf;MDF, painted;1900;16;МДФ крашеный;MDF lacado"),
    "robot_processors": (("Robot processors", "Процессоры роботов", "Procesadores de robots"),
                         "key;label;item;labour_h;label_ru;label_es\n"
                         "A1;Processor A1;CPU-A1;0.5;Процессор A1;Procesador A1\n"
                         "B2;Processor B2;CPU-B2;0.75;Процессор B2;Procesador B2\n"
                         "C3;Processor C3;CPU-C3;1;Процессор C3;Procesador C3"),
    "robot_boards": (("Robot boards", "Платы роботов", "Placas de robots"),
                     "key;label;item;labour_h;label_ru;label_es\n"
                     "io;I/O board;SB-IO;0.4;Плата ввода-вывода;Placa de E/S\n"
                     "motor;Motor driver board;SB-MOT;0.5;Плата драйвера моторов;Placa controladora de motores\n"
                     "sensor;Sensor hub board;SB-SEN;0.3;Плата датчиков;Placa de sensores"),
}


def _label(en: str, ru: str, es: str) -> dict[str, str]:
    return {"en": en, "ru": ru, "es": es}


MM, LITRE = _label("mm", "мм", "mm"), _label("l", "л", "l")  # units as each language writes them


DOOR_PARAMETERS = [
    {"name": "height", "kind": "number", "unit": MM, "min": 1900, "max": 2400, "default": 2000,
     "label": _label("Height", "Высота", "Altura")},
    {"name": "width", "kind": "number", "unit": MM, "min": 600, "max": 1000, "default": 800,
     "label": _label("Width", "Ширина", "Anchura")},
    {"name": "material", "kind": "table", "table": "door_materials", "default": "pine",
     "label": _label("Material", "Материал", "Material")},
    {"name": "opening", "kind": "choice", "default": "hinged", "label": _label("Opening", "Открывание", "Apertura"),
     "choices": [{"value": "hinged", "label": _label("Hinged", "Распашная", "Abatible")},
                 {"value": "sliding", "label": _label("Sliding", "Раздвижная", "Corredera")},
                 {"value": "pocket", "label": _label("Pocket (into the wall)", "Купе (в стену)",
                                                     "Empotrada (en el tabique)")}]},
    {"name": "hardware", "kind": "bool", "default": True,
     "label": _label("Hardware set", "Комплект фурнитуры", "Juego de herrajes")},
]
DOOR_FORMULAS = """\
# leaf area, square metres
area = height * width / 1000000
material_cost = area * lookup(door_materials, material, 'price_m2')
opening_extra = (0 if opening == 'hinged'
                 else item_cost('DOOR-SLIDE-KIT') if opening == 'sliding' else item_cost('DOOR-POCKET-KIT'))
hardware_cost = item_cost('DOOR-HW-SET') if hardware else 0
labour_hours = 2.5 + area * 0.75
labour = labour_hours * 900
total = material_cost + opening_extra + hardware_cost + labour
margin = 0.35 if material == 'oak' else 0.30
"""
DOOR_OUTPUTS = {
    "cost": "round(total, 2)",
    "price": "ceil(total * (1 + margin) / 10) * 10",
    "weight": "round(area * lookup(door_materials, material, 'weight_m2') + (1.2 if hardware else 0), 3)",
    "description": _label("Interior door {height} x {width} mm, {material}, {opening}, hardware: {hardware}",
                          "Межкомнатная дверь {height} × {width} мм, {material}, {opening}, фурнитура: {hardware}",
                          "Puerta de interior {height} × {width} mm, {material}, {opening}, herrajes: {hardware}"),
    "bom": [
        {"item": "DOOR-PINE", "qty": "round(area * 1.1, 3) if material == 'pine' else 0"},
        {"item": "DOOR-OAK", "qty": "round(area * 1.1, 3) if material == 'oak' else 0"},
        {"item": "DOOR-MDF", "qty": "round(area * 1.1, 3) if material == 'mdf' else 0"},
        {"item": "DOOR-HW-SET", "qty": "1 if hardware else 0"},
        {"item": "DOOR-SLIDE-KIT", "qty": "1 if opening == 'sliding' else 0"},
        {"item": "DOOR-POCKET-KIT", "qty": "1 if opening == 'pocket' else 0"},
    ],
}

ROBOT_PARAMETERS = [
    {"name": "case_height", "kind": "number", "unit": MM, "min": 150, "max": 800, "default": 300,
     "label": _label("Case height", "Высота корпуса", "Altura de la carcasa")},
    {"name": "case_width", "kind": "number", "unit": MM, "min": 150, "max": 600, "default": 250,
     "label": _label("Case width", "Ширина корпуса", "Anchura de la carcasa")},
    {"name": "case_depth", "kind": "number", "unit": MM, "min": 150, "max": 600, "default": 200,
     "label": _label("Case depth", "Глубина корпуса", "Profundidad de la carcasa")},
    {"name": "processor", "kind": "table", "table": "robot_processors", "default": "A1",
     "label": _label("Processor", "Процессор", "Procesador")},
    {"name": "boards", "kind": "number", "integer": True, "min": 0, "max": 8, "default": 2,
     "label": _label("Number of boards", "Количество плат", "Número de placas")},
    {"name": "board_kind", "kind": "table", "table": "robot_boards", "default": "io",
     "label": _label("Kind of boards", "Тип плат", "Tipo de placas")},
    {"name": "nodes", "kind": "number", "integer": True, "min": 1, "max": 6, "default": 2,
     "label": _label("Drive nodes", "Узлы привода", "Conjuntos de tracción")},
    {"name": "paint", "kind": "number", "unit": LITRE, "min": 0, "max": 5, "default": "0.2",
     "label": _label("Paint volume", "Объём краски", "Volumen de pintura")},
]
ROBOT_FORMULAS = """\
# case volume in litres; a standard case holds 12 litres
volume = case_height * case_width * case_depth / 1000000
case_units = max(1, ceil(volume / 12))
case_cost = case_units * item_cost('CASE-S')
cpu_cost = item_cost(lookup(robot_processors, processor, 'item')) + item_cost('MB-R2')
board_cost = boards * item_cost(lookup(robot_boards, board_kind, 'item'))
node_cost = nodes * item_cost('N-DRIVE')
paint_cost = paint * item_cost('PAINT-B')
bolts = 16 + 8 * nodes + 4 * boards
bolt_cost = bolts * item_cost('BOLT-M3')
materials = case_cost + cpu_cost + board_cost + node_cost + paint_cost + bolt_cost
labour_hours = (4 + lookup(robot_processors, processor, 'labour_h')
                + boards * lookup(robot_boards, board_kind, 'labour_h') + nodes * 0.75 + paint * 2)
labour = labour_hours * 950
total = materials + labour
"""
ROBOT_OUTPUTS = {
    "cost": "round(total, 2)",
    "price": "round(total * 1.4, 0)",
    "weight": "round(0.8 + volume * 0.12 + nodes * 0.65 + boards * 0.05 + paint * 1.3, 3)",
    "description": _label(
        "Robot {case_height} x {case_width} x {case_depth} mm, processor {processor}, "
        "{boards} x {board_kind} boards, {nodes} drive nodes, paint {paint} l",
        "Робот {case_height} × {case_width} × {case_depth} мм, {processor}, плат: {boards} ({board_kind}), "
        "узлов привода: {nodes}, краска {paint} л",
        "Robot {case_height} × {case_width} × {case_depth} mm, {processor}, placas: {boards} ({board_kind}), "
        "conjuntos de tracción: {nodes}, pintura {paint} l"),
    "bom": [
        {"item": "CASE-S", "qty": "case_units"},
        {"item": "CPU-A1", "qty": "1 if processor == 'A1' else 0"},
        {"item": "CPU-B2", "qty": "1 if processor == 'B2' else 0"},
        {"item": "CPU-C3", "qty": "1 if processor == 'C3' else 0"},
        {"item": "MB-R2", "qty": "1"},
        {"item": "SB-IO", "qty": "boards if board_kind == 'io' else 0"},
        {"item": "SB-MOT", "qty": "boards if board_kind == 'motor' else 0"},
        {"item": "SB-SEN", "qty": "boards if board_kind == 'sensor' else 0"},
        {"item": "N-DRIVE", "qty": "nodes"},
        {"item": "PAINT-B", "qty": "paint"},
        {"item": "BOLT-M3", "qty": "bolts"},
    ],
}

# code, (en, ru, es), description (en, ru, es), parameters, formulas, outputs
CALCULATORS = [
    ("DOOR", ("Interior door", "Межкомнатная дверь", "Puerta de interior"),
     ("A made-to-order interior door priced from its size, material, opening and hardware.",
      "Межкомнатная дверь на заказ: цена по размеру, материалу, открыванию и фурнитуре.",
      "Puerta de interior a medida: precio según tamaño, material, apertura y herrajes."),
     DOOR_PARAMETERS, DOOR_FORMULAS, DOOR_OUTPUTS),
    ("ROBOT", ("Custom robot", "Заказной робот", "Robot a medida"),
     ("The Robokids custom robot: case size, processor, boards, drive nodes and paint.",
      "Заказной робот Robokids: размер корпуса, процессор, платы, узлы привода и краска.",
      "Robot a medida de Robokids: tamaño de la carcasa, procesador, placas, tracciones y pintura."),
     ROBOT_PARAMETERS, ROBOT_FORMULAS, ROBOT_OUTPUTS),
]


def dumps(value: object) -> str:
    """Definition JSON as people edit it: indented, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, indent=2)
