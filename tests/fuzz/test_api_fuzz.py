"""The REST API under a property-based fuzzer (schemathesis) driven by our own OpenAPI document.

Every operation gets generated requests, valid and invalid (positive and negative modes); each response
must not be a server error and must match what the document says (status code, content type, body
schema). Runs on SQLite with the demo story loaded, as the administrator. Bounded:
FABRIKA_FUZZ_EXAMPLES examples per operation and mode (scripts/test.sh runs it as its own step; the
other test runs leave tests/fuzz out). Every failing operation is reported, not only the first.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.extensions import db
from tests.conftest import ROLE_PASSWORD

EXAMPLES = int(os.environ.get("FABRIKA_FUZZ_EXAMPLES", "5"))
SKIPPED = r"^/api/(v1/(security|openapi|menu)/|\{version\}/)"  # FAB's own: sign-in, the document, menus
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _login(app) -> dict[str, str]:
    resp = app.test_client().post("/api/v1/security/login", json={
        "username": "admin", "password": ROLE_PASSWORD, "provider": "db", "refresh": True})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


def _fuzz(operation, mode: GenerationMode, auth: dict, found: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case) -> None:
        try:
            case.call_and_validate(headers=auth, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                found[operation.label].setdefault(failure.title, _example(case, failure))
        except Failure as failure:
            found[operation.label].setdefault(failure.title, _example(case, failure))
        except Exception as exc:  # noqa: BLE001 - raised through the test client: a server error too
            found[operation.label].setdefault("Server error", f"{case.method} {case.formatted_path}: {exc!r}"[:400])
        finally:
            db.session.remove()  # as after a real request (the tests' pushed app context keeps the session)

    run()


def _example(case, failure) -> str:
    body = repr(case.body)[:200]
    return f"{case.method} {case.formatted_path} query={case.query!r} body={body}: {failure.message[:300]}"


SHARDS = 2  # scripts/test.sh runs this file on two workers: each takes every second operation


@pytest.mark.parametrize("shard", range(SHARDS))
def test_api_conforms(app, shard: int):
    from app.services.demo import load_demo

    load_demo(force=True)
    auth = _login(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=auth).exclude(path_regex=SKIPPED)
    found: dict[str, dict[str, str]] = defaultdict(dict)
    operations = 0
    for index, result in enumerate(schema.get_all_operations()):
        if index % SHARDS != shard:
            continue
        operation = result.ok()
        operations += 1
        auth = _login(app)  # a fresh token per operation: a long run outlives one (JWT_ACCESS_TOKEN_EXPIRES)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, auth, found)
    by_kind: dict[str, int] = defaultdict(int)
    for problems in found.values():
        for title in problems:
            by_kind[title] += 1
    report = "\n".join(f"{label}\n" + "\n".join(f"  [{t}] {ex}" for t, ex in problems.items())
                       for label, problems in sorted(found.items()))
    print(f"shard {shard}: fuzzed {operations} operations, {EXAMPLES} examples per mode; failing: {len(found)}; "
          f"by kind: {dict(by_kind)}")
    assert not found, report
