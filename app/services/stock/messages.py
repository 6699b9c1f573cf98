"""Msgids of the stock services shown to users (the lines grid, returns of a shipment), listed for extraction."""

from flask_babel import lazy_gettext as _l

GRID_MESSAGES = (
    _l("Line %(line)s (%(item)s), %(field)s"),
    _l("Line %(line)s, %(field)s"),
    _l("The draft"),
    _l("%(item)s was not shipped in %(shipment)s"),
    _l("%(item)s: %(qty)s to return, but %(shipped)s were shipped in %(shipment)s and %(returned)s "
       "already came back, so at most %(left)s"),
    _l("Choose a posted shipment of this client"),
)
