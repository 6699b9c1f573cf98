#!/usr/bin/env bash
# `make serve-prod`: Fabrika on PostgreSQL with N gunicorn workers and S scheduler processes on this
# host, behind a reverse proxy (docs/deploy.md, docs/nginx-fabrika.conf). Everything from the environment:
#   DATABASE_URL   postgresql+psycopg://user:password@db-host:5432/fabrika   (required)
#   SECRET_KEY     the same long random string on every app host            (required)
#   WORKERS=4 THREADS=4 SCHEDULERS=1 BIND=127.0.0.1:8000
#   HTTPS=1 when the proxy terminates TLS; PROXY_FIX_X_FOR=1 (one proxy in front); FABRIKA_PGBOUNCER=1
#   when DATABASE_URL points at pgbouncer in transaction mode; FABRIKA_JSON_LOGS=1 (default here).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL=postgresql+psycopg://user:password@host:5432/fabrika}"
: "${SECRET_KEY:?set SECRET_KEY to the same long random string on every app host}"
case "$DATABASE_URL" in postgresql*) ;; *) echo "serve-prod runs on PostgreSQL; DATABASE_URL=$DATABASE_URL" >&2; exit 2;; esac
export PROXY_FIX_X_FOR=${PROXY_FIX_X_FOR:-1} FABRIKA_JSON_LOGS=${FABRIKA_JSON_LOGS:-1}
BIN=.venv/bin
WORKERS=${WORKERS:-4}; THREADS=${THREADS:-4}; SCHEDULERS=${SCHEDULERS:-1}; BIND=${BIND:-127.0.0.1:8000}

# Migrations and roles (idempotent; every host may run it, the migration takes its own lock).
$BIN/flask --app run setup --no-demo

pids=()
for _ in $(seq 1 "$SCHEDULERS"); do
  $BIN/flask --app run scheduler run & pids+=($!)
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
echo "Fabrika: $WORKERS workers x $THREADS threads on $BIND, $SCHEDULERS scheduler process(es); /health, /ready"
# gunicorn.conf.py: keep-alive 75 s, above nginx's upstream keepalive_timeout (60 s), so the server never
# closes an idle connection that the proxy is about to reuse (a reset, or a 502 on a POST).
$BIN/gunicorn --config gunicorn.conf.py --workers "$WORKERS" --threads "$THREADS" --bind "$BIND" \
  --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" run:app
