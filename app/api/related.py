"""Related records in API writes are given by id only: a write never creates or changes another record.

FAB's ModelRestApi builds its add / edit schemas with marshmallow-sqlalchemy's `Related` field,
which takes a dict as well as an id and, when the dict names no existing row (or the id does not
exist), builds a *new* related object that the write then inserts: `POST /api/v1/reorder_point/`
with `"item": {"code": ...}` created an item for a role that may not create items, `supplier_offer`
created currencies, `partner_address` duplicated partners past the partner register's checks. So
every FabrikaApi converts its relationship fields to `IdOnly`: an existing row's id (or null where
the column allows it); a dict, a list in a to-one field, or an unknown id is a validation error.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_babel import gettext
from marshmallow import ValidationError
from marshmallow.fields import Field, Integer
from marshmallow_sqlalchemy.fields import Related, RelatedList

MSG_ID_ONLY = "Give the id of an existing record: related records are not created or changed here"
MSG_NO_SUCH = "No record with id %(id)s"
MAX_ID = 2**31 - 1


class IdOnly(Related):
    """A to-one (or list item) relationship loaded from the id of an existing row, nothing else."""

    def _deserialize(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(gettext(MSG_ID_ONLY))
        try:
            pk = int(value)
        except ValueError:
            raise ValidationError(gettext(MSG_ID_ONLY)) from None
        # an id no INTEGER column holds names no row (and would overflow the driver)
        row = self.session.get(self.related_model, pk) if 0 < pk <= MAX_ID else None
        if row is None:
            raise ValidationError(gettext(MSG_NO_SUCH, id=pk))
        return row


def ids_only(field: Field) -> Field:
    """The relationship field made id-only (a to-many list: each of its items)."""
    if isinstance(field, RelatedList):
        ids_only(field.inner)
    elif isinstance(field, Related) and not isinstance(field, IdOnly):
        field.__class__ = IdOnly  # keeps what field_for set up (required, allow_none, columns)
    return field


class IdOnlyConverter(Model2SchemaConverter):
    """FAB's schema converter with every non-nested relationship field id-only (see the module doc),
    and a versioned row's `row_version` read-only (a client sends it as If-Match, app/api/versioned.py).

    Nested fields (dotted list / show columns) only ever dump, so they are left as they are.
    """

    def _column2field(self, datamodel, column, nested: bool = True, parent_schema_name=None) -> Field:
        if column.name == "row_version":
            return Integer(dump_only=True)
        return super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)

    def _column2relation(self, datamodel, column, nested: bool = False, parent_schema_name=None) -> Field:
        field = super()._column2relation(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        return field if nested else ids_only(field)
