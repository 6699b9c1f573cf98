"""Edit pages of versioned registers: the form carries the version it was opened with.

A hidden `opened_version` field is added to the edit form and filled with the row's version when
the form is opened; saving checks it against the stored one (app.services.versioning), so a save
over a change someone else made meanwhile is refused with who, when and both versions of each
field, instead of silently writing the old values back.
"""

from __future__ import annotations

from typing import Any

from flask import request
from wtforms import HiddenField

from app.extensions import db
from app.services.versioning import check_opened_version

OPENED = "opened_version"


def with_opened_version(form_class: type) -> type:
    """The form class with the hidden opened-version field (rendered by the form's hidden_tag)."""
    if hasattr(form_class, OPENED):
        return form_class
    return type(f"Versioned{form_class.__name__}", (form_class,), {OPENED: HiddenField()})


class VersionedEditMixin:
    """For a ModelView of a Versioned model; put it first in the bases. A view's own pre_update
    calls super().pre_update(item) so the check runs."""

    def _init_forms(self) -> None:
        super()._init_forms()  # type: ignore[misc]
        self.edit_form = with_opened_version(self.edit_form)

    def prefill_form(self, form, pk) -> None:
        super().prefill_form(form, pk)  # type: ignore[misc]
        item = self.datamodel.get(pk)  # type: ignore[attr-defined]
        if item is not None:
            form[OPENED].data = item.row_version

    def pre_update(self, item: Any) -> None:
        from app.views.production.common import guarded

        guarded(lambda: check_opened_version(db.session, item, request.form.get(OPENED), str(item)))
        super().pre_update(item)  # type: ignore[misc]
