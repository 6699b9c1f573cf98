"""Msgids of the cost correction and period services shown to users, listed for extraction."""

from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("The date %(date)s is in the closed period %(period)s: nothing can be posted or cancelled in it"),
    _l("Reopening a closed period needs the permission to reopen periods"),
    _l("The period %(period)s is not closed"),
    _l("The period %(period)s is already closed"),
    _l("The document's cost was corrected afterwards by %(documents)s: cancel the correction first"),
    _l("Choose at least one posted receipt"),
    _l("%(document)s is not a posted receipt"),
    _l("%(item)s has no weight: give it one or allocate by value or quantity"),
    _l("Nothing to allocate by: every receipt line has zero value, quantity or weight"),
    _l("Line %(line)s of %(document)s would get a negative value"),
    _l("Enter the amount to allocate"),
    _l("Choose how to allocate: by value, quantity or weight"),
    _l("Choose the kind of correction"),
    _l("Cost correction %(id)s not found"),
    _l("The cost cannot be shared out: every weight is zero"),
    _l("Only receipts and issues are re-costed when posted with an earlier date"),
)
