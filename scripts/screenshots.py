"""Screenshots of pages in en / ru / es for a human to look at (not a test).

Usage: .venv/bin/python scripts/screenshots.py OUTDIR /path1 /path2 ...
Builds a throwaway app with demo data on a temp SQLite file, serves it on loopback, logs in as
admin and saves OUTDIR/<lang>-<path>.png for each path and language.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def build_app():
    tmp = tempfile.mkdtemp(prefix="fabrika-shots-")
    os.environ["FABRIKA_INSTANCE"] = tmp
    from app import create_app
    from app.security import sync_roles
    from app.services.demo import load_demo
    from tests.conftest import _test_config

    cfg = _test_config("sqlite:///" + os.path.join(tmp, "shots.db"))
    app = create_app(cfg)
    with app.app_context():
        sync_roles(app.appbuilder)
        load_demo()
        sm = app.appbuilder.sm
        sm.add_user("admin", "Admin", "Fabrika", "a@b.c", sm.find_role("Admin"), "admin")
    return app


def main(outdir: str, paths: list[str]) -> None:
    os.makedirs(outdir, exist_ok=True)
    app = build_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/login/")
        page.fill("#username", "admin")
        page.fill("#password", "admin")
        page.click("input[type=submit], button[type=submit]")
        for lang in ("en", "ru", "es"):
            page.goto(f"{base}/lang/{lang}")
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=os.path.join(outdir, f"{lang}-{name}.png"), full_page=True)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
