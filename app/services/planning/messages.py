"""The planning services' messages, declared for extraction (the services raise and return them as
msgids with parameters; pages and the API translate them when shown)."""

from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("Choose the planned orders to firm"),
    _l("Create a warehouse first"),
    _l("No such forecast line"),
    _l("Forecast level: choose per item or per item group"),
    _l("Forecast period: choose a month or a week"),
    _l("Override: write a quantity, zero or more"),
    _l("%(centre)s is fully booked until %(date)s"),
    _l("%(item)s: %(qty)s short, arrive on %(date)s from %(supplier)s (%(days)s days)"),
    _l("%(item)s: %(qty)s short, arrive on %(date)s from %(supplier)s (ordered)"),
    _l("%(item)s: %(qty)s short, no supplier offer: %(days)s days assumed, arrive on %(date)s"),
    _l("%(item)s: %(qty)s to make, needs %(days)s days of %(centre)s, done %(date)s"),
    _l("%(item)s: making %(qty)s takes a day (no routing)"),
    _l("Earliest delivery %(date)s"),
    _l("Everything is in stock: can ship today"),
)
