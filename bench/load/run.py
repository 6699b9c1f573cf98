"""`make loadtest`: 50 concurrent users against gunicorn on PostgreSQL, with 1, 2 and 4 workers.

    python -m bench.load.run [--users 50] [--seconds 60] [--workers 1,2,4] [--pg URL]

Loopback only, bounded in time. Without --pg a throwaway PostgreSQL cluster is made (Debian's
server binaries, like `make test`). The database gets the demo story (`flask setup`), then for each
worker count: gunicorn (threads 4) and one scheduler process start, locust (its own venv,
bench/load/.venv, installed on first use so its dependencies never touch the app's) runs the users
of bench/load/locustfile.py headless, and the report takes p50 / p95 / p99 per kind of request
(pages, postings, PDFs, API reads), throughput, server errors and the peak number of database
connections. During the last run a backup is taken (`flask backup create`: pg_dump while the users
post), restored into a new database (`flask backup restore`) and verified there (`flask stock verify`).
Then, with --pgbouncer-users N (default 200), N users on the largest worker count through pgbouncer in
transaction pooling mode with at most 20 server connections (Debian's pgbouncer, FABRIKA_PGBOUNCER=1):
its peak of server connections and its errors. Afterwards: `flask stock verify`, duplicate document
numbers, fires run twice. Writes bench/results/loadtest.md.
"""

from __future__ import annotations

import argparse
import csv
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

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCUST_VENV = HERE / ".venv"
BIN = ROOT / ".venv" / "bin"
PORT = 8799
GOALS = {"page": 300.0, "posting": 500.0}
SERVER_ERRORS = ("500", "502", "503", "504", "Connection", "Timeout", "RemoteDisconnected")


def _sh(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, check=False, **kw)


def _locust() -> str:
    if not (LOCUST_VENV / "bin" / "locust").exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust==2.47.0"], check=True)
    return str(LOCUST_VENV / "bin" / "locust")


def _throwaway_pg() -> tuple[str, callable]:
    """A PostgreSQL cluster on loopback for this run; (URL, stop)."""
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

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/fabrika_load", stop


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
                n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))
                self.peak = max(self.peak, n.scalar_one())


def _kind(name: str) -> str:
    if "(PDF)" in name:
        return "pdf"
    if "/post (" in name or "/draft (" in name:
        return "posting"
    if name.startswith("/api/"):
        return "api read"
    return "page"


