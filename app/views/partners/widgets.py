"""Form widgets the partner pages and every page that picks a partner share: type-ahead look-ups over
100k partners, eager lists, and select boxes whose empty choice reads '—'."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.fields import AJAXSelectField, QuerySelectField
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms.fields.core import UnboundField
from wtforms.validators import Optional

from app.extensions import db
from app.models.partners import Partner
from app.views.base import (
    FabrikaInterface,
)

LOOKUP_LIMIT = 20


class EagerInterface(FabrikaInterface):
    """FAB's interface loading the list's many-to-one relations in one extra query each (selectinload):
    a page of 25 partners shows their companies and managers without 50 lazy loads."""

    def __init__(self, model: type, *relations: str) -> None:
        super().__init__(model)
        self.eager = relations

    def apply_all(self, query, filters=None, order_column: str = "", *args, **kwargs):
        if order_column and "." not in order_column and order_column not in self.obj.__table__.columns:
            order_column = ""  # a property in the URL (?_oc_...=roles) is not an SQL column: default order
        query = super().apply_all(query, filters, order_column, *args, **kwargs)
        return query.options(*(selectinload(getattr(self.obj, r)) for r in self.eager))


class LookupWidget:
    """A select box that searches the server as the user types (select2 ajax): for registers too big
    to list in full (100,000 partners, 200,000 deals) in forms and search filters."""

    def __init__(self, endpoint: str, **args: str) -> None:
        self.endpoint, self.args = endpoint, args

    def __call__(self, field, **kwargs) -> Markup:
        url = url_for(self.endpoint, **self.args)
        current = field.label_of(field.data)
        option = Markup('<option value="%s" selected>%s</option>') % (field.data, current) if field.data else ""
        # app/static/js/fabrika.js turns every select.fab-lookup into a select2 (no inline script: CSP)
        return Markup(
            '<select id="%s" name="%s" class="form-control fab-lookup" data-url="%s" style="width:100%%">'
            '<option value=""></option>%s</select>'
        ) % (field.id, field.name, url, option)


class LookupField(AJAXSelectField):
    """A many-to-one field picked with LookupWidget; `data` is the related object (as FAB expects)."""

    def __init__(self, label, model, endpoint: str, datamodel, col_name: str, **kwargs) -> None:
        args = kwargs.pop("endpoint_args", {})
        super().__init__(label, datamodel=datamodel, col_name=col_name, widget=LookupWidget(endpoint, **args),
                         validators=[Optional()], **kwargs)
        self.model = model

    def process_data(self, value) -> None:
        self.data = value.id if value is not None else None

    def process_formdata(self, valuelist) -> None:
        raw = (valuelist or [""])[0]
        self.data = db.session.get(self.model, int(raw)) if raw and str(raw).isdigit() else None

    def label_of(self, data) -> str:
        obj = data if isinstance(data, self.model) else db.session.get(self.model, data) if data else None
        return str(obj) if obj is not None else ""


def partner_lookup(label, datamodel, col_name: str, **endpoint_args: str) -> LookupField:
    return LookupField(label, Partner, "PartnerView.lookup", datamodel, col_name, endpoint_args=endpoint_args)

BLANK_CHOICE = "—"


class BlankChoiceMixin:
    """Empty related selects read "—": FAB's blank option has no text, so select2 shows its value "__None"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for form in (self.add_form, self.edit_form):
            for name in dir(form):
                field = getattr(form, name, None)
                if (isinstance(field, UnboundField) and field.field_class is QuerySelectField
                        and field.kwargs.get("allow_blank")):
                    field.kwargs["blank_text"] = BLANK_CHOICE
