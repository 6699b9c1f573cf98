"""REST API registration (FAB's /api/v1 with OpenAPI and Swagger)."""

from __future__ import annotations


def register_apis(appbuilder) -> None:
    from app.api import core, production, stock

    core.register(appbuilder)
    stock.register(appbuilder)
    production.register(appbuilder)
