"""Stock documents written when the supplier or client was free text: link them to their partners.

Receipts, issues and returns now link the partner (StockDocument.partner_id); older documents keep
what was typed in `partner_name`, shown as is. `link_partner_names` links each such text that names
exactly one partner (compared as the partner search does: case, quotes and legal forms aside); an
ambiguous or unknown text stays text, for a person to decide. Run by `flask --app run stock link-partners`; idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.partners import Partner
from app.models.stock import StockDocument
from app.services.base import unit_of_work
from app.services.partners import normalize_name


@dataclass
class LinkResult:
    linked: int  # documents now linked to their partner
    unmatched: list[str]  # texts that name no partner, or more than one


def link_partner_names(session: Session) -> LinkResult:
    """Link every unlinked document whose partner text names exactly one active partner."""
    with unit_of_work(session):
        texts = session.scalars(select(StockDocument.partner_name).where(
            StockDocument.partner_id.is_(None), func.trim(StockDocument.partner_name) != "").distinct()).all()
        linked, unmatched = 0, []
        for text in texts:
            ids = set(session.scalars(select(Partner.id).where(
                Partner.merged_into_id.is_(None), Partner.name_norm == normalize_name(text))).all())
            if len(ids) != 1:
                unmatched.append(text)
                continue
            partner_id = ids.pop()
            for doc in session.scalars(select(StockDocument).where(  # through the ORM: each change audited
                    StockDocument.partner_id.is_(None), StockDocument.partner_name == text)):
                doc.partner_id = partner_id
                linked += 1
        session.flush()
        return LinkResult(linked, sorted(unmatched))
