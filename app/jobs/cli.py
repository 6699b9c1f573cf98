"""Scheduler and backup commands (filled in by the scheduler work)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the scheduler and backup CLI groups."""
