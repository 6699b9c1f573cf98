"""All models, imported so that they register on FAB's Model.metadata."""

from app.models.audit import AuditLog, JobRun, RateLimitHit, UserPreference  # noqa: F401
from app.models.core import Company, Currency, CurrencyRate, DocumentSequence, Unit  # noqa: F401
