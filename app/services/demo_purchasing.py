"""Demo data of the purchasing context (the Robokids story).

Runs after the partners, warehouse and production loaders. Processors and motherboards are offered
by three suppliers (ЧипСнаб, ЭлектроКомп in roubles, Chip&Dip in dollars) with different prices,
lead times and minimums, motors and wheels by Motores Ibéricos in euros; reorder points keep the
parts for robots in stock. The nightly methods (min / max and sales analysis) are run once, so the
register has a generated request whose lines say why; an order to Motores Ibéricos was sent and
partly received, at a price that differs on one line. Everything goes through the services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.core import Currency, CurrencyRate
from app.models.partners import Partner
from app.models.purchasing import PurchaseOrder, PurchaseOrderLine, ReorderPoint, SupplierOffer
from app.models.stock import Warehouse
from app.services.purchasing.orders import DOC_TYPE, PREFIX, ReceiveLine, mark_order_sent, receive_order
from app.services.purchasing.settings import save_settings
from app.services.sequences import next_number

D = Decimal
# supplier code -> (name used when the partners demo is absent, e-mail, language)
SUPPLIERS = {
    "CHIPSNAB": ("ООО «ЧипСнаб»", "sales@chipsnab.example", "ru"),
    "ELEKTROKOMP": ("ООО «ЭлектроКомп»", "zakaz@elektrokomp.example", "ru"),
    "CHIPDIP": ("АО «Чип и Дип»", "opt@chipdip.example", "ru"),
    "MOTORES": ("Motores Ibéricos S.L.", "ventas@motores-ibericos.example", "es"),
    "PLASTKORPUS": ("ООО «ПластКорпус»", "info@plastkorpus.example", "ru"),
}
# supplier, item, price, currency, lead days, min qty, pack, supplier's code, valid days left (None: open)
OFFERS = [
    ("CHIPSNAB", "CPU-A1", "1890", "RUB", 5, "2", None, "ЧС-A1-PRO", None),
    ("ELEKTROKOMP", "CPU-A1", "1840", "RUB", 12, "10", "5", "EK-0417", 60),
    ("CHIPDIP", "CPU-A1", "20.50", "USD", 7, "1", None, "CD-CPU-A1", 30),
    ("CHIPSNAB", "MB-R2", "2450", "RUB", 5, "2", None, "ЧС-MB-R2", None),
    ("ELEKTROKOMP", "MB-R2", "2390", "RUB", 12, "5", "5", "EK-1120", 60),
    ("CHIPDIP", "MB-R2", "27.00", "USD", 7, "1", None, "CD-MB-R2", 30),
    ("CHIPSNAB", "SB-IO", "640", "RUB", 5, "5", None, "ЧС-IO", None),
    ("MOTORES", "MOT-12", "4.10", "EUR", 14, "20", "10", "MI-12V-40", None),
    ("MOTORES", "WHEEL", "0.72", "EUR", 14, "40", "20", "MI-R65", None),
    ("PLASTKORPUS", "CASE-S", "870", "RUB", 10, "5", None, "ПК-СТ", None),
    ("PLASTKORPUS", "BOLT-M3", "2.30", "RUB", 3, "500", "100", "ПК-М3", None),
]
# an older, cheaper ЧипСнаб price for processors that expired yesterday: the best offer must skip it
EXPIRED = ("CHIPSNAB", "CPU-A1", "1750", "RUB", 5, "2", None, "ЧС-A1-OLD")
# item, min, max (main warehouse): enough processors and boards for a batch of ten robots, so the
# Robokids order leaves the main warehouse short of both
POINTS = [("CPU-A1", "14", "24"), ("MB-R2", "12", "20"), ("SB-IO", "10", "30"), ("MOT-12", "20", "60"),
          ("WHEEL", "40", "120"), ("BOLT-M3", "800", "3000"), ("CASE-S", "5", "15")]


def _supplier(code: str) -> Partner:
    try:
        from app.services.demo_partners import demo_partner

        partner = demo_partner(code)
        if not partner.is_supplier:
            partner.is_supplier = True
        return partner
    except (ImportError, KeyError, LookupError):
        name, email, lang = SUPPLIERS[code]
        partner = db.session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            partner = Partner(name=name, legal_name=name, kind="company", is_supplier=True, is_customer=False,
                              email=email, language=lang)
            db.session.add(partner)
            db.session.flush()
        return partner


def _ensure_rates(today: date) -> None:
    """USD / EUR rates a month back too: the order below was sent and received before today's rate."""
    month_ago = today - timedelta(days=30)
    for code, rate in (("USD", "90.8"), ("EUR", "97.9")):
        cur = db.session.scalar(select(Currency).where(Currency.code == code))
        if cur is None:
            continue
        known = db.session.scalar(select(CurrencyRate.id).where(CurrencyRate.currency_id == cur.id,
                                                               CurrencyRate.on_date <= month_ago))
        if known is None:
            db.session.add(CurrencyRate(currency=cur, on_date=month_ago, rate=D(rate)))


