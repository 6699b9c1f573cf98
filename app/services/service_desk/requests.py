"""Service requests: registered, moved through their workflow with SLA clocks, commented, told to the client.

A request's SLA deadlines are computed once, when it is opened, in working minutes of the priority's
calendar (app/domain/sla.py); waiting for the client stops the clock: when work resumes the pause's working
minutes move the resolution deadline on. The warranty is checked against the date of the shipment the
product came with. Every state change goes through the workflow kernel (audited) and is e-mailed to the
client in the client's language through the outbox (a mail server that is missing or refuses does not
stop the change: the message stays queued for a retry).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.documents import SERVICE_REQUEST
from app.domain.errors import Collector, DomainError, Word
from app.domain.sla import AT_RISK, AT_RISK_SHARE, BREACHED, ON_TIME, WorkCalendar, sla_state
from app.domain.workflow import MSG_UNKNOWN_ACTION, _l
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.sales import Shipment, ShipmentLine
from app.models.service import (
    SERVICE_CHANNELS,
    SERVICE_PRIORITIES,
    ServiceComment,
    ServiceRequest,
    SlaPolicy,
    WorkingCalendar,
)
from app.services.base import current_actor, savepoint, unit_of_work
from app.services.locking import lock_row
from app.services.sequences import next_number
from app.services.workflow import transition

PREFIX = "SR"
MAX_FILE = 5 * 1024 * 1024
# priority: (first response, resolution) in working hours of the default calendar
DEFAULT_POLICIES = {"critical": (1, 8), "high": (2, 16), "normal": (4, 40), "low": (8, 80)}
DEFAULT_CALENDAR = ("Mon-Fri 9:00-18:00", "Пн-Пт 9:00-18:00", "Lun-Vie 9:00-18:00")

MSG_PARTNER = _l("Choose the client of the request")
MSG_SUBJECT = _l("Say in a few words what the request is about")
MSG_CHANNEL = _l("Choose how the request came in")
MSG_PRIORITY = _l("Choose the priority of the request")
MSG_ITEM = _l("No such product")
MSG_SHIPMENT = _l("Shipment %(number)s was not made to this client")
MSG_SHIPMENT_ITEM = _l("Shipment %(number)s did not carry %(item)s")
MSG_NO_REQUEST = _l("No such service request")
MSG_COMMENT = _l("Write the comment or attach a file")
MSG_FILE = _l("The file is larger than %(mb)s MB")
MSG_NO_POLICY = _l("Set up an SLA policy for priority “%(priority)s” first")
MAIL_SUBJECT = _l("Your service request %(number)s: %(state)s")
MAIL_BODY = _l("Hello,\n\nyour service request %(number)s (%(subject)s) is now “%(state)s”.\n\n%(comment)s")
MAIL_SIGNATURE = _l("This message was sent automatically by the service desk.")


# --- the calendar and the policies -----------------------------------------------------------------

def work_calendar(row: WorkingCalendar) -> WorkCalendar:
    """The pure calendar of a stored one (its working days, hours and holidays)."""
    return WorkCalendar(start=_clock(row.work_start_minute), end=_clock(row.work_end_minute),
                        weekdays=frozenset(int(d) for d in row.weekdays if d.isdigit()),
                        holidays=frozenset(h.day for h in row.holidays))


def _clock(minutes: int) -> time:
    return time(min(minutes // 60, 23), minutes % 60) if minutes < 24 * 60 else time(23, 59)


def ensure_sla_setup(session: Session) -> dict[str, SlaPolicy]:
    """The default working calendar (Mon-Fri 9-18) and one policy per priority, created when missing."""
    with unit_of_work(session):
        policies = {p.priority: p for p in session.scalars(select(SlaPolicy))}
        if len(policies) == len(SERVICE_PRIORITIES):
            return policies
        cal = session.scalar(select(WorkingCalendar).order_by(WorkingCalendar.id))
        if cal is None:
            name, ru, es = DEFAULT_CALENDAR
            cal = WorkingCalendar(name=name, name_ru=ru, name_es=es)
            session.add(cal)
            session.flush()
        for priority, (response, resolution) in DEFAULT_POLICIES.items():
            if priority not in policies:
                policies[priority] = SlaPolicy(priority=priority, response_minutes=response * 60,
                                               resolution_minutes=resolution * 60, calendar_id=cal.id)
                session.add(policies[priority])
        session.flush()
        return policies


def _policy(session: Session, priority: str) -> tuple[SlaPolicy, WorkCalendar]:
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.priority == priority))
    if policy is None:
        policy = ensure_sla_setup(session).get(priority)
    if policy is None:
        raise DomainError(MSG_NO_POLICY, priority=priority)
    return policy, work_calendar(policy.calendar)


def set_deadlines(session: Session, req: ServiceRequest) -> None:
    """Both deadlines and their "at risk" moments from the opening, in the priority's working time."""
    policy, cal = _policy(session, req.priority)
    clocks = [("resolution", policy.resolution_minutes)]
    if req.first_response_at is None:  # an answered request's response deadline is history
        clocks.insert(0, ("response", policy.response_minutes))
    for kind, minutes in clocks:
        setattr(req, f"{kind}_due_at", cal.add_working_minutes(req.opened_at, minutes + req.paused_minutes))
        risk = minutes - minutes // AT_RISK_SHARE + req.paused_minutes
        setattr(req, f"{kind}_risk_at", cal.add_working_minutes(req.opened_at, risk))


