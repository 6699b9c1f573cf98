"""All models, imported so that they register on FAB's Model.metadata."""

from app.models import (  # noqa: F401
    calculators,
    costing,  # cost corrections (landed costs), what re-costings changed, accounting periods
    crm,
    kpi,  # KPI definitions, values with lineage, scheduled reports
    marketing,  # segments, promotions, campaigns, client statistics
    planning,  # planned orders with pegging, capacity load, plan runs, forecast
    production,  # noqa: F401  (BOMs, routings, production orders)
    projects,  # projects, tasks, time, business processes
    proposals,
    purchasing,
    quality,  # complaints, defect causes, corrective actions, knowledge base
    sales,
    security,  # the security stamp: the version of the roles' rights (app/security_stamp.py)
    service,  # service requests, SLA calendars and policies, repairs
)
from app.models.audit import AuditLog, JobRun, RateLimitHit, UserPreference  # noqa: F401
from app.models.catalog import Item, ItemGroup, PriceList, PriceListItem, UnitConversion  # noqa: F401
from app.models.core import Company, Currency, CurrencyRate, DocumentSequence, Unit  # noqa: F401
from app.models.imports import ImportMapping, ImportProgress, ImportRun  # noqa: F401
from app.models.jobs import JobFire, JobSchedule  # noqa: F401
from app.models.mail import OutboxAttachment, OutboxMessage  # noqa: F401
from app.models.partners import Partner, PartnerAddress, PartnerBankAccount, Tag  # noqa: F401
from app.models.stock import (  # noqa: F401
    LotConsumption,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
    StockMove,
    StockReservation,
    Warehouse,
)
