"""The marketing codes as words in the reader's language (campaign states, groups, recipient states)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CAMPAIGN_STATE_LABELS = {"draft": _l("Draft"), "sending": _l("Sending"), "sent": _l("Sent")}
GROUP_LABELS = {"target": _l("Campaign group"), "holdout": _l("Holdout")}
RECIPIENT_STATE_LABELS = {"pending": _l("Waiting"), "queued": _l("In the outbox"), "opted_out": _l("Opted out"),
                          "no_email": _l("No e-mail"), "held_out": _l("Held out")}
SOURCE_LABELS = {"link": _l("Unsubscribe link"), "one_click": _l("One-click unsubscribe"), "manual": _l("By hand")}
RFM_GROUP_LABELS = {"champions": _l("Champions"), "loyal": _l("Loyal"), "new": _l("New"),
                    "at_risk": _l("At risk"), "lost": _l("Lost"), "others": _l("Others")}
MESSAGES = (
    _l("Unknown rule %(kind)s"), _l("Rule %(n)s: give %(value)s"), _l("Rules must be a list of conditions"),
    _l("Give the segment a name"), _l("Give the promotion a name"), _l("The promotion ends before it starts"),
    _l("The discount must be above 0 and at most 100%%"), _l("The floor margin must be from 0 to below 100%%"),
    _l("The campaign has already started"), _l("Campaign %(id)s not found"),
    _l("Write the campaign's subject and text (at least in English)"), _l("This unsubscribe link is not valid"),
    _l("The campaign has not started: no results yet"),
    _l("%(written)s letters written, %(sent)s sent, %(failed)s failed"),
    _l("%(clients)s clients scored, %(segments)s segments rebuilt"),
)
