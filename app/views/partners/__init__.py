"""The client base's views, by concern: widgets (look-ups, blank choices), labels (words and audit
formatting), filters (normalised search), views (the pages and their registration). Re-exports only."""

from app.views.partners.filters import NORMALISED_FILTERS  # noqa: F401
from app.views.partners.labels import (  # noqa: F401
    ADDRESS_KIND_LABELS,
    AUDIT_LABELS,
    KIND_LABELS,
    LABELS,
    ROLE_LABELS,
    SOURCE_LABELS,
    fmt_address_kind,
    fmt_changes,
    fmt_check,
    fmt_kind,
    fmt_language,
    fmt_roles,
    fmt_source,
)
from app.views.partners.views import (  # noqa: F401
    CAT_PARTNERS,
    ContactView,
    PartnerAddressView,
    PartnerBankAccountView,
    PartnerView,
    TagView,
    card_document_actions,
    register,
)
from app.views.partners.widgets import (  # noqa: F401
    LOOKUP_LIMIT,
    BlankChoiceMixin,
    EagerInterface,
    LookupField,
    LookupWidget,
    partner_lookup,
)
