"""Words of the proposals context shown in pages, the card and printed forms (lazy, translated at the edge)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from app.domain.documents import PROPOSAL
from app.services.workflow import lazy_state_labels

STATE_LABELS = lazy_state_labels(PROPOSAL)  # declared with the workflow (app/domain/documents.py)
SOURCE_LABELS = {
    "fifo": _l("FIFO layers net of reservations"), "average": _l("Average cost"),
    "last_purchase": _l("Last purchase price"), "best_offer": _l("Best supplier offer"),
    "standard": _l("Standard cost"),
}
GROUP_KIND_LABELS = {"one": _l("Choose one"), "many": _l("Choose many"), "qty": _l("Quantities")}
RULE_KIND_LABELS = {"requires": _l("Requires"), "excludes": _l("Excludes"), "max_qty": _l("At most")}
SCOPE_LABELS = {"all": _l("Everything"), "group": _l("Item group"), "partner": _l("Client")}
EVENT_LABELS = {
    "date": _l("On a date"), "order": lazy_pgettext("payment event", "On order"), "shipment": _l("On shipment"),
    "delivery": _l("On delivery"), "acceptance": _l("On acceptance"),
}
LINE_KIND_LABELS = {"base": _l("Base"), "option": _l("Option"), "manual": _l("Manual"),
                    "calculator": _l("Calculator")}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))
