"""`make load`: build the stack, run locust headless, verify every upload and the ledger, report.

    python -m benchmarks.load [--field 50] [--lawyers 20] [--run-time 180] [--min-mb 1]
                              [--max-mb 20] [--pace-min 10] [--pace-max 30] [--spawn-rate 2]

Steps: a private PostgreSQL database, moto's S3 server, keys and migrations, the accounts
(benchmarks/load/world.py), gunicorn (gthread) and two `flask worker` processes; a few seed
uploads so lawyers have media to play; then `locust --headless` (benchmarks/load/
locustfile.py) for the run time, letting users finish their current upload (--stop-timeout);
then the job queue is drained, `flask custody verify` is run, and every acknowledged upload is
looked up and its blob decrypted and hashed. Prints a table; exits 1 on any error, lost upload
or broken ledger. The stack is torn down whatever happens (benchmarks/load/stack.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.load.stack import Stack, StackBuilder, StackSettings  # noqa: E402

MB = 1000 * 1000
SEED_UPLOADS = (("video", 3), ("photo", 2), ("document", 2))  # (kind, MB)


@dataclass
class LoadSettings:
    field_users: int = 50
    lawyers: int = 20
    run_time_s: int = 180
    spawn_rate: float = 2.0
    min_mb: int = 1
    max_mb: int = 20
    pace_min_s: float = 10.0
    pace_max_s: float = 30.0
    stop_timeout_s: int = 120
    drain_timeout_s: int = 600
    stack: StackSettings = field(default_factory=StackSettings)


@dataclass
class LoadResult:
    settings: LoadSettings
    requests: int = 0
    failures: int = 0
    failure_lines: list[str] = field(default_factory=list)
    per_name: list[dict] = field(default_factory=list)
    page_p95_ms: float = math.nan
    stream_ttfb_p95_ms: float = math.nan
    sign_in_p95_ms: float = math.nan
    upload_bytes: int = 0
    uploads: int = 0
    upload_wall_s: float = math.nan
    upload_mb_s_aggregate: float = math.nan
    upload_mb_s_median: float = math.nan
    upload_mb_s_p5: float = math.nan
    upload_seconds_p95: float = math.nan
    uploads_by_path: dict[str, int] = field(default_factory=dict)
    verification: dict = field(default_factory=dict)
    ledger_exit: int | None = None
    ledger_output: str = ""
    jobs: dict = field(default_factory=dict)
    drain_s: float = math.nan
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0-100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


# --- Steps -----------------------------------------------------------------------------------


def prepare(builder: StackBuilder, settings: LoadSettings) -> Path:
    """Keys, schema and accounts; returns the accounts file."""
    stack = builder.build()
    for args in (("keys", "init"), ("db", "upgrade")):
        done = stack.flask(*args)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    accounts = stack.workdir / "accounts.json"
    stack.python(
        "benchmarks.load.world",
        "create",
        str(accounts),
        str(settings.field_users),
        str(settings.lawyers),
    )
    from benchmarks.load.payloads import make_bases

    make_bases(stack.workdir / "bases")
    builder.start_servers()
    return accounts


def seed(stack: Stack, accounts: dict, acks: Path) -> None:
    """A few uploads through the web form before the run, so lawyers have media from the start."""
    import random
    import re

    import requests

    from benchmarks.load.payloads import PayloadMaker

    person = accounts["field"][0]
    maker = PayloadMaker(stack.workdir / "bases", random.Random())
    web = requests.Session()
    token_re = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    login = token_re.search(web.get(f"{stack.base_url}/auth/login", timeout=60).text).group(1)
    form = {"email": person["email"], "password": person["password"], "csrf_token": login}
    web.post(f"{stack.base_url}/auth/login", data=form, timeout=60, allow_redirects=False)
    page = f"{stack.base_url}/investigations/{accounts['reference']}/evidence/upload"
    token = token_re.search(web.get(page, timeout=60).text).group(1)
    for kind, size_mb in SEED_UPLOADS:
        payload = maker.make(kind, size_mb * MB)
        start = time.perf_counter()
        reply = web.post(
            page,
            data={"csrf_token": token},
            files={"files": (payload.filename, payload.data, payload.media_type)},
            timeout=120,
            allow_redirects=False,
        )
        if reply.status_code != 303:
            raise RuntimeError(f"seed upload answered {reply.status_code}: {reply.text[:300]}")
        record = {
            "path": "seed",
            "id": None,
            "user": person["email"],
            "sha256": hashlib.sha256(payload.data).hexdigest(),
            "size": len(payload.data),
            "seconds": time.perf_counter() - start,
        }
        with open(acks, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def run_locust(stack: Stack, settings: LoadSettings, accounts_path: Path, tag: str = "") -> float:
    """locust --headless for the run time (CSV files kept in the work folder); the wall time.

    `tag` names this run's samples and logs, so that several runs can share one stack."""
    workdir = stack.workdir
    suffix = f"-{tag}" if tag else ""
    config = {
        **json.loads(accounts_path.read_text()),
        "field_users": settings.field_users,
        "lawyers": settings.lawyers,
        "min_mb": settings.min_mb,
        "max_mb": settings.max_mb,
        "pace_min_s": settings.pace_min_s,
        "pace_max_s": settings.pace_max_s,
        "bases_dir": str(workdir / "bases"),
        "acks_path": str(workdir / "acks.jsonl"),
        "samples_path": str(workdir / f"samples{suffix}.json"),
    }
    config_path = workdir / f"locust-config{suffix}.json"
    config_path.write_text(json.dumps(config))
    prefix = workdir / f"locust{suffix}"
    users = settings.field_users + settings.lawyers
    argv = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks/load/locustfile.py")]
    argv += ["--headless", "-u", str(users), "-r", str(settings.spawn_rate)]
    argv += [
        "--run-time",
        f"{settings.run_time_s}s",
        "--stop-timeout",
        str(settings.stop_timeout_s),
    ]
    argv += ["--only-summary", "--csv", str(prefix), "--host", stack.base_url]
    argv += ["--exit-code-on-error", "0", "--loglevel", "WARNING"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTOS_LOAD_CONFIG": str(config_path)}
    start = time.monotonic()
    log_path = workdir / f"locust{suffix}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            process.wait(timeout=settings.run_time_s + settings.stop_timeout_s + 120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError("locust did not stop by itself") from None
    wall = time.monotonic() - start
    if process.returncode != 0:
        tail = log_path.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"locust exited with {process.returncode}:\n{tail}")
    return wall


