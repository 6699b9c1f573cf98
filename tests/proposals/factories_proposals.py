"""Builders for the proposals tests: a 3-level configurable robot with hand-priced stock.

Costs (RUB), chosen so every source gives a different, hand-computable figure:
- CPU-STD: lots 2 @ 90 (oldest) and 3 @ 110; 1 reserved. Standard 95.
  FIFO for 2 = skip 1 reserved of the 90s -> 1 x 90 + 1 x 110 = 200; average (2x90+3x110)/5 = 102;
  last purchase 110.
- BOARD: lot 10 @ 50; standard 48. LIDAR: no stock, standard 400. CPU-PRO: lot 1 @ 300, standard 320.
- NPU: standard 200. FW-VIS (firmware licence): standard 30. CASE: lot 5 @ 80; BOLT: lot 100 @ 1.
- N-BASE (node): BOM = 1 CASE + 4 BOLT; routing: 6 min set-up + 30 min run at 60 + 60 per hour -> 12 + 60 = 72.
The model: base = 1 N-BASE; Processor (one of, min 1): Std (default) / Pro; Boards (quantities, max 4 each);
Sensors (any): Lidar; under Pro: Accelerator (one, min 1): NPU; under NPU: Firmware (one, min 1): Vision.
Rules: Lidar requires Pro; at most 2 boards with Std.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item
from app.models.core import Company
from app.models.partners import Partner
from app.models.production import WorkCenter
from app.models.proposals import CompatibilityRule, ModelLine, OptionGroup, PricingRule, ProductModel, ProductOption
from app.services.production import BomInput, BomLineInput, OperationInput, RoutingInput, create_bom, create_routing
from app.services.stock.reservations import reserve
from tests import factories as f

DAY = date(2026, 11, 1)


@dataclass
class Robot:
    model: ProductModel
    items: dict[str, Item]
    options: dict[str, ProductOption]
    groups: dict[str, OptionGroup]
    partner: Partner
    currency_id: int
    wh: object


def partner(name: str = "Robokids", email: str = "info@robokids.example") -> Partner:
    p = Partner(name=name, email=email, is_customer=True, language="ru")
    db.session.add(p)
    db.session.commit()
    return p


def _option(group: OptionGroup, code: str, name: str, item: Item | None, sort: int, **kw) -> ProductOption:
    opt = ProductOption(group=group, code=code, name=name, name_ru=f"{name} (ru)", name_es=f"{name} (es)", item=item,
                        qty=Decimal(1), sort=sort, **kw)
    db.session.add(opt)
    return opt


def robot(with_stock: bool = True) -> Robot:
    items = {code: f.item(code, code, kind, cost) for code, kind, cost in [
        ("CPU-STD", "component", "95"), ("CPU-PRO", "component", "320"), ("BOARD", "component", "48"),
        ("LIDAR", "component", "400"), ("NPU", "component", "200"), ("FW-VIS", "service", "30"),
        ("CASE", "component", "70"), ("BOLT", "material", "1"), ("N-BASE", "node", None),
        ("ROBOT", "product", None)]}
    wh = f.warehouse("MAIN")
    if with_stock:
        f.receipt(wh, [(items["CPU-STD"], 2, "90"), (items["BOARD"], 10, "50"), (items["CASE"], 5, "80"),
                       (items["BOLT"], 100, "1"), (items["CPU-PRO"], 1, "300")], on=date(2026, 10, 1))
        f.receipt(wh, [(items["CPU-STD"], 3, "110")], on=date(2026, 10, 15))
        reserve(db.session, "sales_order", 999, "SO-X", items["CPU-STD"].id, wh.id, Decimal(1))
        db.session.commit()
    create_bom(db.session, BomInput(items["N-BASE"].id, lines=[BomLineInput(items["CASE"].id, "1"),
                                                               BomLineInput(items["BOLT"].id, "4")]))
    wc = WorkCenter(code="ASM", name="Assembly", labour_rate=Decimal(60), overhead_rate=Decimal(60))
    db.session.add(wc)
    db.session.commit()
    create_routing(db.session, RoutingInput(items["N-BASE"].id, operations=[OperationInput(10, "assemble", wc.id, "6",
                                                                                           "30")]))
    model = ProductModel(code="RK", name="Robot RK", name_ru="Робот RK", name_es="Robot RK", base_item=items["ROBOT"],
                         marketing_text="Learns with you")
    model.base_lines = [ModelLine(item=items["N-BASE"], qty=Decimal(1), sort=1, characteristics="Frame: steel")]
    db.session.add(model)
    groups = {
        "cpu": OptionGroup(model=model, code="CPU", name="Processor", kind="one", min_select=1, sort=1),
        "boards": OptionGroup(model=model, code="BOARDS", name="Boards", kind="qty", sort=2),
        "sensors": OptionGroup(model=model, code="SENS", name="Sensors", kind="many", sort=3),
    }
    db.session.add_all(groups.values())
    opts = {
        "std": _option(groups["cpu"], "STD", "Processor Std", items["CPU-STD"], 1, is_default=True),
        "pro": _option(groups["cpu"], "PRO", "Processor Pro", items["CPU-PRO"], 2),
        "board": _option(groups["boards"], "BOARD", "Board", items["BOARD"], 1, max_qty=4),
        "lidar": _option(groups["sensors"], "LIDAR", "Lidar", items["LIDAR"], 1, characteristics="Range: 12 m",
                         marketing_text="Sees the whole room"),
    }
    db.session.flush()
    groups["accel"] = OptionGroup(model=model, code="ACC", name="Accelerator", kind="one", min_select=1,
                                  parent_option=opts["pro"], sort=4)
    db.session.add(groups["accel"])
    opts["npu"] = _option(groups["accel"], "NPU", "NPU", items["NPU"], 1)
    db.session.flush()
    groups["fw"] = OptionGroup(model=model, code="FW", name="Firmware", kind="one", min_select=1,
                               parent_option=opts["npu"], sort=5)
    db.session.add(groups["fw"])
    opts["vision"] = _option(groups["fw"], "VIS", "Vision", items["FW-VIS"], 1)
    db.session.flush()
    db.session.add_all([
        CompatibilityRule(model=model, kind="requires", option=opts["lidar"], target=opts["pro"]),
        CompatibilityRule(model=model, kind="max_qty", option=opts["board"], target=opts["std"], limit_qty=2),
    ])
    db.session.commit()
    cur = f.currency("RUB")
    db.session.add(Company(name="Fabrika", base_currency_id=cur.id))
    db.session.commit()
    return Robot(model, items, opts, groups, partner(), cur.id, wh)


def rule(scope: str = "all", margin: str | None = None, discount: str | None = None, floor: str | None = None,
         **kw) -> PricingRule:
    r = PricingRule(name=f"{scope} rule", scope=scope, margin_pct=Decimal(margin) if margin else None,
                    discount_pct=Decimal(discount) if discount else None,
                    floor_margin_pct=Decimal(floor) if floor else None, **kw)
    db.session.add(r)
    db.session.commit()
    return r
