"""Domain msgids of the integrity checks (nested API writes, structural edits, lost updates), for extraction.

See app/i18n_overrides.py: services raise plain msgids and the edge translates them; babel finds them here.
"""

from flask_babel import lazy_gettext as _l

INTEGRITY_MESSAGES = (
    # app/api/related.py
    _l("Give the id of an existing record: related records are not created or changed here"),
    _l("No record with id %(id)s"),
    # app/services/stock/structure.py
    _l("Warehouse %(code)s has stock moves, so its valuation cannot change from %(old)s to %(new)s "
       "(its lots would disagree with the ledger). Open a new warehouse with the other valuation and "
       "transfer the stock to it."),
    _l("Item %(code)s has %(uses)s, so its unit cannot change from %(old)s to %(new)s (every quantity "
       "recorded in %(old)s would be read as %(new)s). Add a unit conversion instead, or create a new "
       "item in %(new)s and convert the stock to it."),
    _l("Item %(code)s has %(uses)s, so its kind cannot change from %(old)s to %(new)s: stock of a service "
       "cannot be issued. Issue or convert the stock first, or create a new item."),
    _l("stock moves"),
    _l("open reservations"),
    _l("bills of materials that use it"),
    _l("unit conversions"),
    # app/services/versioning.py
    _l("%(what)s was changed by %(user)s at %(time)s since you opened it; nothing was saved"),
    _l("%(what)s was changed since you opened it; nothing was saved"),
    _l("%(field)s: saved “%(theirs)s”, yours “%(mine)s”"),
    _l("Open it again to see the saved version, then make your change once more"),
    _l("Your version is still in the form: save again to replace the saved one with it"),
    _l("The version you opened (%(value)s) is not a whole number"),
)
