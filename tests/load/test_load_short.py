"""The load test, shortened: 10 field users and 4 lawyers for 25 s against the full stack.

It runs benchmarks/load/runner.py exactly as `make load` does (gunicorn gthread workers, its
own PostgreSQL database, moto's S3 server, Redis with RQ workers) with fewer users, a shorter
run and 1-4 MB files, and asserts what the full run asserts except timings: no failed
request, every acknowledged upload in the database with a blob that decrypts to the bytes
sent, no failed background job, and `flask custody verify` exiting 0.

Marked `nodb`: it makes and drops its own database (`custos_load_<hex>`) on the PostgreSQL
server instead of using the suite's per-backend database, so it runs once per `make test`
(in the SQLite pass), not once per backend. PostgreSQL and Redis are required: with CI=true
a missing one fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.load.runner import LoadSettings, run, table
from benchmarks.load.stack import (
    DEFAULT_PG_ADMIN_URL,
    StackSettings,
    StackUnavailable,
    check_services,
)

pytestmark = [pytest.mark.load, pytest.mark.nodb]


def _settings(redis_url: str) -> LoadSettings:
    stack = StackSettings(
        web_port=int(os.environ.get("CUSTOS_LOAD_TEST_PORT", "5810")),
        s3_port=int(os.environ.get("CUSTOS_LOAD_TEST_S3_PORT", "5811")),
        web_workers=2,
        web_threads=8,
        pg_admin_url=os.environ.get("CUSTOS_LOAD_PG_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_PG_ADMIN_URL,
        redis_url=os.environ.get("CUSTOS_LOAD_REDIS_URL", redis_url),
    )
    return LoadSettings(
        field_users=10,
        lawyers=4,
        run_time_s=25,
        spawn_rate=5,
        min_mb=1,
        max_mb=4,
        pace_min_s=1,
        pace_max_s=4,
        stop_timeout_s=90,
        drain_timeout_s=300,
        stack=stack,
    )


def test_short_load_run_fails_nothing_and_loses_nothing(redis_url):
    settings = _settings(redis_url)
    try:
        check_services(settings.stack)
    except StackUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the load test's stack is incomplete: {exc}")
        pytest.skip(f"load test skipped: {exc}")

    result = run(settings)
    report = table(result)

    assert result.uploads > 0, report
    assert result.failures == 0, report
    check = result.verification
    assert check["problems"] == [], report
    assert check["verified"] == check["acknowledged"], report
    assert result.jobs["states"].get("failed", 0) == 0, report
    assert result.ledger_exit == 0, report
