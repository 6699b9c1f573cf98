"""Domain msgids of the client base (app.services.partners), listed for extraction: raised as plain
English msgids and translated where they are shown."""

from flask_babel import lazy_gettext as _l

PARTNER_MESSAGES = (
    _l("A partner with the same tax id already exists: %(name)s (#%(id)s)"),
    _l("A partner with the same phone already exists: %(name)s (#%(id)s)"),
    _l("A partner with the same e-mail already exists: %(name)s (#%(id)s)"),
    _l("A partner with a similar name already exists: %(name)s (#%(id)s)"),
    _l("Check the partner found, or confirm to save anyway"),
    _l("Give the partner's name"),
    _l("Unknown partner kind: %(kind)s"),
    _l("Not an e-mail address: %(address)s"),
    _l("A contact belongs to a company"),
    _l("A partner can't be its own contact"),
    _l("A company with contacts can't become a person"),
    _l("No such partner: %(id)s"),
    _l("A partner can't be merged into itself"),
    _l("%(name)s has already been merged"),
    _l("Both partners have the same %(what)s: merge them by hand first"),
    _l("Give the address"),
    _l("Unknown address kind: %(kind)s"),
    _l("Give the bank's name"),
    _l("Give the account number"),
)
