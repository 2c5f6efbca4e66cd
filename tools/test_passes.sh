#!/usr/bin/env bash
# The two pytest passes of `make test`, side by side: SQLite, and PostgreSQL (`-m "not nodb and
# not once"`: tests needing no database, and browser walks of page looks, run in one pass only)
# when TEST_DATABASE_URL is set or CI=true (in CI it is mandatory: a missing server fails it).
# Each pass is one Python process on one core, and they share nothing: each has its own temp
# folder, database, Redis (tests/helpers/redis_server.py) and half of every port range
# (tests/helpers/live_gunicorn.py). The SQLite pass prints as it runs; the PostgreSQL pass
# writes to a log printed when both are done. The last lines name each pass's result, and the
# exit status is non-zero when either failed. Each pass ends with its 30 slowest tests, the
# first place to look when the suite grows slower. Arguments go to both passes (a file, -k ...).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PG_TEST_URL=${PG_TEST_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
work=$(mktemp -d "${TMPDIR:-/tmp}/custos-test-passes.XXXXXX")
pg_pid=""
stop_postgres_pass() {
  if [ -n "$pg_pid" ] && kill -0 "$pg_pid" 2>/dev/null; then kill "$pg_pid"; fi
}
trap stop_postgres_pass EXIT
trap 'exit 130' INT TERM

if [ "${CI:-}" = "true" ] || [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "The PostgreSQL pass runs alongside; its output follows the SQLite pass's."
  CUSTOS_TEST_DB=postgresql TEST_DATABASE_URL="${TEST_DATABASE_URL:-$PG_TEST_URL}" \
    "$PYTHON" -m pytest -q --durations=30 -m "not nodb and not once" --basetemp="$work/postgresql" \
    -o cache_dir=.pytest_cache/postgresql "$@" >"$work/postgresql.log" 2>&1 &
  pg_pid=$!
fi

echo "===== pytest, SQLite pass ====="
CUSTOS_TEST_DB=sqlite "$PYTHON" -m pytest -q --durations=30 --basetemp="$work/sqlite" "$@"
sqlite_status=$?
sqlite_result="passed"
[ "$sqlite_status" = 0 ] || sqlite_result="FAILED (pytest exit status $sqlite_status)"

if [ -n "$pg_pid" ]; then
  wait "$pg_pid"
  pg_status=$?
  pg_pid=""
  echo "===== pytest, PostgreSQL pass ====="
  cat "$work/postgresql.log"
  pg_result="passed"
  [ "$pg_status" = 0 ] || pg_result="FAILED (pytest exit status $pg_status)"
else
  pg_status=0
  pg_result="SKIPPED (set TEST_DATABASE_URL=$PG_TEST_URL to run it)"
fi

echo "===== results ====="
echo "pytest, SQLite pass: $sqlite_result"
echo "pytest, PostgreSQL pass: $pg_result"
if [ "$sqlite_status" = 0 ] && [ "$pg_status" = 0 ]; then
  rm -rf "$work"
  exit 0
fi
echo "Temp folders and the PostgreSQL log are kept in $work"
exit 1
