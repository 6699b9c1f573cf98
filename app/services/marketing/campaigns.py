"""Campaigns: a seeded holdout draw, mail per client in its language, a call list, paced sending.

Starting a campaign fixes its recipients: the segment's members now, a reproducible random share of
them (`holdout_pct`, drawn with the campaign's `seed`) held back to measure what the campaign
changed. The rest are mailed unless they opted out (from any campaign: one opt-out register) or
have no address; the call list becomes an activity (a call) for each client's sales manager.
Mail is written to the outbox by `send_batch`, `per_run` messages at a time (the scheduler's job
calls it every minute), so a 10,000-client campaign neither blocks a page nor floods the server,
and a stopped process resumes where the recipients' states say it was. Each message carries a
signed unsubscribe link and the RFC 8058 one-click headers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.base import utcnow
from app.models.crm import Activity
from app.models.mail import MAIL_QUEUED, MAIL_SENT, OutboxMessage
from app.models.marketing import (
    CAMPAIGN_DRAFT,
    CAMPAIGN_SENDING,
    CAMPAIGN_SENT,
    GROUP_HOLDOUT,
    GROUP_TARGET,
    RCP_HELD_OUT,
    RCP_NO_EMAIL,
    RCP_OPTED_OUT,
    RCP_PENDING,
    RCP_QUEUED,
    Campaign,
    CampaignRecipient,
    OptOut,
)
from app.models.partners import Partner
from app.models.sales import SalesOrder, SalesOrderLine
from app.services.base import current_actor
from app.services.marketing.segments import evaluate, member_ids
from app.services.marketing.stats import counted_orders

SALT = "fabrika-unsubscribe"
LANGS = ("en", "ru", "es")
MSG_NOT_DRAFT = "The campaign has already started"
MSG_NOT_FOUND = "Campaign %(id)s not found"
MSG_NO_TEXT = "Write the campaign's subject and text (at least in English)"
MSG_BAD_LINK = "This unsubscribe link is not valid"


# --- the holdout --------------------------------------------------------------------------------


def draw_holdout(partner_ids: Iterable[int], pct: Decimal, seed: int) -> set[int]:
    """The held-back clients: the same ids, share and seed always give the same set."""
    ids = sorted(partner_ids)
    share = round(len(ids) * Decimal(pct) / 100)
    rng = random.Random(seed)
    return set(rng.sample(ids, int(share))) if share else set()


# --- unsubscribe --------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(partner_id: int, campaign_id: int) -> str:
    return _serializer().dumps([partner_id, campaign_id])


def read_token(token: str) -> tuple[int, int]:
    try:
        partner_id, campaign_id = _serializer().loads(token)
        return int(partner_id), int(campaign_id)
    except (BadSignature, ValueError, TypeError) as exc:
        raise DomainError(MSG_BAD_LINK) from exc


def unsubscribe_url(token: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or "http://localhost:5000").rstrip("/")
    return f"{base}/marketing/unsubscribe/{token}"


def opt_out(session: Session, partner_id: int, source: str = "link", note: str = "") -> OptOut:
    """Record that the client wants no marketing mail (idempotent); pending mail to it is dropped."""
    row = session.scalar(select(OptOut).where(OptOut.partner_id == partner_id))
    if row is None:
        row = OptOut(partner_id=partner_id, source=source, note=note)
        session.add(row)
    session.execute(update(CampaignRecipient).where(CampaignRecipient.partner_id == partner_id,
                                                    CampaignRecipient.state == RCP_PENDING)
                    .values(state=RCP_OPTED_OUT))
    session.flush()
    return row


def unsubscribe(session: Session, token: str, source: str = "link") -> int:
    partner_id, campaign_id = read_token(token)
    opt_out(session, partner_id, source, note=f"campaign {campaign_id}")
    return partner_id


def opted_out_ids(session: Session) -> set[int]:
    return set(session.scalars(select(OptOut.partner_id)))


# --- starting -----------------------------------------------------------------------------------


def _get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise DomainError(MSG_NOT_FOUND, id=campaign_id)
    return campaign


def _emails(session: Session, ids: list[int]) -> dict[int, str]:
    """Each client's address: its own, else its first contact person's."""
    own = dict(session.execute(select(Partner.id, Partner.email).where(Partner.id.in_(ids), Partner.email != ""))
               .all())
    rest = [i for i in ids if i not in own]
    for start in range(0, len(rest), 5000):
        chunk = rest[start:start + 5000]
        for company_id, email in session.execute(
                select(Partner.company_id, Partner.email).where(Partner.company_id.in_(chunk), Partner.email != "")
                .order_by(Partner.id)):
            own.setdefault(company_id, email)
    return own


def _chunks(ids: list[int], size: int = 5000):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def start_campaign(session: Session, campaign_id: int, today: date | None = None) -> Campaign:
    """Fix the recipients (target / holdout), make the call list; mail then leaves by `send_batch`."""
    campaign = _get(session, campaign_id)
    if campaign.state != CAMPAIGN_DRAFT:
        raise DomainError(MSG_NOT_DRAFT)
    if not campaign.subject.strip() or not campaign.body.strip():
        raise DomainError(MSG_NO_TEXT)
    evaluate(session, campaign.segment, today)
    ids = member_ids(session, campaign.segment_id)
    holdout = draw_holdout(ids, campaign.holdout_pct, campaign.seed)
    blocked = opted_out_ids(session)
    emails = {}
    for chunk in _chunks(ids):
        emails.update(_emails(session, chunk))
    rows = []
    for pid in ids:
        group = GROUP_HOLDOUT if pid in holdout else GROUP_TARGET
        state = (RCP_HELD_OUT if group == GROUP_HOLDOUT else RCP_OPTED_OUT if pid in blocked
                 else RCP_NO_EMAIL if pid not in emails else RCP_PENDING)
        rows.append({"campaign_id": campaign.id, "partner_id": pid, "group": group, "state": state,
                     "email": emails.get(pid, "")})
    for start in range(0, len(rows), 5000):
        session.execute(insert(CampaignRecipient), rows[start:start + 5000])
    if campaign.call_list:
        _call_list(session, campaign, [pid for pid in ids if pid not in holdout], today or date.today())
    campaign.state, campaign.started_at = CAMPAIGN_SENDING, utcnow()
    session.flush()
    return campaign


def _call_list(session: Session, campaign: Campaign, ids: list[int], today: date) -> int:
    """One call activity per target client, for its sales manager, due on the next working morning."""
    due = datetime.combine(today + timedelta(days=1), time(10, 0))
    managers = {}
    for chunk in _chunks(ids):
        managers.update(session.execute(select(Partner.id, Partner.manager_id).where(Partner.id.in_(chunk))).all())
    subject = campaign.name[:180]
    rows = [{"kind": "call", "partner_id": pid, "subject": subject, "due_at": due, "done": False,
             "assignee_id": managers.get(pid) or current_actor().user_id, "result": "",
             "created_at": utcnow(), "updated_at": utcnow()} for pid in ids]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Activity), rows[start:start + 5000])
    return len(rows)


# --- the letters --------------------------------------------------------------------------------


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def _last_purchases(session: Session, ids: list[int]) -> dict[int, tuple[date, str]]:
    """Each client's last counted order: its date and first line's item (two queries)."""
    last = (select(SalesOrder.partner_id, func.max(SalesOrder.id).label("oid"))
            .where(SalesOrder.partner_id.in_(ids), counted_orders()).group_by(SalesOrder.partner_id).subquery())
    orders = dict(session.execute(select(last.c.oid, last.c.partner_id)).all())
    if not orders:
        return {}
    dates = dict(session.execute(select(SalesOrder.id, SalesOrder.order_date)
                                 .where(SalesOrder.id.in_(list(orders)))).all())
    out: dict[int, tuple[date, str]] = {}
    lines = session.scalars(select(SalesOrderLine).where(SalesOrderLine.order_id.in_(list(orders)))
                            .order_by(SalesOrderLine.order_id, SalesOrderLine.line_no))
    for line in lines:
        pid = orders[line.order_id]
        if pid not in out:
            out[pid] = (dates[line.order_id], line.description or (line.item.name if line.item else ""))
    return out


def _contacts(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for company_id, name in session.execute(select(Partner.company_id, Partner.name).where(
            Partner.company_id.in_(ids), Partner.kind == "person").order_by(Partner.id)):
        out.setdefault(company_id, name)
    return out


def render(campaign: Campaign, lang: str, values: dict) -> Letter:
    """The campaign's text in the client's language (English when not written), placeholders filled."""
    lang = lang if lang in LANGS else "en"
    subject = (getattr(campaign, f"subject_{lang}", "") if lang != "en" else "") or campaign.subject
    body = (getattr(campaign, f"body_{lang}", "") if lang != "en" else "") or campaign.body
    data = _Blank(values)
    return Letter(subject.format_map(data).replace("\n", " ")[:300], body.format_map(data))


def _offer_text(campaign: Campaign, lang: str) -> tuple[str, str]:
    promo = campaign.promotion
    if promo is None:
        return "", ""
    return promo.label(lang), format(Decimal(promo.discount_pct).normalize(), "f")


def send_batch(session: Session, campaign_id: int, limit: int | None = None) -> int:
    """Write the next `limit` letters to the outbox (queued); returns how many. Resumable at any point."""
    campaign = _get(session, campaign_id)
    if campaign.state != CAMPAIGN_SENDING:
        return 0
    todo = session.execute(select(CampaignRecipient.id, CampaignRecipient.partner_id, CampaignRecipient.email)
                           .where(CampaignRecipient.campaign_id == campaign.id,
                                  CampaignRecipient.state == RCP_PENDING)
                           .order_by(CampaignRecipient.id).limit(limit or campaign.per_run)).all()
    if not todo:
        campaign.state, campaign.finished_at = CAMPAIGN_SENT, utcnow()
        return 0
    ids = [pid for _, pid, _ in todo]
    blocked = set(session.scalars(select(OptOut.partner_id).where(OptOut.partner_id.in_(ids))))
    partners = {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(ids)))}
    contacts, last = _contacts(session, ids), _last_purchases(session, ids)
    sender = _sender(session)
    now = utcnow()
    messages, done, dropped = [], [], []
    for rid, pid, email in todo:
        if pid in blocked:
            dropped.append(rid)
            continue
        partner = partners[pid]
        lang = partner.language if partner.language in LANGS else "en"
        offer, pct = _offer_text(campaign, lang)
        when, what = last.get(pid, (None, ""))
        token = unsubscribe_token(pid, campaign.id)
        url = unsubscribe_url(token)
        letter = render(campaign, lang, {
            "name": partner.name, "contact": contacts.get(pid, partner.name), "last_purchase": what,
            "last_order_date": when.isoformat() if when else "", "offer": offer, "discount": pct,
            "unsubscribe_url": url})
        body = letter.body if url in letter.body else f"{letter.body}\n\n{url}"
        messages.append({"created_at": now, "state": MAIL_QUEUED, "error": "", "attempts": 0, "sender": sender,
                         "recipients": email, "subject": letter.subject, "body": body, "entity": "mkt_campaign",
                         "entity_id": campaign.id, "partner_id": pid, "user_id": current_actor().user_id,
                         "headers": {"List-Unsubscribe": f"<{url}>",
                                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}})
        done.append(rid)
    if messages:
        session.execute(insert(OutboxMessage), messages)
    if done:
        session.execute(update(CampaignRecipient).where(CampaignRecipient.id.in_(done))
                        .values(state=RCP_QUEUED, queued_at=now))
    if dropped:
        session.execute(update(CampaignRecipient).where(CampaignRecipient.id.in_(dropped))
                        .values(state=RCP_OPTED_OUT))
    session.flush()
    return len(messages)


def _sender(session: Session) -> str:
    """The company's sender address (letters are queued; the delivering job needs the SMTP settings)."""
    from app.models.core import Company

    company = session.scalar(select(Company).order_by(Company.id).limit(1))
    return (company.mail_from or company.email if company is not None else "") or "noreply@localhost"


def queued_messages(session: Session, campaign_id: int | None = None, limit: int = 500) -> list[int]:
    """Campaign mail still waiting in the outbox, oldest first (for the delivering job)."""
    q = select(OutboxMessage.id).where(OutboxMessage.entity == "mkt_campaign", OutboxMessage.state == MAIL_QUEUED)
    if campaign_id is not None:
        q = q.where(OutboxMessage.entity_id == campaign_id)
    return list(session.scalars(q.order_by(OutboxMessage.id).limit(limit)))


def progress(session: Session, campaign_id: int) -> dict[str, int]:
    """Recipients by state, and messages the server accepted."""
    out = dict(session.execute(select(CampaignRecipient.state, func.count()).where(
        CampaignRecipient.campaign_id == campaign_id).group_by(CampaignRecipient.state)).all())
    out["sent"] = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.entity == "mkt_campaign", OutboxMessage.entity_id == campaign_id,
        OutboxMessage.state == MAIL_SENT)) or 0
    return out

