"""The load test's users (`make loadtest`): every role's day on the pages and the API, 50 at once.

Page users sign in through the form and wander as people do: the home page, a list from their own
menu, its next page or another sort order, a card from the list, its printed form when it has one.
Storekeepers post receipts and issues through the REST API (create the draft, post it), and an
integrator reads items and balances. Every request is named by its route shape (ids replaced by
<id>) so the report groups them: pages, postings and PDFs are told apart in the figures.

Sign-in is its own kind ("(sign in" in the name): checking a password (werkzeug's scrypt) costs
about 0.1 s of CPU and 32 MB of memory by design, and all users sign in at the start, so the first
seconds of a run are a queue behind the hashes. The steady state starts when the last user has signed in
(`warm_end`); the run then lasts LOAD_STEADY_SECONDS more and stops itself. Every request goes,
one line each, to LOAD_REQUEST_LOG (start time, milliseconds, name, error), from which
bench/load/run.py takes exact percentiles per kind over the steady state, and the sign-ins over
the whole run. With LOAD_THINK=0 the users send their next request at once (the capacity phase).
The users are FastHttpUsers (geventhttpclient): the load generator shares the two
cores with the server, and it costs several times less CPU per request than requests' HttpUser.
"""

from __future__ import annotations

import os
import random
import re
import time

import gevent
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = "demo1234"  # the demo database's role users (app/services/demo.py)
# LOAD_THINK=0: no think time between requests (run.py's capacity phase: what the server carries when
# saturated, not how people use it); otherwise people's pauses of 1-3 s.
THINK = os.environ.get("LOAD_THINK", "1") != "0"


def think(low: float, high: float):
    """The wait between a user's requests: `between(low, high)`, or none in the capacity phase."""
    return between(low, high) if THINK else constant(0)

PAGE_ROLES = ["sales", "manager", "economist", "engineer", "production", "purchasing", "service", "warehouse"]
_LIST = re.compile(r'href="(/[a-z0-9_]+view/list/)"')
_SHOW = re.compile(r'href="(/[a-z0-9_]+view/show/\d+)"')
_SORT = re.compile(r'href="(/[a-z0-9_]+view/list/\?_oc_[^"]+)"')
_PRINT = re.compile(r'href="(/[^"]*(?:print|pdf)[^"]*)"')
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


def shape(path: str) -> str:
    """A URL's route shape: numbers become <id>, the query string is dropped."""
    return re.sub(r"/\d+", "/<id>", path.split("?")[0])


class RequestLog:
    """One line per request for run.py, and the moment the last user finished signing in."""

    def __init__(self) -> None:
        path = os.environ.get("LOAD_REQUEST_LOG")
        self.file = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115 (open for the run)
        self.signed_in = 0

    def request(self, name: str, start_time: float, response_time: float, exception: object, **_kw) -> None:
        if self.file:
            error = "" if exception is None else type(exception).__name__ + ": " + str(exception)[:120]
            self.file.write(f"{start_time:.3f}\t{response_time:.1f}\t{name}\t{error.replace(chr(9), ' ')}\n")

    def user_ready(self, environment) -> None:
        """Called at the end of every on_start: when all have signed in, the steady state starts."""
        self.signed_in += 1
        if self.signed_in != environment.parsed_options.num_users:
            return
        if self.file:
            self.file.write(f"{time.time():.3f}\t0\twarm_end\t\n")
            self.file.flush()
        steady = float(os.environ.get("LOAD_STEADY_SECONDS", "0"))
        if steady:
            gevent.spawn_later(steady, environment.runner.quit)

    def close(self, **_kw) -> None:
        if self.file:
            self.file.close()
            self.file = None


LOG = RequestLog()
events.request.add_listener(LOG.request)
events.quitting.add_listener(LOG.close)


