"""Server time of every page with the demo loaded: sign in as each demo role and walk them all.

Issue 7, item 3: "No page takes more than 300 ms server time with the demo data loaded."

A throwaway instance (temporary folder, keys, migrations, `flask demo load`) is served by
gunicorn on loopback (sync workers, as in production), with CUSTOS_SERVER_TIMING=1 so every
answer carries `Server-Timing: app;dur=MS`: the time from the app's first before_request hook
to its last after_request hook, which is what the figures below are. Wall time on loopback is
printed beside it (gunicorn's sync workers close the connection after each answer, so it also
holds a TCP connect on loopback, about 0.1 ms).

Each demo role signs in (admin, lawyer and field researcher; lawyers and the admin with their
TOTP code) and walks every GET page it can reach once, cold: a crawl of the links on its pages
from /, then every GET route of the URL map the crawl did not reach, its parameters filled with
values the crawl saw (investigation reference, incident, witness, interview, evidence, case
file, item ids...). Answers that are not HTML (downloads, streams, map data, QR codes) are
timed apart, to the first byte. /api/ (tokens only) and /static/ are not pages; /healthz and a
static stylesheet are the baseline, measured in the same run.

    python -m benchmarks.bench_pages [--workers 1] [--database-url URL] [--all-accounts]

With --database-url (env BENCH_PAGES_DATABASE_URL), e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test, a throwaway database is created on that
PostgreSQL server for the run and dropped after it; SQLite otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_vault import free_port  # noqa: E402 (after the path is set)
from benchmarks.budgets import record  # noqa: E402

BUDGET_MS = 300.0
SLOWEST = 10
BASELINE_REPEATS = 20
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
# Not pages: the token API, static files and probes (the latter two are the baseline).
SKIP_ENDPOINTS = ("static", "health.healthz", "health.readyz", "auth.second_factor")
SKIP_PREFIXES = ("api.",)
BASELINE_STATIC = "/static/css/custos.css"
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
SERVER_CPU = re.compile(r"cpu;dur=([0-9.]+)")


class Gunicorn:
    """`gunicorn -k sync -w N wsgi:app` on a free loopback port, as production runs it."""

    def __init__(self, env: dict[str, str], log: Path, workers: int, warm: bool = True) -> None:
        self.port = free_port()
        self._log = open(log, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "sync", "-w", str(workers)]
            + ["--timeout", "120", "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT)]
            + ([] if warm else ["--config", os.devnull])
            + ["wsgi:app"],
            cwd=ROOT,  # gunicorn reads ./gunicorn.conf.py (each worker warms up first)
            env=env,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    content_type: str
    location: str
    body: bytes
    wall_ms: float
    first_byte_ms: float
    server_ms: float | None
    cpu_ms: float | None


class Client:
    """One browser-like session: a cookie jar over http.client (reconnecting when told to)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> Reply:
        headers = {"Accept": "text/html,*/*", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        first = response.read(1)
        first_byte = time.perf_counter() - start
        rest = response.read()
        wall = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        timing = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        cpu = SERVER_CPU.search(response.headers.get("Server-Timing", ""))
        return Reply(
            response.status,
            response.headers.get("Content-Type", ""),
            response.headers.get("Location", ""),
            first + rest,
            wall * 1e3,
            first_byte * 1e3,
            float(timing.group(1)) if timing else None,
            float(cpu.group(1)) if cpu else None,
        )

    def csrf_token(self, path: str) -> str:
        html = self.request("GET", path).body.decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        token = self.csrf_token(path)
        return self.request("POST", path, urlencode({**fields, "csrf_token": token}))

    def sign_in(self, account: Account) -> None:
        reply = self.post_form(
            "/auth/login", {"email": account.email, "password": account.password}
        )
        if reply.status == 302 and "/auth/2fa" in reply.location:
            import pyotp

            path = urlsplit(reply.location).path
            reply = self.post_form(path, {"code": pyotp.TOTP(account.totp_secret).now()})
        if reply.status != 302 or "/auth/" in reply.location:
            raise RuntimeError(f"{account.role} {account.email} could not sign in ({reply.status})")


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def links_of(page_path: str, html: str) -> list[str]:
    """Local paths linked from a page, without query or fragment."""
    parser = LinkParser()
    parser.feed(html)
    found = []
    for href in parser.links:
        parts = urlsplit(urljoin(page_path, href))
        if parts.scheme in ("", "http") and parts.netloc in ("", "127.0.0.1", "localhost"):
            if parts.path.startswith("/"):
                found.append(parts.path)
    return found


# --- The instance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    password: str
    totp_secret: str


class Instance:
    """A throwaway Custos instance with the demo loaded; SQLite, or a throwaway PG database."""

    def __init__(self, work: Path, server_url: str | None) -> None:
        self.work = work
        self.folder = work / "instance"
        self.server_url = server_url
        self.database = f"custos_bench_pages_{secrets.token_hex(4)}" if server_url else None
        self.env = {
            **os.environ,
            "CUSTOS_ENV": "development",
            "CUSTOS_INSTANCE_PATH": str(self.folder),
            "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
            "CUSTOS_SERVER_TIMING": "1",
            "CUSTOS_LOG_LEVEL": "WARNING",
        }
        for name in ("DATABASE_URL", "CUSTOS_MASTER_KEY", "CUSTOS_INTAKE_ONLY", "SECRET_KEY"):
            self.env.pop(name, None)
        for name in ("CUSTOS_BLOB_BACKEND", "CUSTOS_KEYS_DIR", "CUSTOS_BLOB_DIR"):
            self.env.pop(name, None)
        if server_url:
            self._admin_sql(f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = _with_database(server_url, self.database)

    @property
    def backend(self) -> str:
        return "PostgreSQL" if self.server_url else "SQLite"

    def load_demo(self) -> tuple[list[Account], float]:
        self.folder.mkdir(parents=True)
        started = time.perf_counter()
        self._flask("keys", "init", "--if-missing")
        self._flask("db", "upgrade")
        output = self._flask("demo", "load")
        seconds = time.perf_counter() - started
        accounts = []
        for line in output.splitlines():
            fields = line.split("\t")
            if len(fields) == 4 and "@" in fields[0]:
                accounts.append(Account(*fields))
        if not accounts:
            raise RuntimeError("`flask demo load` printed no accounts")
        return accounts, seconds

    def _flask(self, *args: str) -> str:
        done = subprocess.run(
            FLASK + list(args), cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def url_map(self):
        """The app's URL map, built in this process against the same instance."""
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)
        try:
            from app import create_app

            app = create_app()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return app.url_map

    def drop(self) -> None:
        if self.server_url:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _admin_sql(self, statement: str) -> None:
        import psycopg

        url = self.server_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{database}", query="").geturl()


# --- The walk ---------------------------------------------------------------------------------


@dataclass
class Visit:
    role: str
    path: str
    endpoint: str
    status: int
    html: bool
    server_ms: float | None
    cpu_ms: float | None
    wall_ms: float
    first_byte_ms: float
    found_by: str
    again_ms: float | None = None
    again_cpu_ms: float | None = None

    @property
    def ms(self) -> float:
        return self.server_ms if self.server_ms is not None else self.wall_ms


@dataclass
class Walk:
    account: Account
    visits: list[Visit] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)


def walk(port: int, account: Account, url_map) -> Walk:
    client = Client(port)
    client.sign_in(account)
    adapter = url_map.bind("127.0.0.1")
    result = Walk(account)
    seen: set[str] = set()
    values: dict[str, list[str]] = {}
    reached_rules: set[str] = set()

    def visit(path: str, found_by: str) -> str | None:
        seen.add(path)
        try:
            endpoint, args = adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 (not a route of the app: a 404 link, or a redirect)
            return None
        if endpoint in SKIP_ENDPOINTS or endpoint.startswith(SKIP_PREFIXES):
            return None
        rule = adapter.map._rules_by_endpoint[endpoint][0].rule
        reached_rules.add(rule)
        for name, value in args.items():
            values.setdefault(name, [])
            if str(value) not in values[name]:
                values[name].append(str(value))
        reply = client.request("GET", path)
        html = reply.content_type.startswith("text/html")
        result.visits.append(
            Visit(
                account.role,
                path,
                endpoint,
                reply.status,
                html,
                reply.server_ms,
                reply.cpu_ms,
                reply.wall_ms,
                reply.first_byte_ms,
                found_by,
            )
        )
        return reply.body.decode("utf-8", "replace") if html and reply.status == 200 else None

    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        html = visit(path, "link")
        if html:
            queue.extend(link for link in links_of(path, html) if link not in seen)

    for rule in url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule in reached_rules:
            continue
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.startswith(SKIP_PREFIXES):
            continue
        path = rule.rule
        for name in rule.arguments:
            if values.get(name):
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", values[name][0], path)
        if "<" in path:
            result.unreached.append(f"{rule.endpoint} (no value for {path})")
            continue
        if path not in seen:
            visit(path, "url map")

    # The same pages again, warm: what every later visitor of a running worker waits.
    for v in result.visits:
        if v.html and v.status == 200:
            reply = client.request("GET", v.path)
            v.again_ms = reply.server_ms if reply.server_ms is not None else reply.wall_ms
            v.again_cpu_ms = reply.cpu_ms
    return result


def baseline(port: int) -> list[tuple[str, float, float]]:
    client = Client(port)
    rows = []
    for path in ("/healthz", BASELINE_STATIC):
        replies = [client.request("GET", path) for _ in range(BASELINE_REPEATS)]
        rows.append(
            (
                f"GET {path} (median of {BASELINE_REPEATS})",
                statistics.median(r.server_ms or 0.0 for r in replies),
                statistics.median(r.wall_ms for r in replies),
            )
        )
    return rows


# --- Report -----------------------------------------------------------------------------------


def print_report(
    walks: list[Walk], base: list[tuple[str, float, float]], setup: str, verbose: bool
) -> bool:
    visits = [v for w in walks for v in w.visits]
    pages = [v for v in visits if v.html and v.status == 200]
    others = [v for v in visits if not (v.html and v.status == 200)]
    timed = "Server-Timing app;dur" if all(v.server_ms is not None for v in pages) else "wall"
    print(setup)
    print()
    print(f"{'baseline':<58} {'server ms':>9} {'wall ms':>8}")
    for name, server, wall in base:
        print(f"{name:<58} {server:>9.1f} {wall:>8.1f}")
    print()
    print(f"slowest {SLOWEST} pages, first hit ({timed}; cpu: the request thread's CPU time)")
    print(
        f"{'role':<7} {'page (route endpoint)':<36} {'server ms':>9} {'cpu ms':>7} "
        f"{'wall ms':>8} {'again ms':>9} {'again cpu':>9}"
    )
    for v in sorted(pages, key=lambda v: v.ms, reverse=True)[:SLOWEST]:
        print(
            f"{v.role:<7} {v.endpoint:<36} {v.ms:>9.1f} {_ms(v.cpu_ms):>7} {v.wall_ms:>8.1f} "
            f"{_ms(v.again_ms):>9} {_ms(v.again_cpu_ms):>9}"
        )
    print()
    by_role = ", ".join(
        f"{w.account.role} {sum(1 for v in w.visits if v.html and v.status == 200)}" for w in walks
    )
    print(f"pages walked: {len(pages)} ({by_role}); {len({v.endpoint for v in pages})} routes")
    if pages:
        for label, values in (
            ("first hit", sorted(v.ms for v in pages)),
            ("again", sorted(v.again_ms for v in pages if v.again_ms is not None)),
            ("cpu first", sorted(v.cpu_ms for v in pages if v.cpu_ms is not None)),
            ("cpu again", sorted(v.again_cpu_ms for v in pages if v.again_cpu_ms is not None)),
        ):
            if values:
                print(
                    f"server ms, {label:<9}: median {statistics.median(values):6.1f}   "
                    f"p90 {values[int(len(values) * 0.9) - 1]:6.1f}   max {values[-1]:6.1f}"
                )
    warm = [v for v in pages if v.again_ms is not None]
    if warm:
        slow = max(warm, key=lambda v: v.again_ms)
        print(f"slowest again: {slow.role} {slow.endpoint} {slow.again_ms:.1f} ms")
    downloads = [v for v in others if v.status == 200]
    if downloads:
        slow = max(downloads, key=lambda v: v.first_byte_ms)
        print(
            f"not HTML (downloads, streams, JSON, SVG): {len(downloads)}; slowest to first byte "
            f"{slow.first_byte_ms:.1f} ms ({slow.role} {slow.endpoint})"
        )
    redirects = [v for v in others if 300 <= v.status < 400]
    refused = [v for v in others if 400 <= v.status < 500]
    errors = [v for v in others if v.status >= 500]
    unreached = sum(len(w.unreached) for w in walks)
    print(
        f"redirects: {len(redirects)}; refused to the role (4xx, expected): {len(refused)}; "
        f"routes no value was found for: {unreached} (--verbose lists them)"
    )
    if verbose:
        for v in refused:
            print(f"  {v.status} {v.role} {v.endpoint} ({v.found_by})")
        for w in walks:
            for name in w.unreached:
                print(f"  not walked by {w.account.role}: {name}")
    for v in errors:
        print(f"  SERVER ERROR {v.status} {v.role} {v.endpoint} {v.path}")
    within = bool(pages) and not errors and all(v.ms <= BUDGET_MS for v in pages)
    worst_ms = max((v.ms for v in pages), default=0.0)
    record(
        "pages",
        f"every page <= {BUDGET_MS:.0f} ms server time, no error",
        f"max {worst_ms:.1f} ms, {len(errors)} errors",
        within,
    )
    print()
    print(
        f"budget: every page <= {BUDGET_MS:.0f} ms server time   {'within' if within else 'OVER'}"
    )
    return within


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def pick_accounts(accounts: list[Account], every: bool) -> list[Account]:
    if every:
        return accounts
    chosen: dict[str, Account] = {}
    for account in accounts:
        chosen.setdefault(account.role, account)
    return list(chosen.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PAGES_DATABASE_URL") or None,
        help="a PostgreSQL server to create a throwaway database on (default: SQLite)",
    )
    parser.add_argument(
        "--all-accounts",
        action="store_true",
        help="walk as every demo account, not one per role",
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="start gunicorn without ./gunicorn.conf.py: workers serve cold (for comparison)",
    )
    parser.add_argument("--verbose", action="store_true", help="list refused and unreached routes")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="custos-bench-pages-"))
    instance = Instance(work, args.database_url)
    server = None
    try:
        accounts, load_seconds = instance.load_demo()
        setup = (
            f"{instance.backend}, demo loaded in {load_seconds:.1f} s; gunicorn {args.workers} "
            f"sync worker(s) on loopback{', not warmed up' if args.no_warm_up else ''}; "
            "each page once (first hit), then once again"
        )
        load_before = os.getloadavg()[0]
        url_map = instance.url_map()
        server = Gunicorn(
            instance.env, work / "gunicorn.log", args.workers, warm=not args.no_warm_up
        )
        base = baseline(server.port)
        walks = [walk(server.port, a, url_map) for a in pick_accounts(accounts, args.all_accounts)]
        setup += (
            f"\nload average (1 min) {load_before:.1f} before the walk, "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs"
        )
    finally:
        if server:
            server.stop()
        instance.drop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if print_report(walks, base, setup, args.verbose) else 1


if __name__ == "__main__":
    sys.exit(main())
