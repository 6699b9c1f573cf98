"""List filters that compare normalised values: a phone typed in any format, an e-mail in any case, a
tax id with or without spaces, a name with or without its legal form."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_babel import lazy_gettext as _l

from app.services.partners import (
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tax_id,
)


class _NormalisedFilter(BaseFilter):
    """A filter on a `*_norm` column: the typed value is normalised the way saving does it (a filter
    names the partners service's normaliser as its `normalise`)."""

    column: str = ""
    prefix = True

    def normalise(self, value: str) -> str:
        return value

    def apply(self, query, value):
        value = self.normalise(value or "")
        query, field = get_field_setup_query(query, self.model, self.column)
        if not value:
            return query
        if self.prefix:  # an index range, not LIKE: the index serves it on SQLite and PostgreSQL alike
            return query.filter(field >= value, field < value + "\uffff")
        return query.filter(field == value)


class FilterPhone(_NormalisedFilter):
    name = _l("Phone starts with (any format)")
    arg_name = "phone"
    column = "phone_norm"

    def normalise(self, value: str) -> str:
        digits = normalize_phone(value)
        if digits.startswith("8") and not value.strip().startswith("+"):  # 8 (495) ... is +7 (495) ...
            digits = "7" + digits[1:]
        return digits


class FilterEmail(_NormalisedFilter):
    name = _l("E-mail starts with (any case)")
    arg_name = "email"
    column = "email_norm"
    normalise = staticmethod(normalize_email)


class FilterTaxId(_NormalisedFilter):
    name = _l("Tax id is")
    arg_name = "taxid"
    column = "tax_id"
    prefix = False
    normalise = staticmethod(normalize_tax_id)


class FilterName(_NormalisedFilter):
    name = _l("Name starts with (without legal form)")
    arg_name = "nname"
    column = "name_norm"
    normalise = staticmethod(normalize_name)


class FilterNameContains(_NormalisedFilter):
    """A word anywhere in the name: a scan, but of the lower-case column with LIKE (no case folding
    per row, which ILIKE on the display name costs: twice as slow on PostgreSQL at 100,000 rows)."""

    name = _l("Name contains (any case)")
    arg_name = "ncont"
    column = "name_norm"
    normalise = staticmethod(normalize_name)

    def apply(self, query, value):
        value = self.normalise(value or "").replace("\\", "").replace("%", "").replace("_", "")
        query, field = get_field_setup_query(query, self.model, self.column)
        return query.filter(field.like(f"%{value}%")) if value else query


# column -> filters put first in its list, in this order (the quick, index-served ones first)
NORMALISED_FILTERS = {"name": (FilterName, FilterNameContains), "phone": (FilterPhone,), "email": (FilterEmail,),
                      "tax_id": (FilterTaxId,)}
