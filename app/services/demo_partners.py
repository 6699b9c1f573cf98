"""Demo data of the partners and crm contexts: the Robokids school, suppliers, a carrier, the funnel.

Loaded first among the demo loaders: other contexts' loaders find partners by a stable code with
`demo_partner(code)` (looked up by tax id, which the demo never changes), e.g.
`demo_partner("CHIPSNAB")` for the supplier of processors and motherboards. The codes:

- customers: DEMO_CUSTOMERS ("ROBOKIDS", "ROBOTECH", "UMNIKI", "ESCUELA")
- suppliers: DEMO_SUPPLIERS ("CHIPSNAB", "ELEKTROKOMP", "CHIPDIP" electronics; "MOTORES" motors and wheels;
  "PLASTKORPUS" cases, bolts and paint; "KONSTRUKTOR" construction kits)
- carriers: DEMO_CARRIERS ("DELOVYE")
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models.core import Currency
from app.models.partners import Partner, PartnerAddress, PartnerBankAccount, Tag
from app.services.crm import (
    ActivityInput,
    DealInput,
    complete_activity,
    create_activity,
    create_deal,
    ensure_default_stages,
    move_deal,
)
from app.services.partners import PartnerInput, save_partner

# code -> tax id (the lookup key), name, legal name, phone, e-mail, language
DEMO_SUPPLIERS: dict[str, tuple[str, str, str, str, str, str]] = {
    "CHIPSNAB": ("7714567890", "ЧипСнаб", "ООО «ЧипСнаб»", "+7 495 700-10-20", "sales@chipsnab.example", "ru"),
    "ELEKTROKOMP": ("7728123450", "ЭлектроКомп", "ООО «ЭлектроКомп»", "+7 812 300-40-50",
                    "zakaz@elektrokomp.example", "ru"),
    "CHIPDIP": ("7701987654", "Chip&Dip", "АО «Чип и Дип»", "+7 495 544-00-05", "opt@chipdip.example", "ru"),
    "MOTORES": ("B86543210", "Motores Ibéricos", "Motores Ibéricos S.L.", "+34 91 555 12 34",
                "ventas@motores-ibericos.example", "es"),
    "PLASTKORPUS": ("5024111222", "ПластКорпус", "ООО «ПластКорпус»", "+7 495 222-33-44",
                    "info@plastkorpus.example", "ru"),
    "KONSTRUKTOR": ("7733444555", "КонструкторОпт", "ООО «КонструкторОпт»", "+7 495 765-43-21",
                    "opt@konstruktor.example", "ru"),
}
DEMO_CUSTOMERS: dict[str, tuple[str, str, str, str, str, str]] = {
    "ROBOKIDS": ("7725000111", "Робокидс", "АНО ДО «Школа робототехники Робокидс»", "+7 495 111-22-33",
                 "info@robokids.example", "ru"),
    "ROBOTECH": ("7806555666", "РобоТех", "ООО «РобоТех Образование»", "+7 812 444-55-66",
                 "hello@robotech.example", "ru"),
    "UMNIKI": ("5406777888", "Умники", "ЧОУ ДО «Умники»", "+7 383 210-20-30", "school@umniki.example", "ru"),
    "ESCUELA": ("B08111222", "Escuela de Robótica Barcelona", "Escuela de Robótica Barcelona S.L.",
                "+34 93 222 33 44", "info@escuelarobotica.example", "es"),
}
DEMO_CARRIERS: dict[str, tuple[str, str, str, str, str, str]] = {
    "DELOVYE": ("7709888999", "Деловые Линии", "ООО «Деловые Линии»", "+7 800 100-80-00", "b2b@dellin.example",
                "ru"),
}
DEMO_CODES = DEMO_SUPPLIERS | DEMO_CUSTOMERS | DEMO_CARRIERS
ROBOKIDS_DEAL = "Робокидс: 10 роботов, 5 конструкторов, 4 заказных робота"  # a Russian client: a Russian title
# name, ru, es, colour
DEMO_TAGS = [("school", "школа", "escuela", "#2e7d32"), ("electronics", "электроника", "electrónica", "#1565c0"),
             ("key account", "ключевой клиент", "cliente clave", "#c62828"), ("spain", "Испания", "España", "#f9a825")]


def demo_partner(code: str) -> Partner:
    """The demo partner with this code (KeyError for an unknown code, LookupError if not loaded)."""
    tax_id = DEMO_CODES[code][0]
    partner = db.session.scalar(select(Partner).where(Partner.tax_id == tax_id, Partner.active.is_(True)))
    if partner is None:
        raise LookupError(f"demo partner {code} is not loaded")
    return partner


def _manager_id() -> int | None:
    sm = current_app.appbuilder.sm
    user = sm.find_user(username="sales") or sm.find_user(username="admin")
    return user.id if user else None


def _company(code: str, roles: dict[str, bool], tags: list[Tag], manager_id: int | None, source: str) -> Partner:
    tax_id, name, legal, phone, email, lang = DEMO_CODES[code]
    return save_partner(db.session, PartnerInput(
        name=name, legal_name=legal, kind="company", tax_id=tax_id, phone=phone, email=email, language=lang,
        manager_id=manager_id, source=source, tag_ids=[t.id for t in tags],
        is_customer=roles.get("customer", False), is_supplier=roles.get("supplier", False),
        is_carrier=roles.get("carrier", False)), confirm_duplicate=True)


def _contact(company: Partner, name: str, position: str, phone: str, email: str) -> Partner:
    return save_partner(db.session, PartnerInput(
        name=name, kind="person", company_id=company.id, position=position, phone=phone, email=email,
        language=company.language, is_customer=company.is_customer, is_supplier=company.is_supplier))


def load() -> None:
    """Tags, partners with contacts / addresses / bank accounts, the default stages and the Robokids deal."""
    session = db.session
    tags = {n: Tag(name=n, name_ru=ru, name_es=es, color=c) for n, ru, es, c in DEMO_TAGS}
    session.add_all(tags.values())
    session.flush()
    manager = _manager_id()
    partners: dict[str, Partner] = {}
    for code in DEMO_SUPPLIERS:
        extra = [tags["electronics"]] if code in ("CHIPSNAB", "ELEKTROKOMP", "CHIPDIP") else []
        extra += [tags["spain"]] if code == "MOTORES" else []
        partners[code] = _company(code, {"supplier": True}, extra, manager, "exhibition")
    for code in DEMO_CUSTOMERS:
        extra = [tags["school"]] + ([tags["key account"]] if code == "ROBOKIDS" else [])
        extra += [tags["spain"]] if code == "ESCUELA" else []
        partners[code] = _company(code, {"customer": True}, extra, manager, "website" if code != "UMNIKI" else "call")
    partners["DELOVYE"] = _company("DELOVYE", {"carrier": True}, [], None, "")
    robokids = partners["ROBOKIDS"]
    director = _contact(robokids, "Анна Сергеевна Ковалёва", "Директор", "+7 916 123-45-67",
                        "a.kovaleva@robokids.example")
    _contact(robokids, "Игорь Петрович Соколов", "Завхоз", "+7 916 765-43-21", "zavhoz@robokids.example")
    _contact(partners["ESCUELA"], "Lucía Fernández", "Directora", "+34 600 111 222", "lucia@escuelarobotica.example")
    _contact(partners["CHIPSNAB"], "Олег Морозов", "Менеджер по продажам", "+7 903 555-66-77",
             "o.morozov@chipsnab.example")
    _addresses_and_banks(partners)
    _funnel(partners, director, manager)


def _addresses_and_banks(partners: dict[str, Partner]) -> None:
    session = db.session
    rub = session.scalar(select(Currency).where(Currency.code == "RUB"))
    eur = session.scalar(select(Currency).where(Currency.code == "EUR"))
    session.add_all([
        PartnerAddress(partner=partners["ROBOKIDS"], kind="legal", address="ул. Профсоюзная, д. 12", city="Москва",
                       country="Россия"),
        PartnerAddress(partner=partners["ROBOKIDS"], kind="delivery", city="Москва", country="Россия",
                       address="ул. Профсоюзная, д. 12, подъезд 2, учебный центр (приёмка 10:00–17:00)",
                       is_default=True),
        PartnerAddress(partner=partners["ESCUELA"], kind="delivery", address="Carrer de Mallorca, 210",
                       city="Barcelona", country="España", is_default=True),
        PartnerAddress(partner=partners["CHIPSNAB"], kind="legal", address="Варшавское ш., д. 125", city="Москва",
                       country="Россия"),
        PartnerAddress(partner=partners["MOTORES"], kind="legal", address="Calle de Alcalá, 300", city="Madrid",
                       country="España"),
        PartnerBankAccount(partner=partners["ROBOKIDS"], bank_name="АО «Альфа-Банк»", bic="044525593",
                           account="40703810401300000123", corr_account="30101810200000000593", currency=rub,
                           is_default=True),
        PartnerBankAccount(partner=partners["CHIPSNAB"], bank_name="ПАО «Сбербанк»", bic="044525225",
                           account="40702810938000054321", corr_account="30101810400000000225", currency=rub,
                           is_default=True),
        PartnerBankAccount(partner=partners["MOTORES"], bank_name="CaixaBank", bic="CAIXESBBXXX",
                           account="ES91 2100 0418 4502 0005 1332", currency=eur, is_default=True),
    ])
    session.flush()


def _funnel(partners: dict[str, Partner], director: Partner, manager: int | None) -> None:
    session = db.session
    stages = {s.name: s for s in ensure_default_stages(session)}
    rub = session.scalar(select(Currency).where(Currency.code == "RUB"))
    eur = session.scalar(select(Currency).where(Currency.code == "EUR"))
    today = date.today()
    # 10 x 24,900 + 5 x 7,900 + 4 x 38,900 (the catalog's sale prices)
    deal = create_deal(session, DealInput(
        title=ROBOKIDS_DEAL, partner_id=partners["ROBOKIDS"].id, contact_id=director.id, amount=Decimal("444100"),
        currency_id=rub.id if rub else None, stage_id=stages["Lead"].id, expected_close=today + timedelta(days=21),
        manager_id=manager, source="website"))
    for stage in ("Qualified", "Proposal"):
        move_deal(session, deal.id, stages[stage].id)
    at = datetime.combine(today, time(11, 0))
    for kind, subject, due, done in (
        ("call", "Созвон с А. С. Ковалёвой: размеры заказных роботов", at - timedelta(days=6), True),
        ("meeting", "Показать стандартного робота в школе", at - timedelta(days=3), True),
        ("email", "Отправить ТКП на 4 заказных робота", at, False),
        ("call", "Согласовать сроки поставки и график платежей", at + timedelta(days=2), False),
    ):
        act = create_activity(session, ActivityInput(subject=subject, due_at=due, kind=kind, deal_id=deal.id,
                                                     assignee_id=manager))
        if done:
            complete_activity(session, act.id, "OK")
    others = [
        ("РобоТех: 20 конструкторов для нового филиала", "ROBOTECH", "158000", rub, "Qualified"),
        ("Умники: 6 стандартных роботов", "UMNIKI", "149400", rub, "Negotiation"),
        ("Escuela de Robótica: 8 robots estándar", "ESCUELA", "14200", eur, "Lead"),
        ("Умники: конструкторы для летнего лагеря", "UMNIKI", "79000", rub, "Won"),
    ]
    for title, code, amount, cur, stage in others:
        d = create_deal(session, DealInput(title=title, partner_id=partners[code].id, amount=Decimal(amount),
                                           currency_id=cur.id if cur else None, manager_id=manager,
                                           expected_close=today + timedelta(days=30)))
        for s in ("Qualified", "Proposal", "Negotiation", "Won"):
            if stages[s].sort_order > stages[stage].sort_order:
                break
            move_deal(session, d.id, stages[s].id)
    create_activity(session, ActivityInput(subject="Перезвонить по счёту", due_at=at - timedelta(days=1), kind="call",
                                           partner_id=partners["UMNIKI"].id, assignee_id=manager))
