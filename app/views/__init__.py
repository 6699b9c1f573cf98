"""View registration: each bounded context registers its own views and APIs, in menu order."""

from __future__ import annotations


def register_views(appbuilder) -> None:
    from app.api import register_apis
    from app.views import catalog, core, jobs, production, stock, stock_reports

    stock.register(appbuilder)
    stock_reports.register(appbuilder)
    production.register(appbuilder)
    catalog.register(appbuilder)
    core.register(appbuilder)
    jobs.register(appbuilder)
    register_apis(appbuilder)
