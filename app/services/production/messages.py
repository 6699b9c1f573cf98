"""Msgids of the disassembly / conversion service shown to users, listed for extraction."""

from flask_babel import lazy_gettext as _l

TRANSFORM_MESSAGES = (
    _l("%(item)s has no standard cost, so the standard-cost rule cannot share the cost out: enter its standard cost "
       "on the item's card, or choose the weight or manual rule"),
    _l("%(item)s has no weight, so the weight rule cannot share the cost out: enter its weight on the item's card, "
       "or choose the standard-cost or manual rule"),
)
