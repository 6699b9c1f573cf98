"""Domain msgids of the KPI context (definitions, scheduled reports), listed for extraction: raised as
plain English msgids and translated where they are shown (flash messages, the API's 422)."""

from flask_babel import lazy_gettext as _l

KPI_MESSAGES = (
    _l("Give either a metric or a formula"),
    _l("Unknown metric: %(metric)s"),
    _l("These metrics are not kept per employee: %(metrics)s"),
    _l("Unknown period: %(period)s"),
    _l("Unknown report: %(report)s"),
    _l("Unknown format: %(fmt)s"),
    _l("Not a valid schedule: %(cron)s"),
    _l("The parameters must be JSON"),
    _l("Users must be a list of ids, e.g. [2, 5]"),
    _l("No such report"),
)
