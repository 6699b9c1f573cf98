"""REST API registration (FAB's /api/v1 with OpenAPI and Swagger)."""

from __future__ import annotations


def register_apis(appbuilder) -> None:
    from flask import current_app

    from app.api import (
        analysis,
        calculators,
        core,
        costing,
        crm,
        engineering,
        imports,
        kpi,
        marketing,
        partners,
        planning,
        production,
        projects,
        proposals,
        purchasing,
        quality,
        sales,
        service,
        settings,
        stock,
    )
    from app.api.errors import register_json_errors
    from app.api.rison_schema import install as keep_rison_validators

    register_json_errors(current_app._get_current_object())  # register_apis runs in the app's context
    keep_rison_validators()  # ?q= schemas checked once, not on every request (app/api/rison_schema.py)

    core.register(appbuilder)
    stock.register(appbuilder)
    production.register(appbuilder)
    partners.register(appbuilder)
    crm.register(appbuilder)
    sales.register(appbuilder)
    service.register(appbuilder)
    purchasing.register(appbuilder)
    marketing.register(appbuilder)
    proposals.register(appbuilder)
    calculators.register(appbuilder)
    kpi.register(appbuilder)
    engineering.register(appbuilder)
    imports.register(appbuilder)
    settings.register(appbuilder)
    analysis.register(appbuilder)
    planning.register(appbuilder)
    quality.register(appbuilder)
    costing.register(appbuilder)
    projects.register(appbuilder)
