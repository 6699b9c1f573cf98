"""What the segment rule builder (static/js/marketing_segment.js) draws: the rule kinds and its words in the
reader's language, and the choices of its pickers (items, item groups, tags, managers, languages).

The builder only writes the rules' JSON; the services validate and count it as they do typed JSON.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.catalog import Item, ItemGroup
from app.models.partners import Partner, Tag
from app.views.partners.labels import LANGUAGE_CHOICES

#: the items offered by the picker: a small manufacturer's active catalog fits; beyond, the JSON box
MAX_ITEMS = 3000

KIND_LABELS = {
    "bought_item": _l("Bought the item"),
    "bought_group": _l("Bought from the item group"),
    "no_order_months": _l("No order for months"),
    "abc": _l("Revenue class (ABC)"),
    "rfm": _l("RFM score at least"),
    "region": _l("Region (city, country or address)"),
    "tag": _l("Tag"),
    "manager": _l("Manager"),
    "language": _l("Language"),
    "open_service_request": _l("Has an open service request"),
}
WORDS = {
    "match": _l("Clients matching"), "all": _l("all of these conditions"), "any": _l("any of these conditions"),
    "add": _l("Add a condition"), "remove": _l("Remove"), "not": _l("not"), "choose": _l("Choose..."),
    "months": _l("Months"), "recency": _l("Recency"), "frequency": _l("Frequency"), "monetary": _l("Monetary"),
    "region_hint": _l("City or region as written in the address"),
    "json_only": _l("These rules can only be edited as JSON below (a nested group)."),
}


def _users(session: Session) -> list[tuple[int, str]]:
    """Active users, the managers a client may have (FAB's user table)."""
    from flask_appbuilder.security.sqla.models import User

    rows = session.execute(select(User.id, User.first_name, User.last_name, User.username)
                           .where(User.active.is_(True)).order_by(User.first_name, User.last_name))
    return [(uid, f"{first} {last}".strip() or name) for uid, first, last, name in rows]


def builder_choices(session: Session) -> dict[str, Any]:
    """Everything the builder needs in one answer (a few small queries)."""
    items = session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.code).limit(MAX_ITEMS))
    groups = session.scalars(select(ItemGroup).order_by(ItemGroup.code))
    tags = session.scalars(select(Tag).order_by(Tag.name))
    managed = set(session.scalars(select(Partner.manager_id).where(Partner.manager_id.is_not(None)).distinct()))
    users = _users(session)
    return {
        "kinds": [(k, str(v)) for k, v in KIND_LABELS.items()],
        "words": {k: str(v) for k, v in WORDS.items()},
        "items": [(i.id, f"{i.code} {i.label()}") for i in items],
        "groups": [(g.id, g.label()) for g in groups],
        "tags": [(t.id, t.label()) for t in tags],
        # the clients' managers first, then every other user
        "managers": [u for u in users if u[0] in managed] + [u for u in users if u[0] not in managed],
        "languages": LANGUAGE_CHOICES,  # each language named in itself, as the language menu does
    }
