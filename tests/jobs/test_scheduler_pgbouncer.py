"""The schedulers through pgbouncer in transaction pooling mode (PostgreSQL only).

Transaction pooling hands each transaction whatever server connection is free, so nothing may
live on a connection between transactions: no session-level advisory lock, no server-side prepared
statement (FABRIKA_PGBOUNCER=1 turns psycopg's off). The claims use only row locks inside short
transactions, so the three-process run with its SIGKILL must hold exactly as it does directly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from sqlalchemy.engine import make_url

from tests.jobs.test_scheduler_processes import probe_table, run_three_schedulers  # noqa: F401 - fixture

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_pgbouncer(server_url: str) -> tuple[subprocess.Popen, int, str]:
    server = make_url(server_url)
    port = _free_port()
    work = tempfile.mkdtemp(prefix="fabrika-pgbouncer-")
    with open(os.path.join(work, "users.txt"), "w") as fh:
        fh.write(f'"{server.username}" ""\n')
    with open(os.path.join(work, "pgbouncer.ini"), "w") as fh:
        fh.write(f"""[databases]
{server.database} = host={server.host} port={server.port} dbname={server.database} user={server.username}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {work}/users.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
logfile = {work}/pgbouncer.log
""")
    command = [PGBOUNCER, os.path.join(work, "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(work, "postgres")
        for name in os.listdir(work):
            shutil.chown(os.path.join(work, name), "postgres")
        command[1:1] = ["-u", "postgres"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port, work
        time.sleep(0.1)
    proc.kill()
    pytest.fail("pgbouncer did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="pgbouncer pools PostgreSQL connections")
@pytest.mark.skipif(not os.path.exists(PGBOUNCER), reason="Debian's pgbouncer package is not installed")
def test_three_schedulers_through_pgbouncer_transaction_mode(app, session, probe_table):  # noqa: F811
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    bouncer, port, work = _start_pgbouncer(url)
    try:
        pooled = make_url(url).set(port=port).render_as_string(hide_password=False)
        run_three_schedulers(session, pooled, fast_jobs=20, min_fires=300, env={"FABRIKA_PGBOUNCER": "1"})
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
