"""Demo data of the service desk: the Robokids warranty repair of MISSION.md, through the services.

Runs right after the warehouse demo, on the day the warehouse wrote the parts off: Robokids reported two
standard robots that do not start; the engineer took the request into work, replaced both processors
under warranty (two CPU-A1 issued from the main warehouse at their FIFO cost, the dead ones received into
the defective-parts warehouse at zero value) and resolved it. That is why the logistics analysis of the
Robokids order finds two processors missing. Other schools have requests in other states and SLA states
(one waiting for the client, one not answered in time), in Russian and Spanish.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.service import Holiday
from app.models.stock import Warehouse
from app.services.service_desk.repairs import RepairInput, repair
from app.services.service_desk.requests import RequestInput, change_state, create_request, ensure_sla_setup

WARRANTY_MONTHS = {"ROBOT-STD": 12, "ROBOT-XL": 12, "KIT-START": 6}
# (month, day, name, ru, es): days off the service calendar keeps
HOLIDAYS = [(1, 1, "New Year", "Новый год", "Año Nuevo"), (1, 7, "Orthodox Christmas", "Рождество Христово",
                                                           "Navidad ortodoxa"),
            (5, 9, "Victory Day", "День Победы", "Día de la Victoria")]


def _partner(code: str):
    from app.services.demo_partners import demo_partner

    try:
        return demo_partner(code)
    except (LookupError, KeyError):
        return None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def load() -> None:
    """The SLA set-up, warranty periods, a defective-parts warehouse and the requests of the story."""
    items = {i.code: i for i in db.session.scalars(select(Item))}
    main = db.session.scalar(select(Warehouse).where(Warehouse.code == "MAIN"))
    robokids = _partner("ROBOKIDS")
    if main is None or robokids is None or "CPU-A1" not in items:
        return  # the warehouse or partners demo is not loaded: no story to tell
    policies = ensure_sla_setup(db.session)
    calendar = policies["normal"].calendar
    today = date.today()
    for year in (today.year, today.year + 1):
        for month, day, _name, ru, es in HOLIDAYS:
            db.session.add(Holiday(calendar_id=calendar.id, day=date(year, month, day), name=f"{ru} / {es}"))
    for code, months in WARRANTY_MONTHS.items():
        if code in items:
            items[code].warranty_months = months
    defect = Warehouse(code="DEFECT", name="Defective parts", name_ru="Брак и возвраты из ремонта",
                       name_es="Piezas defectuosas", valuation="fifo")
    db.session.add(defect)
    db.session.flush()
    _robokids_repair(robokids, items, main, defect, today - timedelta(days=10))
    _other_requests(items, today)


def _robokids_repair(robokids, items, main, defect, day: date) -> None:
    """Two robots with dead processors, repaired under warranty: the two processors the order misses."""
    req = create_request(db.session, RequestInput(
        partner_id=robokids.id, channel="phone", priority="high", item_id=items["ROBOT-STD"].id,
        subject="Два робота не включаются / Dos robots no encienden", serial_no="RS-0117, RS-0124",
        description="Робот не реагирует на кнопку питания, индикатор платы не горит. / "
                    "El robot no responde al botón de encendido.",
        opened_at=_at(day - timedelta(days=1), 10), warranty_until=day + timedelta(days=200)))
    change_state(db.session, req.id, "start", "Заберём роботы на диагностику / Recogemos los robots",
                 at=_at(day - timedelta(days=1), 11))
    with force_locale("ru"):  # the stock documents' reasons in the client's language, as its engineer writes
        repair(db.session, req.id, RepairInput(main.id, [(items["CPU-A1"].id, "2")], labour="0",
                                               defective_warehouse_id=defect.id, doc_date=day,
                                               note="Замена процессоров A1 / Sustitución de procesadores A1"))
    change_state(db.session, req.id, "resolve", "Процессоры заменены по гарантии / Procesadores sustituidos",
                 at=_at(day, 12))


def _other_requests(items, today: date) -> None:
    """A Spanish school waiting for an answer from its side, a Russian one not answered in time."""
    escuela, robotech = _partner("ESCUELA"), _partner("ROBOTECH")
    kit = items.get("KIT-START")
    if escuela is not None:
        req = create_request(db.session, RequestInput(
            partner_id=escuela.id, channel="email", priority="normal", item_id=kit.id if kit else None,
            subject="Faltan las instrucciones en español del kit",
            description="El kit llegó con el manual solo en ruso.", opened_at=_at(today - timedelta(days=3), 9, 30)))
        change_state(db.session, req.id, "start", at=_at(today - timedelta(days=3), 10))
        change_state(db.session, req.id, "wait", "¿Nos confirma el número de serie del kit?",
                     at=_at(today - timedelta(days=3), 10, 15))
    if robotech is not None:
        create_request(db.session, RequestInput(
            partner_id=robotech.id, channel="web", priority="critical",
            item_id=items["ROBOT-STD"].id if "ROBOT-STD" in items else None,
            subject="Робот перегревается на занятиях", serial_no="RS-0098",
            opened_at=_at(today - timedelta(days=2), 12)))