def drain_jobs(stack: Stack, timeout_s: int) -> tuple[dict, float]:
    """Wait until the worker has run every queued job (media processing of the uploads)."""
    start = time.monotonic()
    while True:
        jobs = json.loads(stack.python("benchmarks.load.world", "jobs"))
        states = jobs["states"]
        if not states.get("queued") and not states.get("running"):
            return jobs, time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            return jobs, math.nan
        time.sleep(5)


def summarise(stack: Stack, result: LoadResult, wall_s: float) -> None:
    recorded = json.loads((stack.workdir / "samples.json").read_text())
    samples = recorded["samples"]
    result.requests = recorded["total"]["requests"]
    result.failures = recorded["total"]["failures"]
    result.per_name = recorded["names"]
    result.failure_lines = recorded["errors"]
    signing_in = [ms for name, got in samples.items() if name.startswith("sign in") for ms in got]
    result.sign_in_p95_ms = percentile(signing_in, 95)
    pages = [ms for name, values in samples.items() if name.startswith("page: ") for ms in values]
    streams = [
        ms for name, values in samples.items() if name.startswith("stream: ") for ms in values
    ]
    result.page_p95_ms = percentile(pages, 95)
    result.stream_ttfb_p95_ms = percentile(streams, 95)
    acks_path = stack.workdir / "acks.jsonl"
    acks = [json.loads(line) for line in acks_path.read_text().splitlines() if line.strip()]
    during = [ack for ack in acks if ack["path"] != "seed"]
    result.uploads = len(during)
    result.upload_bytes = sum(ack["size"] for ack in during)
    result.upload_wall_s = wall_s
    for ack in during:
        result.uploads_by_path[ack["path"]] = result.uploads_by_path.get(ack["path"], 0) + 1
    if during:
        rates = [ack["size"] / MB / ack["seconds"] for ack in during]
        result.upload_mb_s_aggregate = result.upload_bytes / MB / wall_s
        result.upload_mb_s_median = statistics.median(rates)
        result.upload_mb_s_p5 = percentile(rates, 5)
        result.upload_seconds_p95 = percentile([ack["seconds"] for ack in during], 95)


