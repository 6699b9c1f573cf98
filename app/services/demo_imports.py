"""Demo data of imports: Robokids moved its dealer prices in from a spreadsheet, and a second file waits.

Two runs in the register, both through the import services: the dealer price list imported from a
CSV written the Russian way ("21 900,00"), and a reorder-point file checked but not imported because
one row names an item the catalog does not have (its preview lists the problem; nothing was written),
and the shop's opening balance of XL robots (an average-cost warehouse: 3 robots worth 62 900,00 post
as exactly 62 900,00), an opening-balance document of its own (Warehouse > Opening balances).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.services.imports.runs import apply_run, check_run, upload

PRICES = ("Прайс-лист;Валюта;Код товара;Цена\n"
          "B2B-2027;RUB;ROBOT-STD;21 900,00\n"
          "B2B-2027;RUB;ROBOT-XL;34 500,00\n"
          "B2B-2027;RUB;KIT-START;6 990,00\n")
POINTS = ("Код товара;Склад;Минимум;Максимум\n"
          "MOT-12;MAIN;30;90\n"
          "WHEEL;MAIN;40;160\n"
          "MOT-24;MAIN;10;30\n")  # MOT-24 is not in the catalog: the file waits for a correction
OPENING = ("Склад;Код товара;Количество;Сумма\n"
           "SHOP;ROBOT-XL;3;62 900,00\n")


def load() -> None:
    """Load the import part of the Robokids story (after the catalog and the warehouses)."""
    if db.session.scalar(select(Item.id).where(Item.code == "ROBOT-STD")) is None:
        return  # the catalog demo is not loaded
    run = upload(db.session, "price_lists", "dealer-prices-2027.csv", PRICES.encode("utf-8"), "ru")
    check_run(db.session, run.id)
    apply_run(db.session, run.id)
    waiting = upload(db.session, "reorder_points", "min-max.csv", POINTS.encode("utf-8"), "ru")
    check_run(db.session, waiting.id)
    opening = upload(db.session, "opening_stock", "остатки-магазин.csv", OPENING.encode("utf-8"), "ru", date.today())
    if not check_run(db.session, opening.id).counts["bad"]:  # the shop already holds them: the run waits
        apply_run(db.session, opening.id)
