#!/usr/bin/env bash
# The whole suite: lint, SQLite, PostgreSQL (a throwaway cluster on loopback), then the browser.
# As root, installs Debian's chromium and postgresql when missing; without root it runs what it can
# and says loudly what it skipped (and fails under CI, where nothing may be skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0
skipped=()

have_root() { [ "$(id -u)" = "0" ]; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_debian_packages() {
  local need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || need+=(postgresql)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)  # the scheduler through transaction pooling
  [ -x /usr/sbin/nginx ] || need+=(nginx)  # the browser test through the documented reverse proxy
  if [ ${#need[@]} -gt 0 ]; then
    if have_root; then
      echo "== installing Debian packages: ${need[*]}"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
        || echo "!! apt-get install ${need[*]} failed"
    else
      echo "!! not root: cannot install ${need[*]}"
    fi
  fi
}

run_pytest() {  # label, args...
  local label=$1; shift
  echo "== $label"
  $BIN/python -m pytest "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then echo "!! $label failed (exit $rc)"; status=1; fi
}

ensure_debian_packages

echo "== ruff"
$BIN/ruff check . || status=1

echo "== dependency audit (pip-audit; waivers in .pip-audit-waivers)"
$BIN/python scripts/audit_deps.py
case $? in
  0) ;;
  3) skipped+=("dependency audit of the packages listed above") ;;
  *) echo "!! dependency audit failed"; status=1 ;;
esac

run_pytest "tests on SQLite" -q -p no:cacheprovider -n 2 --ignore=tests/e2e --ignore=tests/fuzz tests

# The REST API under schemathesis, driven by our own OpenAPI document (server errors, status codes,
# content types, answer schemas): on SQLite, bounded by the examples per operation and mode.
FABRIKA_FUZZ_EXAMPLES=${FABRIKA_FUZZ_EXAMPLES:-5} \
  run_pytest "API fuzzer (schemathesis, ${FABRIKA_FUZZ_EXAMPLES:-5} examples per operation and mode)" \
  -q -p no:cacheprovider -n 2 tests/fuzz

PGBIN=$(pg_bin)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  PGDATA=$(mktemp -d /tmp/fabrika-pg.XXXXXX)
  PGPORT=${FABRIKA_PG_PORT:-55432}
  run_pg() { if have_root; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  have_root && chown postgres "$PGDATA"
  if run_pg "$PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null \
     && run_pg "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off' -l $PGDATA/log -w start" >/dev/null; then
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -q -c "create database fabrika_test" >/dev/null
    # Left to the SQLite run: what cannot differ between databases (pure domain code, printing, the words,
    # markup and content-security policy of every page, the OpenAPI document, the catalogs).
    TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/fabrika_test" \
      run_pytest "tests on PostgreSQL" -q -p no:cacheprovider -n 2 --ignore=tests/e2e --ignore=tests/domain \
        --ignore=tests/printing --ignore=tests/fuzz --ignore=tests/views/test_crawl_language.py \
        --ignore=tests/views/test_csp.py --ignore=tests/views/test_framework_pages.py \
        --ignore=tests/views/test_role_card_language.py --ignore=tests/test_translations.py \
        --ignore=tests/views/test_dead_links.py \
        --ignore=tests/api/test_openapi.py tests
    run_pg "$PGBIN/pg_ctl -D $PGDATA -m fast stop" >/dev/null
  else
    echo "!! could not start PostgreSQL"; status=1
  fi
  rm -rf "$PGDATA"
else
  skipped+=("PostgreSQL (no server binaries)")
fi

if command -v chromium >/dev/null 2>&1; then
  # serial: two workers (-n 2 --dist loadfile, each its own live server and chromium) took 7:40 and 8:18 against
  # 8:33 serially, and the contention made a click land before a page's script had bound its handler
  run_pytest "browser tests (chromium)" -q -p no:cacheprovider tests/e2e
else
  skipped+=("browser tests (no /usr/bin/chromium)")
fi

if [ ${#skipped[@]} -gt 0 ]; then
  echo "!!!!!!!! SKIPPED: ${skipped[*]}"
  [ "${CI:-}" = "true" ] && status=1
fi
exit $status
