"""`make loadtest`: 50 concurrent users against gunicorn on PostgreSQL, with 1, 2 and 4 workers.

    python -m bench.load.run [--users 50] [--seconds 60] [--workers 1,2,4] [--pg URL]
        [--capacity-seconds 20] [--capacity-users 20] [--capacity-workers 1,2]

Loopback only, bounded in time. Without --pg a throwaway PostgreSQL cluster is made (Debian's
server binaries, like `make test`). The database gets the demo story (`flask setup`), then for each
worker count: gunicorn (threads 4) and one scheduler process start, locust (its own venv,
bench/load/.venv, installed on first use so its dependencies never touch the app's) runs the users
of bench/load/locustfile.py headless, and the report takes p50 / p95 / p99 per kind of request
(pages, postings, PDFs, API reads), throughput, server errors and the peak number of database
connections. Those figures are the steady state: from the moment the last user has signed in, for
--seconds (the locustfile stops the run then; a run is capped at --seconds + WARMUP_CAP). Signing in
(a deliberately costly password hash per user, all users at the start) is reported as its own kind,
over the whole run, with the warm-up's length. Percentiles are exact per kind, from the locustfile's
one-line-per-request log. Where the CPU went during the steady state (gunicorn with its workers, the
scheduler, PostgreSQL, pgbouncer, locust, and the whole machine) is read from /proc.
During the last run a backup is taken (`flask backup create`: pg_dump while the users
post), restored into a new database (`flask backup restore`) and verified there (`flask stock verify`).
Then, with --pgbouncer-users N (default 200), N users on the largest worker count through pgbouncer in
transaction pooling mode with at most 20 server connections (Debian's pgbouncer, FABRIKA_PGBOUNCER=1):
its peak of server connections and its errors. Afterwards: `flask stock verify`, duplicate document
numbers, fires run twice. Then the capacity phase, labelled as such in the report: --capacity-users
users who send their next request at once (no think time), --capacity-seconds of steady state, on 1
and 2 workers: what the server carries when saturated, which the 50 people pausing 1-3 s never ask
for. Writes bench/results/loadtest.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.load.measure import CpuSampler, read_log, slowest_routes, summarize
from bench.load.report import SIGN_IN, render

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCUST_VENV = HERE / ".venv"
BIN = ROOT / ".venv" / "bin"
PORT = 8799
WARMUP_CAP = 150  # seconds a run may spend signing its users in before the steady state is cut short


def _sh(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, check=False, **kw)


def _locust() -> str:
    if not (LOCUST_VENV / "bin" / "locust").exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust==2.47.0"], check=True)
    return str(LOCUST_VENV / "bin" / "locust")


def _throwaway_pg() -> tuple[str, callable, dict[str, int]]:
    """A PostgreSQL cluster on loopback for this run; (URL, stop, {"postgresql": postmaster's pid})."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = tempfile.mkdtemp(prefix="fabrika-load-pg-")
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.geteuid() == 0 else ["sh", "-c"]
    if os.geteuid() == 0:
        os.chown(data, *_pg_ids())
    port = 55490
    subprocess.run([*as_pg, f"{pgbin}/initdb -D {data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8"],
                   check=True, capture_output=True)
    subprocess.run([*as_pg, f"{pgbin}/pg_ctl -D {data} -o '-p {port} -k /tmp -c listen_addresses=127.0.0.1 "
                    f"-c max_connections=300' -l {data}/log -w start"], check=True, capture_output=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc",
                    "create database fabrika_load"], check=True)

    def stop() -> None:
        subprocess.run([*as_pg, f"{pgbin}/pg_ctl -D {data} -m fast stop"], capture_output=True, check=False)

    postmaster = int(Path(data, "postmaster.pid").read_text().split()[0])
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/fabrika_load", stop, {"postgresql": postmaster}


def _postmaster(url: str) -> dict[str, int]:
    """{"postgresql": the postmaster's pid} when the server of `url` runs on this machine (the parent of
    our backend), else {} (its CPU is then not counted)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        try:
            with open(f"/proc/{backend}/stat", encoding="ascii") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            parent = 0
    engine.dispose()
    return {"postgresql": parent} if parent else {}


def _pg_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def _wait_ready(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/ready", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError("the app did not become ready")


class ConnectionPeak(threading.Thread):
    """Samples the database's connections while the users run."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text

        while not self.stop.wait(0.5):
            with self.engine.connect() as conn:
                # client backends only, and not this sampler's own (it connects to the server directly)
                n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))
                self.peak = max(self.peak, n.scalar_one())


