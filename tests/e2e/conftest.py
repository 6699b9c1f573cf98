"""Browser test fixtures: Debian's chromium under pytest-playwright, and the live app to drive.

Playwright cannot download its own browsers here, so the launch uses /usr/bin/chromium
(STACK.md section 6). The live app runs in a child process (tests/e2e/live_server.py explains
why) on a fresh SQLite file per session; `base_url` points the `page` fixture at it. Set
FABRIKA_E2E_LOG=1 to see the server's log (tracebacks of a failing page) on stderr.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
SERVER_START_TIMEOUT = 180  # seconds of silence from the starting server before giving up


def pytest_collection_modifyitems(config, items) -> None:
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason=f"browser tests need {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Start tests/e2e/live_server.py on a fresh database; yield its base URL; stop it."""
    workdir = tempfile.mkdtemp(prefix="fabrika-e2e-")
    env = {**os.environ, "FABRIKA_INSTANCE": os.path.join(workdir, "instance")}
    env.pop("TEST_DATABASE_URL", None)  # the live app always has its own SQLite file
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.live_server", os.path.join(workdir, "e2e.db")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield f"http://127.0.0.1:{_read_port(proc)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def _read_port(proc: subprocess.Popen) -> int:
    """The port the child prints once it serves; its output so far if it dies or stalls first.

    A thread keeps reading the child's output for its whole life, so a full pipe never blocks it.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def _pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
            if os.environ.get("FABRIKA_E2E_LOG"):
                sys.stderr.write(line)
        lines.put(None)

    threading.Thread(target=_pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=SERVER_START_TIMEOUT)
        except queue.Empty:
            break
        if line is None:
            break
        if line.startswith("PORT "):
            return int(line.split()[1])
        seen.append(line)
    raise RuntimeError("live server did not start:\n" + "".join(seen[-40:]))


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture(scope="session")
def artifacts_dir() -> str:
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS


def drag(page, card, target_list) -> None:
    """Drag a board's card onto a list with real mouse steps, as a user does (SortableJS follows the pointer):
    the deals board's and a project's board's tests."""
    box, target = card.bounding_box(), target_list.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 20, box["y"] + 20, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] - 5, steps=20)
    page.mouse.up()
