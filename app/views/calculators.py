"""Views of the calculators context."""

from __future__ import annotations


def register(appbuilder) -> None:
    """Add this context's views to the menu (none yet)."""
