"""The step load (benchmarks/load/steps.py): when a step holds, where the run stops, and a short
real run of two steps on the local blob store that fails nothing and loses nothing.

The real run is marked `nodb` like the short load test: it makes and drops its own PostgreSQL
database, so it runs once per `make test`. Its latency limit is set out of reach, because this
test asserts what the steps measured and kept, not how fast a shared CI machine is.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from benchmarks.load.runner import LoadSettings
from benchmarks.load.stack import (
    DEFAULT_PG_ADMIN_URL,
    StackSettings,
    StackUnavailable,
    check_services,
)
from benchmarks.load.steps import (
    StepResult,
    StepRun,
    StepSettings,
    measure_step,
    run_steps,
    table,
    why_not_held,
)


def _step(failures=0, page_p95_ms=200.0, field_users=10) -> StepResult:
    return StepResult(
        field_users,
        4,
        wall_s=60,
        requests=100,
        failures=failures,
        page_p95_ms=page_p95_ms,
        uploads=30,
        upload_bytes=90_000_000,
    )


def test_a_step_holds_only_without_failures_and_with_pages_within_the_limit():
    assert why_not_held(_step(), 1000) is None
    assert why_not_held(_step(failures=1), 1000) == "1 failed requests"
    assert why_not_held(_step(page_p95_ms=1001), 1000) == "p95 page latency 1001 ms over 1000 ms"
    assert why_not_held(_step(page_p95_ms=math.nan), 1000) == "no signed-in page was measured"


def test_the_largest_load_held_is_the_last_step_before_the_first_that_did_not_hold():
    run = StepRun("local", StepSettings(page_p95_limit_ms=1000))
    run.steps = [_step(field_users=10), _step(field_users=20), _step(field_users=30, failures=2)]
    assert run.largest_held.field_users == 20
    run.steps = [_step(page_p95_ms=1500)]
    assert run.largest_held is None
    assert "largest load held: none" in table(run)


def test_a_step_figure_is_per_second_of_that_step():
    step = _step()
    assert step.uploads_per_s == pytest.approx(0.5)
    assert step.upload_mb_s == pytest.approx(1.5)


def test_each_step_names_its_slowest_pages(tmp_path):
    samples = {
        "page: evidence list": [100.0] * 19 + [900.0],
        "page: custody ledger": [300.0] * 20,
        "page: investigations": [50.0] * 20,
        "page: evidence item": [80.0] * 20,
        "stream: Range 1 MiB (TTFB)": [5000.0],
    }
    recorded = {"samples": samples, "total": {"requests": 81, "failures": 0}, "errors": []}
    (tmp_path / "samples-step1.json").write_text(json.dumps(recorded))
    step = measure_step(tmp_path, "step1", [], StepResult(10, 4, wall_s=60))
    assert step.slowest_pages == [
        ("custody ledger", 300.0),
        ("evidence list", 100.0),
        ("evidence item", 80.0),
    ]
    run = StepRun("local", StepSettings())
    run.steps = [step]
    assert "step 1 slowest pages (p95): custody ledger 300 ms, evidence list 100 ms" in table(run)


@pytest.mark.load
@pytest.mark.nodb
def test_two_short_steps_on_the_local_store_lose_nothing(redis_url):
    stack = StackSettings(
        web_port=int(os.environ.get("CUSTOS_LOAD_TEST_PORT", "5810")) + 4,
        web_workers=2,
        web_threads=8,
        pg_admin_url=os.environ.get("CUSTOS_LOAD_PG_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_PG_ADMIN_URL,
        redis_url=os.environ.get("CUSTOS_LOAD_REDIS_URL", redis_url),
    )
    try:
        check_services(stack)
    except StackUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the load test's stack is incomplete: {exc}")
        pytest.skip(f"load test skipped: {exc}")
    load = LoadSettings(
        spawn_rate=5,
        min_mb=1,
        max_mb=2,
        pace_min_s=1,
        pace_max_s=3,
        stop_timeout_s=60,
        drain_timeout_s=300,
        stack=stack,
    )
    settings = StepSettings(
        start_field=2,
        start_lawyers=1,
        step_field=2,
        step_lawyers=1,
        step_s=12,
        max_steps=2,
        page_p95_limit_ms=1e9,
        load=load,
    )

    run = run_steps(settings, "local")
    report = table(run)

    assert [(s.field_users, s.lawyers) for s in run.steps] == [(2, 1), (4, 2)], report
    assert all(s.requests > 0 and s.failures == 0 for s in run.steps), report
    assert run.largest_held is run.steps[-1], report
    assert run.stopped_because == "the last step (2) still held", report
    assert sum(s.uploads for s in run.steps) > 0, report
    assert run.problems == [], report
    assert "largest load held: 4 field users + 2 lawyers" in report
