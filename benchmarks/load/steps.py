"""The step load (`make load-steps`): users added in steps until a page slows past its limit or a
request fails, on the S3 backend and on the local blob store; the largest load each one held.

    python -m benchmarks.load.steps [--store both|s3|local] [--start-field 10]
        [--start-lawyers 4] [--step-field 10] [--step-lawyers 4] [--step-time 60]
        [--max-steps 8] [--page-limit-ms 1000]

One stack per store (benchmarks/load/stack.py: its own PostgreSQL database, RQ workers, gunicorn,
and moto's S3 server or a blob folder), built once; each step is one locust run of `--step-time`
seconds with that step's users, who sign in afresh (in a TOTP period of their own: a reused code is
a replay). A step holds when no request failed and the p95 latency of signed-in pages stayed within
the limit; the run stops at the first step that does not. Afterwards, as in `make load`, the job
queue is drained, `flask custody verify` is run and every acknowledged upload is found and its blob
decrypted and hashed: a lost upload fails the run whatever the latency. moto reads a whole object
to serve a Range request, which inflates stream times on the S3 backend; the local store shows the
app's own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.load.runner import (  # noqa: E402
    MB,
    LoadSettings,
    drain_jobs,
    percentile,
    prepare,
    run_locust,
    seed,
)
from benchmarks.load.stack import StackBuilder  # noqa: E402


@dataclass
class StepSettings:
    start_field: int = 10
    start_lawyers: int = 4
    step_field: int = 10
    step_lawyers: int = 4
    step_s: int = 60
    max_steps: int = 8
    page_p95_limit_ms: float = 1000.0
    load: LoadSettings = field(default_factory=LoadSettings)

    def users_at(self, number: int) -> tuple[int, int]:
        """(field users, lawyers) in step `number` (0 is the first)."""
        return (
            self.start_field + number * self.step_field,
            self.start_lawyers + number * self.step_lawyers,
        )


@dataclass
class StepResult:
    field_users: int
    lawyers: int
    wall_s: float
    requests: int = 0
    failures: int = 0
    failure_lines: list[str] = field(default_factory=list)
    page_p95_ms: float = math.nan
    stream_ttfb_p95_ms: float = math.nan
    uploads: int = 0
    upload_bytes: int = 0
    slowest_pages: list[tuple[str, float]] = field(default_factory=list)  # (page, p95 ms)

    @property
    def uploads_per_s(self) -> float:
        return self.uploads / self.wall_s if self.wall_s else math.nan

    @property
    def upload_mb_s(self) -> float:
        return self.upload_bytes / MB / self.wall_s if self.wall_s else math.nan


def why_not_held(step: StepResult, page_limit_ms: float) -> str | None:
    """Why a step did not hold, or None when it held (no failure, pages within the limit)."""
    if step.failures:
        return f"{step.failures} failed requests"
    if math.isnan(step.page_p95_ms):
        return "no signed-in page was measured"
    if step.page_p95_ms > page_limit_ms:
        return f"p95 page latency {step.page_p95_ms:.0f} ms over {page_limit_ms:.0f} ms"
    return None


@dataclass
class StepRun:
    store: str
    settings: StepSettings
    steps: list[StepResult] = field(default_factory=list)
    stopped_because: str = ""
    verification: dict = field(default_factory=dict)
    ledger_exit: int | None = None
    jobs: dict = field(default_factory=dict)
    drain_s: float = math.nan
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def largest_held(self) -> StepResult | None:
        """The last step before the first one that did not hold (None if the first did not)."""
        held = None
        for step in self.steps:
            if why_not_held(step, self.settings.page_p95_limit_ms) is not None:
                break
            held = step
        return held

    @property
    def problems(self) -> list[str]:
        """What fails the run whatever the latency: lost uploads, a broken ledger, failed jobs."""
        found = []
        check = self.verification
        if check.get("problems") or check.get("verified") != check.get("acknowledged"):
            lost = check.get("acknowledged", 0) - check.get("verified", 0)
            found.append(f"{lost} acknowledged uploads not found intact")
        if self.ledger_exit != 0:
            found.append(f"custody verify exited {self.ledger_exit}")
        if self.jobs.get("states", {}).get("failed"):
            found.append(f"{self.jobs['states']['failed']} background jobs failed")
        if math.isnan(self.drain_s):
            found.append("the job queue did not drain in time")
        return found


def _acks(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def measure_step(workdir: Path, tag: str, during: list[dict], step: StepResult) -> StepResult:
    """Fill a step's figures from its locust samples and the uploads acknowledged during it."""
    recorded = json.loads((workdir / f"samples-{tag}.json").read_text())
    samples = recorded["samples"]
    step.requests = recorded["total"]["requests"]
    step.failures = recorded["total"]["failures"]
    step.failure_lines = recorded["errors"]
    by_page = {name[6:]: got for name, got in samples.items() if name.startswith("page: ")}
    pages = [ms for got in by_page.values() for ms in got]
    step.slowest_pages = sorted(
        ((name, percentile(got, 95)) for name, got in by_page.items()), key=lambda x: -x[1]
    )[:3]
    streams = [ms for name, got in samples.items() if name.startswith("stream: ") for ms in got]
    step.page_p95_ms = percentile(pages, 95)
    step.stream_ttfb_p95_ms = percentile(streams, 95)
    step.uploads = len(during)
    step.upload_bytes = sum(ack["size"] for ack in during)
    return step


