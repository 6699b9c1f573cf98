"""The app behind Debian's nginx, configured by docs/nginx-fabrika.conf (issue 16): a user signs in and
works through the proxy, static files come from nginx itself, nothing fails.

The test runs the documented server block, not a copy of it: only the host paths, the ports and the
upstream address are put in, so the guide cannot drift from what works.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import flask_appbuilder
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import ROOT
from tests.e2e.live_server import ROLE_PASSWORD

NGINX = "/usr/sbin/nginx"
GUIDE_CONF = os.path.join(ROOT, "docs", "nginx-fabrika.conf")
NGINX_STATIC_MAX_AGE = "max-age=604800"  # `expires 7d` in the guide; the app itself sends one hour


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(workdir: str, port: int, upstream: str) -> str:
    """The guide's server block inside a minimal nginx.conf that runs unprivileged from `workdir`."""
    server = open(GUIDE_CONF, encoding="utf-8").read()
    fab_static = os.path.join(os.path.dirname(flask_appbuilder.__file__), "static", "appbuilder") + "/"
    server = server.replace("/srv/fabrika/.venv/lib/python3.11/site-packages/flask_appbuilder/static/appbuilder/",
                            fab_static)
    server = server.replace("/srv/fabrika/", ROOT + "/")
    server = re.sub(r"server 127\.0\.0\.1:8000", f"server {upstream}", server)
    server = re.sub(r"listen 80;", f"listen 127.0.0.1:{port};", server)
    user = "user root;\n" if os.geteuid() == 0 else ""  # the checkout may not be readable by nobody
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {workdir}/{kind};" for kind in kinds)
    return (f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{ include /etc/nginx/mime.types; access_log {workdir}/access.log; {temp}\n{server}\n}}\n")


def _wait_for(port: int, proc: subprocess.Popen, workdir: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx stopped: " + open(os.path.join(workdir, "error.log")).read())
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not listen within 20 s")


@pytest.fixture(scope="module")
def nginx_url(live_server: str) -> Iterator[str]:
    if not os.path.exists(NGINX):
        pytest.skip(f"needs {NGINX} (apt-get install nginx; scripts/test.sh installs it)")
    workdir = tempfile.mkdtemp(prefix="fabrika-nginx-")
    port = _free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as out:
        out.write(_config(workdir, port, live_server.removeprefix("http://")))
    proc = subprocess.Popen([NGINX, "-p", workdir, "-c", conf, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, proc, workdir)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_user_works_through_nginx_which_serves_the_static_files(browser: Browser, nginx_url: str) -> None:
    context = browser.new_context(base_url=nginx_url, locale="ru-RU")
    page = context.new_page()
    failed: list[str] = []
    static: dict[str, str] = {}

    def on_response(response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")
        if "/static/" in response.url:
            static[response.url] = response.headers.get("cache-control", "")

    page.on("response", on_response)
    page.goto("/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ROLE_PASSWORD)
    page.click("form[name=login] input[type=submit]")  # a POST with its CSRF token through the proxy
    expect(page.locator("a[href='/logout/']")).to_have_count(1)
    page.goto("/partnerview/list/")
    expect(page.locator("table")).not_to_have_count(0)
    assert page.request.get("/health").ok
    context.close()

    assert failed == []
    assert any("/static/appbuilder/" in url for url in static), "FAB's own files came through nginx"
    assert any("/static/appbuilder/" not in url for url in static), "our vendored files came through nginx"
    assert {url: cc for url, cc in static.items() if NGINX_STATIC_MAX_AGE not in cc} == {}, \
        "every static file is nginx's (its `expires 7d`), none proxied to the app"

