"""View registration: each bounded context registers its own views and APIs."""

from __future__ import annotations


def register_views(appbuilder) -> None:
    from app.api import register_apis
    from app.views import catalog, core, stock

    stock.register(appbuilder)
    __import__("app.views.stock_reports", fromlist=["register"]).register(appbuilder)
    catalog.register(appbuilder)
    core.register(appbuilder)
    __import__("app.views.jobs", fromlist=["register"]).register(appbuilder)
    __import__("app.views.production", fromlist=["register"]).register(appbuilder)
    register_apis(appbuilder)
