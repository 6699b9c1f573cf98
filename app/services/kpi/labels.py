"""The KPI context's words: divisions, periods, directions, lights, formats, run states.

One table for the pages, the PDF and the scheduled reports (services must not reach into views).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DIVISION_LABELS = {
    "company": _l("Company"), "sales": _l("Sales"), "production": _l("Production"), "warehouse": _l("Warehouse"),
    "purchasing": _l("Purchasing"), "finance": _l("Finance"), "service": _l("Service"),
}
PERIOD_LABELS = {"week": _l("Week"), "month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}
DIRECTION_LABELS = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
STATUS_LABELS = {"green": _l("On target"), "amber": _l("Watch"), "red": _l("Off target"), "grey": _l("No data")}
FORMAT_LABELS = {"pdf": "PDF", "xlsx": "XLSX", "csv": "CSV"}
RUN_STATUS_LABELS = {"sent": _l("Sent"), "skipped": _l("Skipped (empty)"), "failed": _l("Failed")}
