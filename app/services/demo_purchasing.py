"""Demo data of the purchasing context (the Robokids story)."""

from __future__ import annotations


def load() -> None:
    """Load this context's demo data (none yet)."""
