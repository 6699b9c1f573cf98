"""Fixtures for the job tests: the registry extended with the fake jobs of fake_jobs.py."""

from __future__ import annotations

import pytest

from app.jobs import registry
from app.jobs.registry import JobSpec
from app.permissions import RESOURCE_JOBS

FAKE_JOBS = [
    JobSpec("fake-ok", "tests.jobs.fake_jobs:succeed", "*/5 * * * *", "Fake OK", RESOURCE_JOBS),
    JobSpec("fake-boom", "tests.jobs.fake_jobs:explode", "0 3 * * *", "Fake boom", RESOURCE_JOBS),
    JobSpec("fake-refuse", "tests.jobs.fake_jobs:refuse", "0 4 * * *", "Fake refuse", RESOURCE_JOBS),
    JobSpec("fake-half", "tests.jobs.fake_jobs:write_then_fail", "0 5 * * *", "Fake half", RESOURCE_JOBS),
    JobSpec("fake-pending", "tests.jobs.fake_jobs:write_and_leave_pending", "0 6 * * *", "Fake pending"),
    JobSpec("fake-missing", "tests.jobs.fake_jobs:no_such_function", "0 7 * * *", "Fake missing"),
]


@pytest.fixture
def fake_jobs(monkeypatch):
    """The real registry plus the fake jobs, for the duration of one test."""
    from tests.jobs import fake_jobs as module

    module.CALLS.clear()
    monkeypatch.setattr(registry, "JOBS", [*registry.JOBS, *FAKE_JOBS])
    return module