TOTP_PERIOD_S = 30


def wait_for_a_fresh_totp_period() -> None:
    """Sleep into the next 30-second TOTP period: the next step's lawyers sign in again with
    the same accounts, and a code from a period already used is refused as a replay."""
    time.sleep(TOTP_PERIOD_S - time.time() % TOTP_PERIOD_S + 1)


def run_steps(settings: StepSettings, store: str) -> StepRun:
    """Steps on one store until one does not hold; the stack is torn down before returning."""
    most_field, most_lawyers = settings.users_at(settings.max_steps - 1)
    load = replace(
        settings.load,
        field_users=most_field,
        lawyers=most_lawyers,
        run_time_s=settings.step_s,
        stack=replace(settings.load.stack, blob_backend=store),
    )
    run = StepRun(store, settings, load_before=os.getloadavg())
    builder = StackBuilder(load.stack)
    try:
        accounts_path = prepare(builder, load)
        stack = builder.stack
        acks_path = stack.workdir / "acks.jsonl"
        seed(stack, json.loads(accounts_path.read_text()), acks_path)
        for number in range(settings.max_steps):
            field_users, lawyers = settings.users_at(number)
            tag = f"step{number + 1}"
            acked_before = len(_acks(acks_path))
            step_load = replace(load, field_users=field_users, lawyers=lawyers)
            wall = run_locust(stack, step_load, accounts_path, tag=tag)
            during = _acks(acks_path)[acked_before:]
            step = measure_step(
                stack.workdir, tag, during, StepResult(field_users, lawyers, wall_s=wall)
            )
            run.steps.append(step)
            reason = why_not_held(step, settings.page_p95_limit_ms)
            if reason:
                run.stopped_because = f"step {number + 1}: {reason}"
                break
            if number + 1 < settings.max_steps:
                wait_for_a_fresh_totp_period()
        else:
            run.stopped_because = f"the last step ({settings.max_steps}) still held"
        run.load_after = os.getloadavg()
        run.jobs, run.drain_s = drain_jobs(stack, load.drain_timeout_s)
        run.ledger_exit = stack.flask("custody", "verify").returncode
        out = stack.workdir / "verification.json"
        stack.python("benchmarks.load.world", "verify", str(acks_path), str(out))
        run.verification = json.loads(out.read_text())
        return run
    finally:
        builder.close()