def api_headers(client, username: str) -> dict[str, str]:
    """Sign in to the REST API as `username`; the bearer header for its calls."""
    login = client.post("/api/v1/security/login", name="/api/v1/security/login (sign in)",
                        json={"username": username, "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {login.json().get('access_token', '')}"}


class PageUser(FastHttpUser):
    """A person in the browser: signs in once, then lists, cards and printed forms."""

    weight = 6
    wait_time = think(1, 3)

    def on_start(self) -> None:
        self.role = random.choice(PAGE_ROLES)
        page = self.client.get("/login/", name="/login/ (sign in form)")
        found = _CSRF.search(page.text)
        token = (found.group(1) or found.group(2)) if found else ""
        self.client.post("/login/", data={"username": self.role, "password": PASSWORD, "csrf_token": token},
                         name="/login/ (sign in)")
        home = self.client.get("/", name="/ (dashboard)")
        self.lists = sorted(set(_LIST.findall(home.text))) or ["/partnerview/list/"]
        self.shows: list[str] = []
        self.prints: list[str] = []
        LOG.user_ready(self.environment)

    @task(4)
    def browse_list(self) -> None:
        url = random.choice(self.lists)
        page = self.client.get(url, name=shape(url))
        self.shows = _SHOW.findall(page.text)[:20] or self.shows
        sorts = _SORT.findall(page.text)
        if sorts and random.random() < 0.3:
            self.client.get(sorts[0].replace("&amp;", "&"), name=shape(url) + " (sorted)")

    @task(3)
    def open_card(self) -> None:
        if not self.shows:
            return
        url = random.choice(self.shows)
        page = self.client.get(url, name=shape(url))
        self.prints = [p.replace("&amp;", "&") for p in _PRINT.findall(page.text)][:5] or self.prints

    @task(1)
    def print_form(self) -> None:
        if self.prints:
            url = random.choice(self.prints)
            self.client.get(url, name=shape(url) + " (PDF)")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/", name="/ (dashboard)")


class Storekeeper(FastHttpUser):
    """Posts one-line receipts and issues through the REST API, as a scanner terminal would."""

    weight = 3
    wait_time = think(1, 3)

    def on_start(self) -> None:
        self.headers = api_headers(self.client, "warehouse")
        items = self.client.get("/api/v1/item/?q=(page_size:100)", headers=self.headers, name="/api/v1/item/")
        warehouses = self.client.get("/api/v1/warehouse/", headers=self.headers, name="/api/v1/warehouse/")
        # Services have no stock: a receipt of one is refused (422), a mistake of the script, not the app's.
        self.items = [i["id"] for i in items.json().get("result", []) if i.get("kind") != "service"] or [1]
        self.warehouse = (warehouses.json().get("result") or [{"id": 1}])[0]["id"]
        self.received: list[int] = []
        LOG.user_ready(self.environment)

    def _post(self, doc_type: str, item: int, qty: int, cost: str | None = None) -> bool:
        line = {"item_id": item, "qty": str(qty)} | ({"unit_cost": cost} if cost else {})
        body = {"doc_type": doc_type, "warehouse_id": self.warehouse, "lines": [line]}
        if doc_type == "issue":
            body["reason"] = "load test"
        draft = self.client.post("/api/v1/stock_document/draft", headers=self.headers, json=body,
                                 name=f"/api/v1/stock_document/draft ({doc_type})")
        if draft.status_code != 201:
            return False
        posted = self.client.post(f"/api/v1/stock_document/{draft.json()['id']}/post", headers=self.headers,
                                  name=f"/api/v1/stock_document/<id>/post ({doc_type})")
        return posted.status_code == 200

    @task(2)
    def receive(self) -> None:
        item = random.choice(self.items)
        if self._post("receipt", item, random.randint(5, 20), f"{random.randint(100, 9999) / 100:.2f}"):
            self.received.append(item)

    @task(1)
    def issue(self) -> None:
        if self.received:
            self._post("issue", self.received.pop(0), 1)


class Integrator(FastHttpUser):
    """Another system reading the catalogue and the balances."""

    weight = 1
    wait_time = think(1, 2)

    def on_start(self) -> None:
        self.headers = api_headers(self.client, "economist")
        LOG.user_ready(self.environment)

    @task
    def read(self) -> None:
        self.client.get("/api/v1/item/?q=(page_size:50)", headers=self.headers, name="/api/v1/item/")
        self.client.get("/api/v1/stock_balance/?q=(page_size:50)", headers=self.headers, name="/api/v1/stock_balance/")