# --- the warranty ------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """`day` plus whole months, the last day of a shorter month when the day does not exist there."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def source_shipment(session: Session, partner_id: int, item_id: int | None) -> Shipment | None:
    """The latest posted shipment to the client that carried the product: where a serial most likely came from."""
    if item_id is None:
        return None
    return session.scalar(
        select(Shipment).join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(Shipment.partner_id == partner_id, Shipment.state == "posted", ShipmentLine.item_id == item_id)
        .order_by(Shipment.ship_date.desc(), Shipment.id.desc()).limit(1))


def warranty_until(item: Item | None, shipment: Shipment | None) -> date | None:
    """The last day of the warranty: the shipment date plus the product's warranty months."""
    if item is None or shipment is None or not item.warranty_months:
        return None
    return add_months(shipment.ship_date, item.warranty_months) - timedelta(days=1)


# --- registering --------------------------------------------------------------------------------------

@dataclass
class RequestInput:
    partner_id: int | None
    subject: str
    channel: str = "phone"
    priority: str = "normal"
    description: str = ""
    item_id: int | None = None
    serial_no: str = ""
    shipment_id: int | None = None
    assignee_id: int | None = None
    opened_at: datetime | None = None  # now, unless imported or in a test
    warranty_until: date | None = None  # from the warranty card, for a product sold before we kept shipments


def _check_input(session: Session, data: RequestInput) -> tuple[Item | None, Shipment | None]:
    errors = Collector()
    partner = session.get(Partner, data.partner_id) if data.partner_id else None
    if partner is None:
        errors.add(MSG_PARTNER, field="partner_id")
    if not (data.subject or "").strip():
        errors.add(MSG_SUBJECT, field="subject")
    if data.channel not in SERVICE_CHANNELS:
        errors.add(MSG_CHANNEL, field="channel")
    if data.priority not in SERVICE_PRIORITIES:
        errors.add(MSG_PRIORITY, field="priority")
    item = session.get(Item, data.item_id) if data.item_id else None
    if data.item_id and item is None:
        errors.add(MSG_ITEM, field="item_id")
    shipment = session.get(Shipment, data.shipment_id) if data.shipment_id else None
    if data.shipment_id and (shipment is None or shipment.partner_id != data.partner_id):
        errors.add(MSG_SHIPMENT, field="shipment_id", number=shipment.number if shipment else data.shipment_id)
    elif shipment is not None and item is not None and not any(ln.item_id == item.id for ln in shipment.lines):
        errors.add(MSG_SHIPMENT_ITEM, field="shipment_id", number=shipment.number, item=item.label())
    errors.raise_if_any()
    if shipment is None and partner is not None:
        shipment = source_shipment(session, partner.id, data.item_id)
    return item, shipment


