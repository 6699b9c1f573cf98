"""REST API registration (FAB's /api/v1 with OpenAPI and Swagger)."""

from __future__ import annotations


def register_apis(appbuilder) -> None:
    from app.api import calculators, core, crm, kpi, partners, production, proposals, purchasing, sales, stock
    from app.api.errors import register_json_errors

    register_json_errors(appbuilder.app)

    core.register(appbuilder)
    stock.register(appbuilder)
    production.register(appbuilder)
    partners.register(appbuilder)
    crm.register(appbuilder)
    sales.register(appbuilder)
    purchasing.register(appbuilder)
    proposals.register(appbuilder)
    calculators.register(appbuilder)
    kpi.register(appbuilder)
