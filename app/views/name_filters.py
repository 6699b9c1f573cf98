"""Lists of the registers named in three languages: one name column, and its filter in any language.

FAB's own filters on `name` compare the default (English) name only, so a Russian user typing "робот"
in the item list found nothing. This one compares the text, in lower case, with name, name_ru and
name_es: PostgreSQL's lower() folds every alphabet in a UTF-8 database, and SQLite's is replaced by
Python's on each connection (app/database.py), so the case never matters. It takes the place of FAB's
"Contains" (a superset of it), because FAB reads one digit of filter number from an address
(_flt_2_name): a filter appended as number 10 could never be applied, and inserting one would renumber
the others in saved addresses.
"""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterContains
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from app.models.base import LocalizedName

LANGUAGE_COLUMNS = ("name", "name_ru", "name_es")


class FilterAnyNameContains(BaseFilter):
    name = _l("Contains (any language)")
    arg_name = "anyname"

    def apply(self, query, value):
        text = (value or "").strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if not text:
            return query
        model = self.model
        return query.filter(or_(*(func.lower(getattr(model, c)).like(f"%{text}%", escape="\\")
                                  for c in LANGUAGE_COLUMNS)))


def _three_language(view) -> bool:
    model = getattr(view.datamodel, "obj", None)
    return (isinstance(model, type) and issubclass(model, LocalizedName)
            and all(hasattr(model, c) for c in LANGUAGE_COLUMNS))


def one_name_column(view) -> None:
    """A list of a three-language register shows one name column, in the reader's language (FabrikaInterface
    fills it with label()), instead of the English default next to the Russian and Spanish ones: the show
    page and the forms keep all three for the people who maintain them."""
    columns = getattr(view, "list_columns", None)
    if columns and "name" in columns and _three_language(view):
        view.list_columns = [c for c in columns if c not in LANGUAGE_COLUMNS[1:]]


def add_any_name_filter(view) -> None:
    """Put the filter in place of FAB's "Contains" on `name` when the model is named in three languages."""
    if not _three_language(view):
        return
    lists = [view._filters.get_search_filters().get("name"), view._filters._all_filters.get("name")]
    for filters in {id(x): x for x in lists if x is not None}.values():  # the search widget's and the URL's
        for n, existing in enumerate(filters):
            if type(existing) is FilterContains:
                filters[n] = FilterAnyNameContains("name", view.datamodel)