def create_request(session: Session, data: RequestInput) -> ServiceRequest:
    """Register a request: number, the warranty as of the shipment, SLA deadlines from its priority."""
    with unit_of_work(session):
        req = ServiceRequest(
            partner_id=data.partner_id, channel=data.channel, subject=(data.subject or "").strip()[:200],
            description=data.description or "", item_id=data.item_id, serial_no=(data.serial_no or "").strip()[:64],
            shipment_id=data.shipment_id, priority=data.priority, assignee_id=data.assignee_id,
            opened_at=data.opened_at, warranty_until=data.warranty_until)
        prepare(session, req)
        session.add(req)
        session.flush()
    return req


def prepare(session: Session, req: ServiceRequest) -> ServiceRequest:
    """Check a new request (from the service or a page's form) and give it its number, warranty and deadlines."""
    data = RequestInput(partner_id=req.partner_id or (req.partner.id if req.partner else None),
                        subject=req.subject or "", channel=req.channel or "phone", priority=req.priority or "normal",
                        item_id=req.item_id or (req.item.id if req.item else None),
                        shipment_id=req.shipment_id or (req.shipment.id if req.shipment else None))
    item, shipment = _check_input(session, data)
    opened = (req.opened_at or utcnow()).replace(microsecond=0)
    until = warranty_until(item, shipment) or req.warranty_until  # the shipment's, else the warranty card's
    req.number = next_number(session, "service_request", opened.date(), PREFIX)
    req.partner_id, req.item_id, req.channel, req.priority = data.partner_id, data.item_id, data.channel, data.priority
    req.shipment_id = shipment.id if shipment else None
    req.state, req.opened_at, req.paused_minutes = SERVICE_REQUEST.initial, opened, 0
    req.warranty, req.warranty_until = until is not None and opened.date() <= until, until
    set_deadlines(session, req)
    return req


# --- the workflow -----------------------------------------------------------------------------------

def change_state(session: Session, request_id: int, action: str, comment: str = "",
                 at: datetime | None = None) -> ServiceRequest:
    """Move a request by `action` (start, wait, resume, resolve, close, reopen): SLA clocks, comment, client mail."""
    if action == "repair":  # a repair moves parts: repairs.repair, never a bare state change
        raise DomainError(MSG_UNKNOWN_ACTION, action=action, document=Word(SERVICE_REQUEST.name))
    with unit_of_work(session):
        req = lock_row(session, ServiceRequest, request_id)
        if req is None:
            raise DomainError(MSG_NO_REQUEST)
        now = (at or utcnow()).replace(microsecond=0)
        if req.state == "waiting" and action != "wait":
            _end_pause(session, req, now)
        transition(session, SERVICE_REQUEST, req, action)
        if action in ("start", "resolve") and req.first_response_at is None:
            req.first_response_at = now
        if action == "wait":
            req.paused_at = now
        elif action == "resolve":
            req.resolved_at = now
        elif action == "close":
            req.closed_at = now
        elif action == "reopen":
            req.resolved_at, req.closed_at, req.resolved_by, req.closed_by = None, None, "", ""
            req.reopened += 1
        if comment.strip():
            _comment(session, req, comment, now)
        session.flush()
        notify_client(session, req, comment)
    return req


def _end_pause(session: Session, req: ServiceRequest, now: datetime) -> None:
    """Waiting is over: its working minutes move the deadlines on (the clock stood still)."""
    if req.paused_at is None:
        return
    _policy_row, cal = _policy(session, req.priority)
    # a pause after the deadline does not un-breach it: only the time paused before it counts
    stop = min(now, req.resolution_due_at) if req.resolution_due_at else now
    req.paused_minutes += cal.working_minutes(req.paused_at, stop)
    req.paused_at = None
    set_deadlines(session, req)


def _comment(session: Session, req: ServiceRequest, body: str, at: datetime, filename: str = "",
             mimetype: str = "", content: bytes | None = None) -> ServiceComment:
    row = ServiceComment(request_id=req.id, created_at=at, author=current_actor().username[:100], body=body,
                         filename=filename[:200], mimetype=mimetype[:100], content=content)
    session.add(row)
    return row