def _kind(name: str) -> str:
    if "(sign in" in name:
        return SIGN_IN
    if "(PDF)" in name:
        return "pdf"
    if "/post (" in name or "/draft (" in name:
        return "posting"
    if name.startswith("/api/"):
        return "api read"
    return "page"


def run_once(url: str, workers: int, users: int, seconds: int, locust: str, env: dict,
             during: callable | None = None, server_url: str | None = None,
             roots: dict[str, int] | None = None, think: bool = True) -> dict:
    """One locust run against `workers` gunicorn workers on `url`; `during(request_log)` runs in a thread
    meanwhile; connections are counted on `server_url` (the PostgreSQL behind pgbouncer) when given;
    `roots` names more process trees whose CPU is counted (PostgreSQL's postmaster, pgbouncer);
    think=False: the users do not pause between requests (the capacity phase)."""
    env = {**env, "DATABASE_URL": url}
    # gunicorn's own log is kept: a worker killed by the arbiter (WORKER TIMEOUT) drops the requests in
    # flight, which locust counts as connection resets; the report says how often it happened.
    log = tempfile.NamedTemporaryFile(prefix=f"fabrika-load-{workers}w-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen([str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--workers", str(workers),
                               "--threads", "4", "--bind", f"127.0.0.1:{PORT}", "--graceful-timeout", "10",
                               "run:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    scheduler = subprocess.Popen([str(BIN / "flask"), "--app", "run", "scheduler", "run"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = ConnectionPeak(server_url or url)
    prefix = tempfile.mktemp(prefix=f"fabrika-load-{workers}w-")
    requests_log = prefix + "_requests.tsv"
    side = threading.Thread(target=during, args=(requests_log,), daemon=True) if during else None
    try:
        _wait_ready()
        peak.start()
        if side:
            side.start()
        client = subprocess.Popen([locust, "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users), "-r",
                                   str(max(users // 5, 1)), "-t", f"{seconds + WARMUP_CAP}s", "--host",
                                   f"http://127.0.0.1:{PORT}", "--csv", prefix, "--only-summary"],
                                  env={**os.environ, "LOCUST_CSV_FULL_HISTORY": "0", "LOAD_REQUEST_LOG": requests_log,
                                       "LOAD_STEADY_SECONDS": str(seconds), "LOAD_THINK": "1" if think else "0"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu = CpuSampler({"gunicorn": server.pid, "scheduler": scheduler.pid, "locust": client.pid, **(roots or {})})
        cpu.start()
        client.wait()
        ended = time.time()
        cpu.stop.set()
        cpu.join()
        peak.stop.set()
        if side:
            side.join(timeout=600)
    finally:
        for proc in (server, scheduler):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, scheduler):
            proc.wait(timeout=60)
        peak.engine.dispose()
        log.close()
    return {"workers": workers, "users": users, **_steady_state(requests_log, ended, cpu),
            "connections": peak.peak - 1,  # the sampler's own connection is not the app's
            "restarts": _worker_restarts(log.name, workers), "log": log.name}


def _steady_state(requests_log: str, ended: float, cpu: CpuSampler) -> dict:
    """Figures of the steady state (requests started after the last sign-in), sign-ins over the whole run."""
    rows, warm_end = read_log(requests_log)
    first = min((r[0] for r in rows), default=ended)
    steady_from = warm_end if warm_end is not None else first
    steady = [r for r in rows if r[0] >= steady_from and _kind(r[2]) != SIGN_IN]
    kinds = summarize(steady, _kind)
    kinds.update(summarize([r for r in rows if _kind(r[2]) == SIGN_IN], _kind))
    wall = max(ended - steady_from, 1e-6)
    used = cpu.cores(steady_from)
    app_ms = used.get("gunicorn", 0.0) * wall / max(len(steady), 1) * 1000
    return {"kinds": kinds, "rps": len(steady) / wall, "steady_seconds": wall,
            "warmup": (steady_from - first) if warm_end is not None else None, "cpu": used,
            "app_cpu_ms": app_ms, "slowest": slowest_routes(steady)}


def _worker_restarts(path: str, workers: int) -> str:
    """Workers the arbiter killed (timeouts, signals) and booted again, from gunicorn's log."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        text_ = fh.read()
    timeouts = text_.count("WORKER TIMEOUT")
    killed = len(re.findall(r"Worker \(pid:\d+\) was sent", text_))
    boots = text_.count("Booting worker") - workers
    return f"{max(boots, 0)} re-booted ({timeouts} timeouts, {killed} killed by signal)"


def _wait_for_steady_state(requests_log: str, timeout: float = WARMUP_CAP) -> None:
    """Until the locustfile has written `warm_end` (every user signed in), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if "\twarm_end\t" in Path(requests_log).read_text(encoding="utf-8"):
                return
        except OSError:
            pass
        time.sleep(1)


class BackupDuringLoad:
    """Takes a backup a few seconds into the run, while users post; restores and verifies it after."""

    def __init__(self, url: str, env: dict, delay: float) -> None:
        self.url, self.env, self.delay = url, {**env, "DATABASE_URL": url, "BACKUP_DIR": tempfile.mkdtemp()}, delay
        self.file = ""
        self.notes: list[str] = []

    def __call__(self, requests_log: str) -> None:
        _wait_for_steady_state(requests_log)
        time.sleep(self.delay)
        started = time.perf_counter()
        made = _sh([str(BIN / "flask"), "--app", "run", "backup", "create"], self.env)
        if made.returncode:
            self.notes.append("backup during the load **failed**: " + made.stderr[-300:])
            return
        self.file = made.stdout.split()[0]
        self.notes.append(f"backup taken during the load in {time.perf_counter() - started:.1f} s")

    def restore_and_verify(self) -> list[str]:
        """Into a new database: `flask backup restore`, then `flask stock verify` there."""
        if not self.file:
            return self.notes
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        target = make_url(self.url).set(database="fabrika_restored")
        admin = create_engine(make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS fabrika_restored"))
            conn.execute(text("CREATE DATABASE fabrika_restored"))
        admin.dispose()
        env = {**self.env, "DATABASE_URL": target.render_as_string(hide_password=False)}
        restored = _sh([str(BIN / "flask"), "--app", "run", "backup", "restore", self.file, "--yes",
                        "--no-safety-backup"], env)
        verify = _sh([str(BIN / "flask"), "--app", "run", "stock", "verify"], env)
        last = (verify.stdout.strip().splitlines() or [verify.stderr[-200:]])[-1]
        return self.notes + [f"restored into a new database: {(restored.stdout or restored.stderr).strip()[-160:]}; "
                             f"`flask stock verify` there: {last}"]


def _pgbouncer(url: str, pool: int) -> tuple[str, callable, int]:
    """pgbouncer in transaction mode in front of `url`, at most `pool` server connections; (URL, stop, pid)."""
    import shutil

    from sqlalchemy.engine import make_url

    server = make_url(url)
    work = tempfile.mkdtemp(prefix="fabrika-load-pgbouncer-")
    port = PORT + 1
    Path(work, "users.txt").write_text(f'"{server.username}" ""\n')
    Path(work, "pgbouncer.ini").write_text(
        f"[databases]\n{server.database} = host={server.host} port={server.port} dbname={server.database} "
        f"user={server.username}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir =\nauth_type = trust\nauth_file = {work}/users.txt\npool_mode = transaction\n"
        f"default_pool_size = {pool}\nmax_db_connections = {pool}\nmax_client_conn = 1000\n"
        f"logfile = {work}/pgbouncer.log\n")
    command = ["/usr/sbin/pgbouncer", f"{work}/pgbouncer.ini"]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        for path in (work, f"{work}/users.txt", f"{work}/pgbouncer.ini"):
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)

    def stop() -> None:
        proc.terminate()
        proc.wait(timeout=10)

    return server.set(port=port).render_as_string(hide_password=False), stop, proc.pid


def checks(url: str, env: dict) -> list[str]:
    """What must hold after the load: the ledger, numbering, the scheduler."""
    from sqlalchemy import create_engine, text

    out = []
    verify = _sh([str(BIN / "flask"), "--app", "run", "stock", "verify"], {**env, "DATABASE_URL": url})
    said = verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr[-200:]
    out.append(f"`flask stock verify`: {said}")
    engine = create_engine(url)
    with engine.connect() as conn:
        dup_docs = conn.execute(text("SELECT count(*) FROM (SELECT doc_type, number FROM stock_document "
                                     "WHERE number IS NOT NULL GROUP BY doc_type, number HAVING count(*) > 1) d"))
        dup_fires = conn.execute(text("SELECT count(*) FROM (SELECT job_id, slot FROM job_fire GROUP BY job_id, slot "
                                      "HAVING count(*) > 1) f"))
        posted = conn.execute(text("SELECT count(*) FROM stock_document WHERE state = 'posted'"))
        out.append(f"duplicate stock document numbers: {dup_docs.scalar_one()}; fire slots run twice: "
                   f"{dup_fires.scalar_one()}; posted stock documents: {posted.scalar_one()}")
    engine.dispose()
    return out


def main() -> int:
    global PORT  # noqa: PLW0603 (one run per process; the helpers read it)
    ap = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--port", type=int, default=PORT, help="gunicorn's port on loopback (pgbouncer: the next one)")
    ap.add_argument("--pg", help="PostgreSQL URL of an empty database (default: a throwaway cluster)")
    ap.add_argument("--pgbouncer-users", type=int, default=200,
                    help="users of the last run through pgbouncer with 20 server connections (0: no such run)")
    ap.add_argument("--capacity-seconds", type=int, default=20,
                    help="capacity phase: steady seconds with users who do not pause (0: no such phase)")
    ap.add_argument("--capacity-users", type=int, default=20)
    ap.add_argument("--capacity-workers", default="1,2")
    args = ap.parse_args()
    PORT = args.port
    locust = _locust()
    url, stop, roots = (args.pg, lambda: None, _postmaster(args.pg)) if args.pg else _throwaway_pg()
    env = {**os.environ, "SECRET_KEY": "load-test-only", "PROXY_FIX_X_FOR": "0", "FABRIKA_JSON_LOGS": "0",
           "SCHEDULER_TICK_SECONDS": "5"}
    try:
        setup = _sh([str(BIN / "flask"), "--app", "run", "setup"], {**env, "DATABASE_URL": url})
        if setup.returncode:
            raise SystemExit("flask setup failed: " + setup.stderr[-500:])
        load = os.getloadavg()[0]
        counts = [int(w) for w in args.workers.split(",")]
        backup = BackupDuringLoad(url, env, delay=args.seconds / 3)
        results = [run_once(url, w, args.users, args.seconds, locust, env, during=backup if w == counts[-1] else None,
                            roots=roots) for w in counts]
        notes = backup.restore_and_verify()
        capacity = [{**run_once(url, w, args.capacity_users, args.capacity_seconds, locust, env, roots=roots,
                                think=False), "capacity": True}
                    for w in ([int(w) for w in args.capacity_workers.split(",")] if args.capacity_seconds else [])]
        if args.pgbouncer_users:
            pooled, stop_pooler, pooler = _pgbouncer(url, pool=20)
            try:
                results.append({**run_once(pooled, counts[-1], args.pgbouncer_users, args.seconds, locust,
                                           {**env, "FABRIKA_PGBOUNCER": "1"}, server_url=url,
                                           roots={**roots, "pgbouncer": pooler}), "pgbouncer": True})
            finally:
                stop_pooler()
        notes += checks(url, env) + [f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, "
                                     f"{os.cpu_count()} CPUs"]
    finally:
        stop()
    text_ = render(results, notes, args.users, args.seconds, capacity)
    print(text_)
    out = ROOT / "bench" / "results" / "loadtest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text_, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
