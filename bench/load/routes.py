"""CPU per route on the load test's data, through the Flask test client: what a request costs the worker.

    python -m bench.load.routes --pg postgresql+psycopg://postgres@127.0.0.1:5432/fabrika_load
        [--only dashboard|lists|cards|pdfs|api] [--roles sales,warehouse] [--top 8] [--repeat 3]

The database is the one `make loadtest` builds (`flask setup`: migrations and the demo story). Each
role of the load test signs in once, then every route it meets in the load test is called: the
dashboard, each list of its menu, the first cards of each list, their printed forms, and the API reads
of the storekeeper and the integrator. A route is called once to warm up, then `--repeat` times; the
median process CPU (time.process_time: this Python process only, not PostgreSQL's), its wall time and
its SQL statements are kept. Unlike the load test's percentiles, these figures do not move with the
machine's load, so they are the before / after of a fix. Prints Markdown tables, slowest first.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

SECTIONS = ("dashboard", "lists", "cards", "pdfs", "api")
ROLES = ["sales", "manager", "economist", "engineer", "production", "purchasing", "service", "warehouse"]
_LIST = re.compile(r'href="(/[a-z0-9_]+view/list/)"')
_SHOW = re.compile(r'href="(/[a-z0-9_]+view/show/\d+)"')
_PRINT = re.compile(r'href="(/[^"]*(?:print|pdf)[^"]*)"')
COUNTER: Statements | None = None
API_READS = ["/api/v1/item/?q=(page_size:100)", "/api/v1/warehouse/", "/api/v1/item/?q=(page_size:50)",
             "/api/v1/stock_balance/?q=(page_size:50)"]


@dataclass
class Cost:
    """One route's median cost over the repeats."""

    section: str
    role: str
    url: str
    status: int
    cpu_ms: float
    wall_ms: float
    statements: int


def _shape(path: str) -> str:
    return re.sub(r"/\d+", "/<id>", path.split("?")[0])


class Statements:
    """Counts the statements sent on the app's engine (no app context held between requests: each
    request gets its own, as under gunicorn, with a fresh session)."""

    def __init__(self, app) -> None:
        from sqlalchemy import event

        from app.extensions import db

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._count)
        self.count = 0

    def _count(self, *_args) -> None:
        self.count += 1


def measure(client, url: str, repeat: int, headers: dict | None = None) -> tuple[int, float, float, int, str]:
    """(status, median CPU ms, median wall ms, statements, body) of GET `url` and the redirects it answers
    with (a partner's show page is its client card), after one warm-up call."""
    client.get(url, headers=headers, follow_redirects=True)
    cpu, wall, counts = [], [], []
    resp = None
    for _ in range(repeat):
        COUNTER.count = 0
        c0, w0 = time.process_time(), time.perf_counter()
        resp = client.get(url, headers=headers, follow_redirects=True)  # as locust: a show page may redirect
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        counts.append(COUNTER.count)
    body = resp.get_data(as_text=True) if resp.mimetype != "application/pdf" else ""
    return resp.status_code, statistics.median(cpu), statistics.median(wall), min(counts), body


def _page_routes(client, role: str, sections: set[str], repeat: int) -> Iterator[Cost]:
    status, cpu, wall, n, home = measure(client, "/", repeat)
    if "dashboard" in sections:
        yield Cost("dashboard", role, "/", status, cpu, wall, n)
    for url in sorted(set(_LIST.findall(home))):
        status, cpu, wall, n, page = measure(client, url, repeat)
        if "lists" in sections:
            yield Cost("lists", role, url, status, cpu, wall, n)
        for card in _SHOW.findall(page)[:2]:
            status, cpu, wall, n, body = measure(client, card, repeat)
            if "cards" in sections:
                yield Cost("cards", role, card, status, cpu, wall, n)
            for pdf in [p.replace("&amp;", "&") for p in _PRINT.findall(body)][:1]:
                if "pdfs" in sections:
                    yield Cost("pdfs", role, pdf, *measure(client, pdf, repeat)[:4])


def _api_routes(app, repeat: int) -> Iterator[Cost]:
    client = app.test_client()
    for role, urls in (("warehouse", API_READS[:2]), ("economist", API_READS[2:])):
        login = client.post("/api/v1/security/login", json={"username": role, "password": "demo1234",
                                                             "provider": "db"})
        headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
        for url in urls:
            yield Cost("api", role, url, *measure(client, url, repeat, headers)[:4])


def profile(url: str, sections: set[str], roles: list[str], repeat: int) -> list[Cost]:
    """Every route the load test's users meet, measured on the database at `url`."""
    os.environ["DATABASE_URL"] = url
    from app import create_app
    from config import Config

    class RouteConfig(Config):
        SECRET_KEY = "routes-profile-only"
        WTF_CSRF_ENABLED = False  # the test client posts the sign-in form without its token

    global COUNTER  # noqa: PLW0603 (one profile per process)
    app = create_app(RouteConfig)
    COUNTER = Statements(app)
    costs: list[Cost] = []
    if sections - {"api"}:
        for role in roles:
            client = app.test_client()
            client.post("/login/", data={"username": role, "password": "demo1234"})
            costs.extend(_page_routes(client, role, sections, repeat))
    if "api" in sections:
        costs.extend(_api_routes(app, repeat))
    return costs


def render(costs: list[Cost], top: int) -> str:
    """Per section, its slowest routes first (one line per route shape, its costliest role), then the
    totals per section."""
    seen: dict[str, Cost] = {}
    for c in costs:
        key = _shape(c.url)
        if key not in seen or c.cpu_ms > seen[key].cpu_ms:
            seen[key] = c
    lines = ["| section | route | role | status | CPU ms | wall ms | statements |", "|---|---|---|---|---|---|---|"]
    for section in SECTIONS:
        rows = sorted((c for c in seen.values() if c.section == section), key=lambda c: -c.cpu_ms)[:top]
        lines += [f"| {section} | {c.url} | {c.role} | {c.status} | {c.cpu_ms:.0f} | {c.wall_ms:.0f} | "
                  f"{c.statements} |" for c in rows]
    lines += ["", "| section | routes | median CPU ms | max CPU ms | median statements |", "|---|---|---|---|---|"]
    for section in SECTIONS:
        part = [c for c in costs if c.section == section]
        if part:
            lines.append(f"| {section} | {len(part)} | {statistics.median(c.cpu_ms for c in part):.0f} | "
                         f"{max(c.cpu_ms for c in part):.0f} | {statistics.median(c.statements for c in part):.0f} |")
    errors = [c for c in costs if c.status >= 500]
    lines += ["", f"server errors: {len(errors)}" + "".join(f"\n- {c.url} ({c.role})" for c in errors)]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load.routes", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", required=True, help="URL of a database built by `flask setup` (the demo story)")
    ap.add_argument("--only", choices=SECTIONS, help="one section of routes")
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=8, help="slowest routes shown per section")
    args = ap.parse_args()
    sections = {args.only} if args.only else set(SECTIONS)
    started = time.process_time(), time.perf_counter()
    costs = profile(args.pg, sections, args.roles.split(","), args.repeat)
    print(render(costs, args.top))
    print(f"{len(costs)} routes in {time.perf_counter() - started[1]:.0f} s wall, "
          f"{time.process_time() - started[0]:.0f} s CPU; load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
