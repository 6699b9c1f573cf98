"""The client card's pluggable sections: every context shows its documents of one partner.

The card (app/views/partners/views.py) knows nothing about deals, orders or proposals: it asks each
provider listed in CARD_PROVIDERS for its sections. A provider is
`def card_sections(session, partner_id: int, limit: int = 20) -> list[CardSection]` and must cost
one LIMITed query per section that also counts all rows (`limited_rows`: count(*) OVER ()), so a
card with thousands of documents stays fast and a section is one round trip, not two.
A provider that cannot be imported is a bug, reported as one (every listed context exists).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class CardSection:
    """One block of the card: a titled table of a partner's documents.

    `columns` are (row key, lazy label) pairs; `rows` hold values ready to format (Decimal amounts,
    dates, strings) and a `url` key for the link of the row; `total` is the full count, so the card
    can say "20 of 1,000" and link `more_url` (the filtered list).
    """

    key: str
    title: Any
    columns: list[tuple[str, Any]]
    rows: list[dict]
    total: int
    more_url: str | None = None


def url_or_none(endpoint: str, **values: Any) -> str | None:
    """The link of a card row or section, or None outside a request (bench, jobs, tests): no links."""
    try:
        from flask import url_for

        return url_for(endpoint, **values)
    except Exception:  # noqa: BLE001 - no app or request context: the card is built without links
        return None


def limited_rows(session, stmt: Any, limit: int) -> tuple[list, int]:
    """The first `limit` rows of `stmt` and how many rows it has in all, in one statement.

    The count comes as a window over the whole result, computed before the LIMIT: every row carries
    it, and no row means none match. A statement of one entity (`select(Model)`) gives the entities;
    any other gives its rows, with the count as one more column at the end (read them by name).
    """
    from sqlalchemy import func

    rows = session.execute(stmt.add_columns(func.count().over().label("card_total")).limit(limit)).all()
    total = rows[0][-1] if rows else 0
    single = len(rows[0]) == 2 if rows else False
    return [r[0] if single else r for r in rows], total


CARD_PROVIDERS: list[str] = [
    "app.services.crm:card_sections",
    "app.services.sales.card:card_sections",
    "app.services.purchasing.card:card_sections",
    "app.services.proposals.card:card_sections",
    "app.services.service_desk.card:card_sections",
]

Provider = Callable[..., list[CardSection]]


def load_provider(spec: str) -> Provider:
    """The provider function named by "module:function" (resolved at call time: no import cycles)."""
    module_name, _, func_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def card_sections(session, partner_id: int, limit: int = 20,
                  providers: list[str] | None = None) -> list[CardSection]:
    """Every provider's sections for one partner, in CARD_PROVIDERS order."""
    sections: list[CardSection] = []
    for spec in CARD_PROVIDERS if providers is None else providers:
        sections.extend(load_provider(spec)(session, partner_id, limit=limit))
    return sections


# --- the card's own data -------------------------------------------------------------------------

CARD_CONTACTS = 50
CARD_AUDIT = 30


@dataclass
class Card:
    """Everything the client card shows, read in a fixed number of queries."""

    partner: Any
    contacts: list
    contacts_total: int
    sections: list[CardSection]
    audit: list
    audit_total: int
    duplicates: list
    merged_ids: list[int]


def build_card(session, partner_id: int, limit: int = 20) -> Card | None:
    """The client card of one partner (None if there is none): header, contacts, sections, audit trail.

    The audit trail covers the partner, its addresses and bank accounts, and partners merged into
    it (their history stays theirs, shown here).
    """
    from sqlalchemy import and_, or_, select
    from sqlalchemy.orm import joinedload, selectinload

    from app.models.audit import AuditLog
    from app.models.partners import Partner, PartnerBankAccount
    from app.services.partners import find_duplicates, probe_of

    partner = session.scalar(
        select(Partner).where(Partner.id == partner_id)
        .options(joinedload(Partner.company), joinedload(Partner.manager), joinedload(Partner.merged_into),
                 selectinload(Partner.tags), selectinload(Partner.addresses),
                 selectinload(Partner.bank_accounts).joinedload(PartnerBankAccount.currency))
    )
    if partner is None:
        return None
    contacts, contacts_total = limited_rows(
        session, select(Partner).where(Partner.company_id == partner_id).order_by(Partner.name), CARD_CONTACTS)
    merged_ids = list(session.scalars(select(Partner.id).where(Partner.merged_into_id == partner_id)))
    entity_ids = [("Partner", [partner_id, *merged_ids]),
                  ("PartnerAddress", [a.id for a in partner.addresses]),
                  ("PartnerBankAccount", [b.id for b in partner.bank_accounts])]
    audit_where = or_(*[and_(AuditLog.entity == name, AuditLog.entity_id.in_([str(i) for i in ids]))
                        for name, ids in entity_ids if ids])
    audit, audit_total = limited_rows(
        session, select(AuditLog).where(audit_where).order_by(AuditLog.id.desc()), CARD_AUDIT)
    duplicates = find_duplicates(session, probe_of(partner)) if partner.active else []
    return Card(partner, contacts, contacts_total, card_sections(session, partner_id, limit), audit, audit_total,
                duplicates, merged_ids)
