"""FAB's own texts that its code writes in English, translated: the user statistics chart, the users list.

The users list showed "True" for an active user and its roles as a Python list ("[Manager]").

FAB's UserStatsChartView names its charts "Login Count" and "Failed Login Count" as plain strings,
and its __init__ relabels the series columns with English made from the column names ("Login
Count") and the grouping column with the chart's name, so the chart spoke English on a Russian or
Spanish page. The delete confirmation's buttons (FAB's confirm.html) are overridden in
app/templates/appbuilder/general/confirm.html.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

_PATCHED = "_fabrika_translated"


def _labels() -> dict[str, Any]:
    """The chart's columns (its series and the "group by" choices FAB builds from the user columns)."""
    return {"username": _l("User Name"), "login_count": _l("Login count"), "fail_login_count": _l("Failed login count"),
            "first_name": _l("First name"), "last_name": _l("Last name"), "email": _l("Email"),
            "active": _l("Active"), "roles": _l("Roles"), "groups": _l("Groups"), "created_on": _l("Created"),
            "changed_on": _l("Changed"), "last_login": _l("Last sign-in")}


def _names(values: Any) -> str:
    """A list of roles or groups as "Руководитель, Продажи" instead of Python's "[Manager, Sales]"."""
    return ", ".join(str(v) for v in values or ())


def install() -> None:
    """Translated labels for FAB's user statistics chart and users list (before their views are registered)."""
    from flask_appbuilder.security.views import UserModelView, UserStatsChartView

    from app.services.vocabulary import yes_no

    if getattr(UserStatsChartView, _PATCHED, False):
        return
    UserModelView.formatters_columns = {**(UserModelView.formatters_columns or {}), "active": yes_no, "roles": _names,
                                        "groups": _names}
    UserStatsChartView.definitions = [
        {"label": _l("Login count"), "group": "username", "series": ["login_count"]},
        {"label": _l("Failed login count"), "group": "username", "series": ["fail_login_count"]},
    ]
    # the filter widget's and the "group by" labels are read from the class's at FAB's __init__
    UserStatsChartView.label_columns = {**(UserStatsChartView.label_columns or {}), **_labels()}
    fab_init = UserStatsChartView.__init__

    def __init__(self, **kwargs: Any) -> None:
        fab_init(self, **kwargs)
        self.label_columns = {**self.label_columns, **_labels()}

    UserStatsChartView.__init__ = __init__
    setattr(UserStatsChartView, _PATCHED, True)