def judge(result: LoadResult) -> None:
    if result.failures:
        result.problems.append(f"{result.failures} failed requests")
    if result.uploads == 0:
        result.problems.append("no upload was acknowledged")
    check = result.verification
    if check.get("problems") or check.get("verified") != check.get("acknowledged"):
        result.problems.append(
            f"{check.get('acknowledged', 0) - check.get('verified', 0)} acknowledged uploads "
            "not found intact"
        )
    if result.ledger_exit != 0:
        result.problems.append(f"custody verify exited {result.ledger_exit}")
    states = result.jobs.get("states", {})
    if states.get("failed"):
        result.problems.append(f"{states['failed']} background jobs failed")
    if math.isnan(result.drain_s):
        result.problems.append("the job queue did not drain in time")


def run(settings: LoadSettings) -> LoadResult:
    """The whole load test; the stack is torn down before this returns or raises."""
    result = LoadResult(settings, load_before=os.getloadavg())
    builder = StackBuilder(settings.stack)
    try:
        accounts_path = prepare(builder, settings)
        stack = builder.stack
        seed(stack, json.loads(accounts_path.read_text()), stack.workdir / "acks.jsonl")
        wall = run_locust(stack, settings, accounts_path)
        result.load_after = os.getloadavg()
        summarise(stack, result, wall)
        result.jobs, result.drain_s = drain_jobs(stack, settings.drain_timeout_s)
        ledger = stack.flask("custody", "verify")
        result.ledger_exit = ledger.returncode
        result.ledger_output = (ledger.stdout + ledger.stderr).strip()
        out = stack.workdir / "verification.json"
        stack.python("benchmarks.load.world", "verify", str(stack.workdir / "acks.jsonl"), str(out))
        result.verification = json.loads(out.read_text())
        judge(result)
        return result
    finally:
        builder.close()


# --- Report ----------------------------------------------------------------------------------


