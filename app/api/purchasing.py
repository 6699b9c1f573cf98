"""REST API of the purchasing context."""

from __future__ import annotations


def register(appbuilder) -> None:
    """Add this context's APIs (none yet)."""