def _offers(items: dict[str, Item], suppliers: dict[str, Partner], today: date) -> None:
    currencies = {c.code: c for c in db.session.scalars(select(Currency))}
    for code, item, price, cur, lead, min_qty, pack, sup_code, days in OFFERS:
        db.session.add(SupplierOffer(
            supplier_id=suppliers[code].id, item_id=items[item].id, price=D(price), currency_id=currencies[cur].id,
            valid_from=today - timedelta(days=90), valid_to=today + timedelta(days=days) if days else None,
            min_qty=D(min_qty), pack_qty=D(pack) if pack else None, lead_time_days=lead, supplier_item_code=sup_code,
            characteristics="Гарантия 12 мес." if item.startswith(("CPU", "MB")) else ""))
    code, item, price, cur, lead, min_qty, pack, sup_code = EXPIRED
    db.session.add(SupplierOffer(
        supplier_id=suppliers[code].id, item_id=items[item].id, price=D(price), currency_id=currencies[cur].id,
        valid_from=today - timedelta(days=200), valid_to=today - timedelta(days=1), min_qty=D(min_qty),
        lead_time_days=lead, supplier_item_code=sup_code, characteristics="Прошлогодний прайс"))


def _sent_order(items: dict[str, Item], supplier: Partner, main: Warehouse, today: date) -> PurchaseOrder:
    eur = db.session.scalar(select(Currency).where(Currency.code == "EUR"))
    order_date = today - timedelta(days=12)
    order = PurchaseOrder(number=next_number(db.session, DOC_TYPE, order_date, PREFIX), order_date=order_date,
                          state="draft", supplier_id=supplier.id, warehouse_id=main.id, currency_id=eur.id,
                          expected_date=today + timedelta(days=2),
                          note="Motores y ruedas para los robots de Robokids")  # to the Spanish supplier
    order.lines = [PurchaseOrderLine(line_no=1, item_id=items["MOT-12"].id, qty=D(40), price=D("4.10"),
                                     amount=D("164.00"), supplier_item_code="MI-12V-40"),
                   PurchaseOrderLine(line_no=2, item_id=items["WHEEL"].id, qty=D(80), price=D("0.72"),
                                     amount=D("57.60"), supplier_item_code="MI-R65")]
    order.total = D("221.60")
    db.session.add(order)
    db.session.flush()
    mark_order_sent(db.session, order.id)
    # the motors came in full at a higher price than ordered; the wheels only half
    receive_order(db.session, order.id, [ReceiveLine(order.lines[0].id, "40", "4.25"),
                                         ReceiveLine(order.lines[1].id, "40")], on_date=today - timedelta(days=1),
                  note="Поставка 1 из 2 / Entrega 1 de 2")
    return order


def load() -> None:
    """Load the purchasing part of the Robokids story."""
    today = date.today()
    items = {i.code: i for i in db.session.scalars(select(Item))}
    main = db.session.scalar(select(Warehouse).where(Warehouse.code == "MAIN"))
    if main is None or "CPU-A1" not in items:
        return  # the warehouse demo is not loaded: nothing to buy for
    suppliers = {code: _supplier(code) for code in SUPPLIERS}
    _ensure_rates(today)
    _offers(items, suppliers, today)
    for code, lo, hi in POINTS:
        db.session.add(ReorderPoint(item_id=items[code].id, warehouse_id=main.id, min_qty=D(lo), max_qty=D(hi)))
    db.session.flush()
    _sent_order(items, suppliers["MOTORES"], main, today)
    save_settings(db.session, ["minmax", "sales"],
                  {"sales": {"period_days": "60", "safety_days": "7", "default_lead_time": "7"}}, main.id, "7")
    from app.services.purchasing.settings import nightly_run

    nightly_run(db.session, trigger="demo")
