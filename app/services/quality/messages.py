"""Domain msgids of quality and the knowledge base (app.services.quality), listed for extraction: raised as
plain English msgids and translated where they are shown (flash messages, the API's refusals)."""

from flask_babel import lazy_gettext as _l

QUALITY_MESSAGES = (
    _l("Lot %(lot)s does not exist"),
    _l("Shipment %(id)s does not exist"),
    _l("Give the complaint a title"),
    _l("%(field)s can't be negative"),
    _l("You may not do “%(action)s”: it needs the right to post on Quality"),
    _l("Describe the action"),
    _l("Unknown kind of action: %(kind)s"),
    _l("Choose the complaint"),
    _l("%(document)s %(number)s does not exist"),
    _l("Complaint %(number)s still has %(n)s open actions"),
    _l("Nothing of lot %(lot)s reached a client"),
    _l("The service desk is not available"),
    _l("Choose a file"),
    _l("The file is larger than %(mb)s MB"),
    _l("Article %(id)s does not exist"),
    _l("Service request %(id)s does not exist"),
    _l("File %(name)s attached"),
    _l("Give lot_id or shipment_id"),
    _l("Article linked to the request"),
    _l("Client"), _l("E-mail"), _l("Shipment"), _l("Date"), _l("Item"), _l("Lot"), _l("Quantity"), _l("Margin"),
    _l("Level"), _l("Document"), _l("Production order"),
)
