"""Domain msgids of the sales funnel (app.services.crm), listed for extraction: raised as plain English
msgids and translated where they are shown (flash messages, the kanban's JSON answer, the API)."""

from flask_babel import lazy_gettext as _l

CRM_MESSAGES = (
    _l("Give the deal a title"),
    _l("Choose the deal's partner"),
    _l("The amount can't be negative"),
    _l("Not a number: %(value)s"),
    _l("Set up the deal stages first"),
    _l("The probability is a percentage from 0 to 100"),
    _l("No such deal: %(id)s"),
    _l("No such stage: %(id)s"),
    _l("The deal %(title)s is closed (%(stage)s): reopen it to move it"),
    _l("Say why the deal was lost"),
    _l("Choose an open stage"),
    _l("The deal %(title)s is not closed"),
    _l("Give the activity a subject"),
    _l("Unknown activity kind: %(kind)s"),
    _l("Give the due date"),
    _l("Choose the activity's partner or deal"),
    _l("No such activity: %(id)s"),
    _l("The activity %(subject)s is already done"),
)