def table(run: StepRun) -> str:
    s = run.settings
    stack = s.load.stack
    lines = [
        f"step load on the {run.store} store: from {s.start_field} field users + "
        f"{s.start_lawyers} lawyers, +{s.step_field} + {s.step_lawyers} per step, {s.step_s} s "
        f"each; files {s.load.min_mb}-{s.load.max_mb} MB; PostgreSQL, RQ workers x "
        f"{stack.job_workers}, gunicorn {stack.web_workers} x {stack.web_threads} threads",
        f"machine: {os.cpu_count()} cores; load average before {run.load_before[0]:.2f}, "
        f"at the end {run.load_after[0]:.2f}",
        "",
        f"{'step':>4} {'field':>6} {'lawyers':>8} {'requests':>9} {'fail':>5} {'uploads/s':>10} "
        f"{'MB/s':>7} {'p95 page ms':>12} {'p95 TTFB ms':>12}  held",
    ]
    for number, step in enumerate(run.steps, start=1):
        reason = why_not_held(step, s.page_p95_limit_ms)
        lines.append(
            f"{number:4d} {step.field_users:6d} {step.lawyers:8d} {step.requests:9d} "
            f"{step.failures:5d} {step.uploads_per_s:10.2f} {step.upload_mb_s:7.2f} "
            f"{step.page_p95_ms:12.0f} {step.stream_ttfb_p95_ms:12.0f}  "
            + ("yes" if reason is None else f"no: {reason}")
        )
    best = run.largest_held
    lines.append("")
    if best is None:
        lines.append("largest load held: none (the first step did not hold)")
    else:
        lines.append(
            f"largest load held: {best.field_users} field users + {best.lawyers} lawyers, "
            f"{best.uploads_per_s:.2f} uploads/s, {best.upload_mb_s:.2f} MB/s, p95 page "
            f"{best.page_p95_ms:.0f} ms, p95 stream TTFB {best.stream_ttfb_p95_ms:.0f} ms"
        )
    check = run.verification
    lines += [
        f"stopped: {run.stopped_because}",
        f"acknowledged uploads verified (row + blob hash) {check.get('verified', 0)}/"
        f"{check.get('acknowledged', 0)}; custody verify exit {run.ledger_exit}; queue drained "
        f"in {run.drain_s:.0f} s",
        "verdict: " + ("PASS" if not run.problems else "FAIL: " + "; ".join(run.problems)),
    ]
    for number, step in enumerate(run.steps, start=1):
        slowest = ", ".join(f"{name} {ms:.0f} ms" for name, ms in step.slowest_pages)
        lines += [f"  step {number} slowest pages (p95): {slowest}"] if slowest else []
        lines += [f"  failure: {line}" for line in step.failure_lines[:10]]
    return "\n".join(lines)


def parse(argv: list[str]) -> tuple[StepSettings, list[str]]:
    from benchmarks.load.runner import parse as parse_load

    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.steps", description=__doc__)
    defaults = StepSettings()
    parser.add_argument("--store", choices=["both", "s3", "local"], default="both")
    parser.add_argument("--start-field", type=int, default=defaults.start_field)
    parser.add_argument("--start-lawyers", type=int, default=defaults.start_lawyers)
    parser.add_argument("--step-field", type=int, default=defaults.step_field)
    parser.add_argument("--step-lawyers", type=int, default=defaults.step_lawyers)
    parser.add_argument("--step-time", type=int, default=defaults.step_s, help="seconds")
    parser.add_argument("--max-steps", type=int, default=defaults.max_steps)
    parser.add_argument("--page-limit-ms", type=float, default=defaults.page_p95_limit_ms)
    args, rest = parser.parse_known_args(argv)
    settings = StepSettings(
        start_field=args.start_field,
        start_lawyers=args.start_lawyers,
        step_field=args.step_field,
        step_lawyers=args.step_lawyers,
        step_s=args.step_time,
        max_steps=args.max_steps,
        page_p95_limit_ms=args.page_limit_ms,
        load=parse_load(rest),  # the load test's own options: file sizes, pace, ports, URLs
    )
    stores = ["s3", "local"] if args.store == "both" else [args.store]
    return settings, stores


def main(argv: list[str] | None = None) -> int:
    settings, stores = parse(sys.argv[1:] if argv is None else argv)
    failed = False
    for store in stores:
        run = run_steps(settings, store)
        print(table(run), "", sep="\n", flush=True)
        failed = failed or bool(run.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