def run_once(url: str, workers: int, users: int, seconds: int, locust: str, env: dict,
             during: callable | None = None, server_url: str | None = None) -> dict:
    """One locust run against `workers` gunicorn workers on `url`; `during` runs in a thread meanwhile;
    connections are counted on `server_url` (the PostgreSQL behind pgbouncer) when given."""
    env = {**env, "DATABASE_URL": url}
    # gunicorn's own log is kept: a worker killed by the arbiter (WORKER TIMEOUT) drops the requests in
    # flight, which locust counts as connection resets; the report says how often it happened.
    log = tempfile.NamedTemporaryFile(prefix=f"fabrika-load-{workers}w-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "4", "--bind",
                               f"127.0.0.1:{PORT}", "--graceful-timeout", "10", "run:app"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    scheduler = subprocess.Popen([str(BIN / "flask"), "--app", "run", "scheduler", "run"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = ConnectionPeak(server_url or url)
    side = threading.Thread(target=during, daemon=True) if during else None
    try:
        _wait_ready()
        prefix = tempfile.mktemp(prefix=f"fabrika-load-{workers}w-")
        peak.start()
        if side:
            side.start()
        started = time.perf_counter()
        subprocess.run([locust, "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users), "-r",
                        str(max(users // 5, 1)), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{PORT}",
                        "--csv", prefix, "--only-summary"], env={**os.environ, "LOCUST_CSV_FULL_HISTORY": "0"},
                       capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        peak.stop.set()
        if side:
            side.join(timeout=600)
        kinds = _requests_by_kind(prefix)
    finally:
        for proc in (server, scheduler):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, scheduler):
            proc.wait(timeout=60)
        peak.engine.dispose()
        log.close()
    total = sum(k["count"] for k in kinds.values())
    return {"workers": workers, "users": users, "kinds": kinds, "rps": total / elapsed,
            "connections": peak.peak - 1,  # the sampler's own connection is not the app's
            "restarts": _worker_restarts(log.name, workers), "log": log.name}


def _worker_restarts(path: str, workers: int) -> str:
    """Workers the arbiter killed (timeouts, signals) and booted again, from gunicorn's log."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        text_ = fh.read()
    timeouts = text_.count("WORKER TIMEOUT")
    killed = len(re.findall(r"Worker \(pid:\d+\) was sent", text_))
    boots = text_.count("Booting worker") - workers
    return f"{max(boots, 0)} re-booted ({timeouts} timeouts, {killed} killed by signal)"


def _requests_by_kind(prefix: str) -> dict[str, dict]:
    """Per kind of request: response times (locust's stats CSV, weighted by count) and server errors."""
    kinds: dict[str, dict] = {}
    with open(prefix + "_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                continue
            k = kinds.setdefault(_kind(row["Name"]), {"rows": [], "count": 0, "errors": 0})
            k["rows"].append(row)
            k["count"] += int(row["Request Count"])
    with open(prefix + "_failures.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            error = row["Error"]
            if any(code in error for code in SERVER_ERRORS):
                kind = kinds.setdefault(_kind(row["Name"]), {"rows": [], "count": 0, "errors": 0})
                kind["errors"] += int(row["Occurrences"])
    for k in kinds.values():
        for q, col in ((0.5, "50%"), (0.95, "95%"), (0.99, "99%")):
            # the kind's percentile: the count-weighted worst of its routes is an upper bound we can state
            k[f"p{int(q * 100)}"] = max((float(r[col]) for r in k["rows"] if r[col] not in ("", "N/A")), default=0.0)
    return kinds


class BackupDuringLoad:
    """Takes a backup a few seconds into the run, while users post; restores and verifies it after."""

    def __init__(self, url: str, env: dict, delay: float) -> None:
        self.url, self.env, self.delay = url, {**env, "DATABASE_URL": url, "BACKUP_DIR": tempfile.mkdtemp()}, delay
        self.file = ""
        self.notes: list[str] = []

    def __call__(self) -> None:
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


def _pgbouncer(url: str, pool: int) -> tuple[str, callable]:
    """pgbouncer in transaction mode in front of `url`, at most `pool` server connections; (URL, stop)."""
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

    return server.set(port=port).render_as_string(hide_password=False), stop


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


def render(results: list[dict], notes: list[str], users: int, seconds: int) -> str:
    lines = [f"# Load test: {users} concurrent users, {seconds} s per run, gunicorn threads 4, PostgreSQL", "",
             "| workers | kind | requests | p50 ms | p95 ms | p99 ms | server errors | goal | met |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for kind, k in sorted(r["kinds"].items()):
            goal = GOALS.get(kind)
            ok = goal is not None and k["p95"] < goal and k["p99"] < 1000 and not k["errors"]
            met = "" if goal is None else ("yes" if ok else "**no**")
            lines.append(f"| {r['workers']} | {kind} | {k['count']:,} | {k['p50']:.0f} | {k['p95']:.0f} | "
                         f"{k['p99']:.0f} | {k['errors']} | {f'p95 < {goal:.0f} ms' if goal else ''} | {met} |")
    lines += ["", "| workers | users | throughput (requests/s) | x of 1 worker | peak database connections | "
              "gunicorn workers |", "|---|---|---|---|---|---|"]
    base = results[0]["rps"] if results else 1
    for r in results:
        via = " (through pgbouncer)" if r.get("pgbouncer") else ""
        lines.append(f"| {r['workers']} | {r['users']}{via} | {r['rps']:.1f} | {r['rps'] / base:.2f}x | "
                     f"{r['connections']} | {r.get('restarts', '')} |")
    lines += ["", "Per kind, a percentile is the worst of its routes' percentiles (locust's stats), so it is an "
              "upper bound.", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--pg", help="PostgreSQL URL of an empty database (default: a throwaway cluster)")
    ap.add_argument("--pgbouncer-users", type=int, default=200,
                    help="users of the last run through pgbouncer with 20 server connections (0: no such run)")
    args = ap.parse_args()
    locust = _locust()
    url, stop = (args.pg, lambda: None) if args.pg else _throwaway_pg()
    env = {**os.environ, "SECRET_KEY": "load-test-only", "PROXY_FIX_X_FOR": "0", "FABRIKA_JSON_LOGS": "0",
           "SCHEDULER_TICK_SECONDS": "5"}
    try:
        setup = _sh([str(BIN / "flask"), "--app", "run", "setup"], {**env, "DATABASE_URL": url})
        if setup.returncode:
            raise SystemExit("flask setup failed: " + setup.stderr[-500:])
        load = os.getloadavg()[0]
        counts = [int(w) for w in args.workers.split(",")]
        backup = BackupDuringLoad(url, env, delay=args.seconds / 3)
        results = [run_once(url, w, args.users, args.seconds, locust, env, during=backup if w == counts[-1] else None)
                   for w in counts]
        notes = backup.restore_and_verify()
        if args.pgbouncer_users:
            pooled, stop_pooler = _pgbouncer(url, pool=20)
            try:
                results.append({**run_once(pooled, counts[-1], args.pgbouncer_users, args.seconds, locust,
                                           {**env, "FABRIKA_PGBOUNCER": "1"}, server_url=url), "pgbouncer": True})
            finally:
                stop_pooler()
        notes += checks(url, env) + [f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, "
                                     f"{os.cpu_count()} CPUs"]
    finally:
        stop()
    text_ = render(results, notes, args.users, args.seconds)
    print(text_)
    out = ROOT / "bench" / "results" / "loadtest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text_, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
