"""gunicorn.conf.py against docs/nginx-fabrika.conf: the server keeps idle connections longer than the proxy.

If gunicorn closed an idle keep-alive connection first, nginx (or any client) could send its next
request on it as it closes: a reset, and a 502 for a POST behind nginx (the load test saw the resets
with gunicorn's default of 2 s).
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gunicorn_keeps_idle_connections_longer_than_nginx_and_the_load_test_users():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    nginx = (ROOT / "docs" / "nginx-fabrika.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream fabrika \{(.*?)\}", nginx, re.S).group(1)
    proxy_idle = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    locust = (ROOT / "bench" / "load" / "locustfile.py").read_text(encoding="utf-8")
    longest_wait = max(int(b) for b in re.findall(r"(?:between|think)\(\d+, (\d+)\)", locust))  # think(): bench/load
    assert settings["keepalive"] > proxy_idle > longest_wait
    assert settings["worker_class"] == "gthread"
