"""The client card's section of service requests: one LIMITed query that also counts."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.documents import SERVICE_REQUEST
from app.models.service import ServiceRequest
from app.services.partner_card import CardSection, limited_rows, url_or_none

SLA_WORDS = {"on_time": _l("On time"), "at_risk": _l("At risk"), "breached": _l("Breached")}


def card_sections(session: Session, partner_id: int, limit: int = 20) -> list[CardSection]:
    rows, total = limited_rows(session, select(ServiceRequest).where(ServiceRequest.partner_id == partner_id)
                               .order_by(ServiceRequest.id.desc()), limit)
    return [CardSection(
        key="service", title=_l("Service requests"), total=total,
        columns=[("number", _l("Number")), ("opened_at", _l("Opened")), ("subject", _l("Subject")),
                 ("state", _l("State")), ("sla", _l("SLA"))],
        rows=[{"number": r.number, "opened_at": r.opened_at, "subject": r.subject,
               "state": gettext(SERVICE_REQUEST.label(r.state)), "sla": str(SLA_WORDS[r.sla_code()]),
               "url": url_or_none("ServiceRequestView.show", pk=r.id)} for r in rows],
        more_url=url_or_none("ServiceRequestView.list", _flt_0_partner=partner_id))]