def table(result: LoadResult) -> str:
    s = result.settings
    check = result.verification
    states = result.jobs.get("states", {})
    lines = [
        f"load test: {s.field_users} field users + {s.lawyers} lawyers, {s.run_time_s} s, "
        f"files {s.min_mb}-{s.max_mb} MB, field pause {s.pace_min_s:g}-{s.pace_max_s:g} s; "
        f"gunicorn {s.stack.web_workers} gthread workers x {s.stack.web_threads} threads, "
        f"PostgreSQL, S3 (moto), RQ workers x {s.stack.job_workers}",
        f"machine: {os.cpu_count()} cores; load average before "
        f"{result.load_before[0]:.2f}, at the end {result.load_after[0]:.2f}",
        "",
        f"{'request':44} {'count':>7} {'fail':>5} {'median ms':>10} {'p95 ms':>9}",
    ]
    for entry in sorted(result.per_name, key=lambda e: e["name"]):
        lines.append(
            f"{entry['name'][:44]:44} {entry['requests']:7d} {entry['failures']:5d} "
            f"{entry['median_ms'] or 0:10.0f} {entry['p95_ms'] or 0:9.0f}"
        )
    lines += [
        f"{'all requests':44} {result.requests:7d} {result.failures:5d}",
        "",
        f"p95 page latency (pages browsed, signed in)    {result.page_p95_ms:10.0f} ms",
        f"p95 stream time to first byte (Range 1 MiB)    {result.stream_ttfb_p95_ms:10.0f} ms",
        f"p95 of sign-in requests (argon2id, at ramp-up) {result.sign_in_p95_ms:10.0f} ms",
        f"uploads acknowledged during the run            {result.uploads:10d} "
        + " ".join(f"{k}={v}" for k, v in sorted(result.uploads_by_path.items())),
        f"uploaded                                       {result.upload_bytes / MB:10.1f} MB",
        f"upload throughput, aggregate                   {result.upload_mb_s_aggregate:10.2f} MB/s",
        f"upload throughput per request, median          {result.upload_mb_s_median:10.2f} MB/s",
        f"upload throughput per request, p5 (slowest)    {result.upload_mb_s_p5:10.2f} MB/s",
        f"upload duration per request, p95               {result.upload_seconds_p95:10.1f} s",
        "",
        f"acknowledged uploads verified (row + blob hash) {check.get('verified', 0)}/"
        f"{check.get('acknowledged', 0)}; rows stored but not acknowledged "
        f"{check.get('rows_not_acknowledged', '?')}; unfinished multipart uploads in S3 "
        f"{check.get('incomplete_blobs', '?')}",
        f"background jobs: {json.dumps(states, sort_keys=True)}; queue drained in "
        f"{result.drain_s:.0f} s after the run",
        f"custody verify: exit {result.ledger_exit}",
        "",
        "verdict: " + ("PASS" if result.ok else "FAIL: " + "; ".join(result.problems)),
    ]
    for line in result.failure_lines[:20]:
        lines.append(f"  failure: {line}")
    for line in check.get("problems", [])[:20]:
        lines.append(f"  lost: {line}")
    for line in result.jobs.get("failed_messages", []):
        lines.append(f"  job failed: {line}")
    if result.ledger_exit:
        lines.append(f"  ledger: {result.ledger_output[-2000:]}")
    return "\n".join(lines)


def parse(argv: list[str]) -> LoadSettings:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    defaults = LoadSettings()
    parser.add_argument("--field", type=int, default=defaults.field_users)
    parser.add_argument("--lawyers", type=int, default=defaults.lawyers)
    parser.add_argument("--run-time", type=int, default=defaults.run_time_s, help="seconds")
    parser.add_argument("--spawn-rate", type=float, default=defaults.spawn_rate)
    parser.add_argument("--min-mb", type=int, default=defaults.min_mb)
    parser.add_argument("--max-mb", type=int, default=defaults.max_mb)
    parser.add_argument("--pace-min", type=float, default=defaults.pace_min_s)
    parser.add_argument("--pace-max", type=float, default=defaults.pace_max_s)
    parser.add_argument("--web-port", type=int, default=defaults.stack.web_port)
    parser.add_argument("--s3-port", type=int, default=defaults.stack.s3_port)
    parser.add_argument("--workers", type=int, default=defaults.stack.web_workers)
    parser.add_argument("--threads", type=int, default=defaults.stack.web_threads)
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("CUSTOS_LOAD_PG_URL", defaults.stack.pg_admin_url),
        help="a PostgreSQL URL allowed to CREATE DATABASE (env CUSTOS_LOAD_PG_URL)",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("CUSTOS_LOAD_REDIS_URL", defaults.stack.redis_url)
    )
    args = parser.parse_args(argv)
    return LoadSettings(
        field_users=args.field,
        lawyers=args.lawyers,
        run_time_s=args.run_time,
        spawn_rate=args.spawn_rate,
        min_mb=args.min_mb,
        max_mb=args.max_mb,
        pace_min_s=args.pace_min,
        pace_max_s=args.pace_max,
        stack=StackSettings(
            web_port=args.web_port,
            s3_port=args.s3_port,
            web_workers=args.workers,
            web_threads=args.threads,
            pg_admin_url=args.pg_admin_url,
            redis_url=args.redis_url,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse(sys.argv[1:] if argv is None else argv)
    result = run(settings)
    print(table(result), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