def add_comment(session: Session, request_id: int, body: str, filename: str = "", content: bytes | None = None,
                mimetype: str = "application/octet-stream") -> ServiceComment:
    """A comment, with a file if one is attached; the first one is the first response when none was given."""
    errors = Collector()
    if not (body or "").strip() and not content:
        errors.add(MSG_COMMENT, field="body")
    if content and len(content) > MAX_FILE:
        errors.add(MSG_FILE, field="file", mb=MAX_FILE // (1024 * 1024))
    errors.raise_if_any()
    with unit_of_work(session):
        req = lock_row(session, ServiceRequest, request_id)
        if req is None:
            raise DomainError(MSG_NO_REQUEST)
        now = utcnow().replace(microsecond=0)
        if req.first_response_at is None:
            req.first_response_at = now
        row = _comment(session, req, (body or "").strip(), now, filename, mimetype if content else "", content)
        session.flush()
    return row


# --- SLA state ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaView:
    response: str
    resolution: str

    @property
    def overall(self) -> str:
        order = (ON_TIME, AT_RISK, BREACHED)
        return max(self.response, self.resolution, key=order.index)


def sla_of(req: ServiceRequest, now: datetime | None = None) -> SlaView:
    """The request's SLA state: each clock judged at its stop (answered, resolved, paused) or now."""
    now = now or utcnow()
    clock = req.resolved_at or req.paused_at or now
    response_at = req.first_response_at or clock
    return SlaView(sla_state(req.response_due_at, req.response_risk_at, response_at),
                   sla_state(req.resolution_due_at, req.resolution_risk_at, clock))


# --- telling the client ---------------------------------------------------------------------------

def notify_client(session: Session, req: ServiceRequest, comment: str = "") -> None:
    """E-mail the client the new state, in the client's language; kept queued when mail cannot go out now."""
    from flask_babel import force_locale, gettext

    from app.models.mail import MAIL_QUEUED, OutboxMessage
    from app.services.mail import send_mail
    from app.services.workflow import state_label

    partner = session.get(Partner, req.partner_id)
    if partner is None or not partner.email:
        return
    with force_locale(partner.language or "en"):
        state = state_label(SERVICE_REQUEST, req.state)
        subject = gettext(MAIL_SUBJECT, number=req.number, state=state)
        body = gettext(MAIL_BODY, number=req.number, subject=req.subject, state=state, comment=comment) + \
            "\n\n" + gettext(MAIL_SIGNATURE)
    try:
        with savepoint(session):
            send_mail(session, to=partner.email, subject=subject, body=body, entity="ServiceRequest",
                      entity_id=req.id, partner_id=partner.id)
    except DomainError as exc:
        session.add(OutboxMessage(sender="", recipients=partner.email, subject=subject, body=body,
                                  entity="ServiceRequest", entity_id=req.id, partner_id=partner.id,
                                  user_id=current_actor().user_id, state=MAIL_QUEUED,
                                  error="; ".join(exc.messages())[:2000]))


# --- SLA in SQL: the breaches list and the dashboard's panel -------------------------------------------

def breached_condition(now: datetime):
    """Open requests past a deadline, as three index ranges (state, deadline) rather than a scan: at work
    past the resolution deadline, waiting since after it (due < paused_at <= now: the first comparison only
    lets the index find them), new and unanswered past the response deadline (answering takes it into work)."""
    from sqlalchemy import and_, or_

    r = ServiceRequest
    return or_(and_(r.state.in_(("new", "in_progress")), r.resolution_due_at < now),
               and_(r.state == "waiting", r.resolution_due_at < now, r.resolution_due_at < r.paused_at),
               and_(r.state == "new", r.response_due_at < now, r.first_response_at.is_(None)))


def at_risk_condition(now: datetime):
    """Open requests at work in the last quarter of a budget, not yet past it."""
    from sqlalchemy import and_, or_

    r = ServiceRequest
    return or_(and_(r.state.in_(("new", "in_progress")), r.resolution_risk_at <= now, r.resolution_due_at >= now),
               and_(r.state == "new", r.response_risk_at <= now, r.response_due_at >= now,
                    r.first_response_at.is_(None)))


def sla_counts(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Open requests, those at risk and those breached: three COUNTs on the (state, deadline) indexes."""
    from sqlalchemy import func

    now = now or utcnow()
    r = ServiceRequest

    def count(*where) -> int:
        return session.scalar(select(func.count()).select_from(r).where(*where)) or 0

    return {"open": count(r.state.in_(("new", "in_progress", "waiting"))),
            AT_RISK: count(at_risk_condition(now), ~breached_condition(now)), BREACHED: count(breached_condition(now))}
