"""Warehouse services: the only writers of the stock ledger (re-exported here)."""

from app.services.stock.documents import (  # noqa: F401
    DocumentInput,
    LineInput,
    assert_editable,
    cancel_document,
    create_and_post_document,
    create_document,
    post_document,
    validate_document,
)
from app.services.stock.ledger import DocRef, MoveRequest, post_moves, reverse_moves  # noqa: F401
from app.services.stock.reservations import release, reserve  # noqa: F401
