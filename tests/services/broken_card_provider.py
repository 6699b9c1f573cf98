"""A card provider whose own import fails: the card must not hide such a bug (tests/services/test_crm.py)."""

import no_such_dependency_of_fabrika  # noqa: F401


def card_sections(session, partner_id, limit=20):
    return []
