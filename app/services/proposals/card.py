"""The client card's proposals section: the partner's current TCP versions, newest first.

One LIMITed query that also counts (app.services.partner_card's contract).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.core import Currency
from app.models.proposals import Proposal
from app.services.partner_card import limited_rows, url_or_none
from app.services.proposals.labels import state_label


def card_sections(session: Session, partner_id: int, limit: int = 20) -> list:
    """The partner's proposals (current versions) for the client card."""
    from app.services.partner_card import CardSection

    where = (Proposal.partner_id == partner_id) & Proposal.is_current.is_(True)
    rows, total = limited_rows(session, select(
        Proposal.id, Proposal.number, Proposal.version, Proposal.proposal_date, Proposal.state,
        Proposal.grand_total, Currency.code).join(Currency, Currency.id == Proposal.currency_id)
        .where(where).order_by(Proposal.proposal_date.desc(), Proposal.id.desc()), limit)
    return [CardSection(
        key="proposals", title=_l("Proposals"), total=total,
        columns=[("number", _l("Number")), ("date", _l("Date")), ("state", _l("State")), ("amount", _l("Amount")),
                 ("currency", _l("Currency"))],
        rows=[{"number": r.number if r.version == 1 else f"{r.number}/{r.version}", "date": r.proposal_date,
               "state": state_label(r.state), "amount": r.grand_total, "currency": r.code,
               "url": url_or_none("ProposalView.show", pk=r.id)} for r in rows],
        more_url=url_or_none("ProposalView.list", _flt_0_partner=partner_id),
    )]
