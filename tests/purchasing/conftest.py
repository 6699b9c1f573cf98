"""Fixtures of the purchasing tests: a company with RUB as base currency and EUR / USD rates."""

from __future__ import annotations

import pytest

from tests.purchasing import factories_purchasing as pf


@pytest.fixture
def base(app):
    """The company (base currency RUB) with EUR at 100 and USD at 90."""
    company = pf.company()
    pf.rate("EUR", "100")
    pf.rate("USD", "90")
    return company
