"""Domain msgids of the mail service, listed for extraction (see app/i18n_overrides.py)."""

from flask_babel import lazy_gettext as _l

MAIL_MESSAGES = (
    _l("Outgoing mail is not configured: set the SMTP server in the company settings"),
    _l("Outgoing mail is not configured: set the sender address in the company settings"),
    _l("Give at least one recipient address"),
    _l("Not an e-mail address: %(address)s"),
    _l("The subject must be one line"),
    _l("No such message"),
    _l("This message has already been sent"),
    _l("The mail server refused the message: %(error)s"),
)
#: the edge's answer when the database stays busy (app/services/base.run_use_case)
EDGE_MESSAGES = (_l("The database is busy with other work: try again in a moment"),)
