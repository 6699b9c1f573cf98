"""The marketing part of the Robokids story: a campaign to the schools that bought robot kits.

Client statistics are scored from the orders the sales demo posted; the segment "Robot kit buyers"
(bought the starter kit) holds Robokids and RoboTech; a promotion gives that segment 7 % off kits for
a month (kept above a 15 % margin); the campaign "Kits for the new term", written in Russian, Spanish
and English, is started (recipients fixed, a call for each school's manager) and its first letters are
in the outbox, each with its unsubscribe link. A second segment shows a time rule: schools with no order
in six months. With two buyers a 10 % holdout rounds to nobody, so the demo campaign holds none back.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.marketing import Campaign, Promotion
from app.models.partners import Tag
from app.services.base import unit_of_work

BODY_EN = ("Dear {contact},\n\nthank you for choosing our {last_purchase} ({last_order_date}). For the new term "
           "we offer {offer}: {discount} % off robot kits this month.\n\nTo receive no more offers: {unsubscribe_url}")
BODY_RU = ("Здравствуйте, {contact}!\n\nСпасибо, что выбрали {last_purchase} ({last_order_date}). К новому "
           "учебному году — «{offer}»: скидка {discount} % на конструкторы в этом месяце.\n\n"
           "Отписаться от предложений: {unsubscribe_url}")
BODY_ES = ("Estimado/a {contact}:\n\ngracias por elegir {last_purchase} ({last_order_date}). Para el nuevo curso le "
           "ofrecemos «{offer}»: {discount} % de descuento en kits de robótica este mes.\n\n"
           "Para no recibir más ofertas: {unsubscribe_url}")


def load() -> None:
    from app.services.marketing import campaigns as cmp
    from app.services.marketing.segments import save_segment
    from app.services.marketing.stats import rebuild_all

    kit = db.session.scalar(select(Item).where(Item.code == "KIT-START"))
    if kit is None:
        return  # the catalog demo is not loaded
    today = date.today()
    with unit_of_work(db.session):
        rebuild_all(db.session, today)
        buyers = save_segment(db.session, None, "Robot kit buyers", [{"kind": "bought_item", "item_id": kit.id}],
                              name_ru="Купили конструкторы", name_es="Compradores de kits")
        school = db.session.scalar(select(Tag).where(Tag.name == "school"))
        if school is not None:
            save_segment(db.session, None, "Schools silent for six months",
                         [{"kind": "tag", "tag_id": school.id}, {"kind": "no_order_months", "months": 6}],
                         name_ru="Школы без заказов полгода", name_es="Escuelas sin pedidos en seis meses")
        promo = Promotion(name="New term: kits", name_ru="Новый учебный год: конструкторы",
                          name_es="Nuevo curso: kits", date_from=today - timedelta(days=1),
                          date_to=today + timedelta(days=30), discount_pct=Decimal(7), item_id=kit.id,
                          segment_id=buyers.id, priority=1, floor_margin_pct=Decimal(15))
        campaign = Campaign(name="Kits for the new term", name_ru="Конструкторы к новому учебному году",
                            name_es="Kits para el nuevo curso", segment=buyers, promotion=promo,
                            subject="{contact}, robot kits for the new term",
                            subject_ru="{contact}, конструкторы к новому учебному году",
                            subject_es="{contact}, kits de robótica para el nuevo curso",
                            body=BODY_EN, body_ru=BODY_RU, body_es=BODY_ES, call_list=True,
                            holdout_pct=Decimal(0), seed=2026, cost=Decimal("3000"), per_run=200)
        db.session.add_all([promo, campaign])
        db.session.flush()
        cmp.start_campaign(db.session, campaign.id, today)
        cmp.send_batch(db.session, campaign.id)
