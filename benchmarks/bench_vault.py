"""Evidence intake and read-back over loopback to gunicorn, against a plain Flask upload.

Same run, same machine (issue 3, "Benchmark"):
- upload one file of SIZE to (a) the baseline app (`FileStorage.save`, benchmarks/
  baseline_upload_app.py), (b) Custos multipart intake, (c) Custos resumable intake (tus,
  one PATCH with the raw body): throughput and the gunicorn worker's peak RSS (VmHWM, reset
  through /proc/<pid>/clear_refs before each upload);
- read the file back from Custos (the /stream URL), and time to first byte of a 1 MiB Range
  read at offset 0 and at offset 900 MiB (scaled to 900/1024 of SIZE for smaller files).

Beside the plain Flask baseline, the physical bounds of the same bytes on the same machine
(benchmarks/physical_bounds.py: disk write + fsync, SHA-256 + ChaCha20-Poly1305 on one core,
loopback HTTP to a server that discards): each intake path is reported as a fraction of the
lowest bound, the speed it cannot beat (issue 24).

The file is random bytes behind a 9-byte `%PDF-1.7` header: random data is refused by the
type allow-list, and a PDF needs no media processing, so the figures are intake alone.

    python -m benchmarks.bench_vault [--sizes 1024,4096]     (MiB; env BENCH_VAULT_SIZES_MIB)
"""

from __future__ import annotations

import argparse
import base64
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
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

from benchmarks.budgets import record
from benchmarks.physical_bounds import Bound, crypto_bound, disk_write_bound, lowest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
DEFAULT_SIZES_MIB = "1024"
READ_BLOCK = MIB
RANGE_LENGTH = MIB
RANGE_REPEATS = 5
PASSWORD = "benchmark password, not a secret"  # noqa: S105 (throwaway instance)
EMAIL = "bench@example.org"
# Budgets (issue 24): each intake path against the lowest physical bound and the plain Flask
# baseline, both measured in the same run; RSS in MB (10^6).
BUDGET_BOUND_FRACTION = 0.85
BUDGET_BASELINE_RATIO = 1.2
BUDGET_RSS_MB = 120
BUDGET_FAR_RANGE_RATIO = 2.0


# --- Servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One sync worker on loopback; its worker's peak RSS read from /proc."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self._log = open(log, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync", "--timeout", "1800"]
            + ["-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), module],
            env=env,
            stdout=self._log,
            stderr=self._log,
        )
        self.worker = self._wait_for_worker()

    def _wait_for_worker(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self._log.name}")
            children = _children(self.process.pid)
            if children:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return children[0]
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start within 60 s")

    def reset_peak_rss(self) -> int:
        """Reset VmHWM to the current RSS (Linux >= 4.0) and return that idle RSS."""
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")
        return self._status_bytes("VmRSS:")

    def peak_rss_bytes(self) -> int:
        return self._status_bytes("VmHWM:")

    def cpu_seconds(self) -> float:
        """User + system CPU of the worker so far, all its threads (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.worker}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _status_bytes(self, field: str) -> int:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field} in /proc status")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if path.exists():
        return [int(p) for p in path.read_text().split()]
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# --- A tiny HTTP client with a cookie jar -----------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float
    first_byte_seconds: float


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None, keep_body=True) -> Reply:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1800)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        first = response.read(1)
        first_byte = time.perf_counter() - start
        chunks = [first] if keep_body else []
        while block := response.read(READ_BLOCK):
            if keep_body:
                chunks.append(block)
        seconds = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        conn.close()
        return Reply(response.status, response.headers, b"".join(chunks), seconds, first_byte)

    def csrf_token(self, path: str) -> str:
        html = self.request("GET", path).body.decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/auth/login")
        from urllib.parse import urlencode

        body = urlencode({"email": email, "password": password, "csrf_token": token})
        reply = self.request(
            "POST",
            "/auth/login",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if reply.status != 302:
            raise RuntimeError(f"sign-in failed with {reply.status}")


def file_chunks(path: Path, prefix: bytes = b"", suffix: bytes = b"") -> Iterator[bytes]:
    yield prefix
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            yield block
    yield suffix


def multipart_parts(token: str | None, filename: str) -> tuple[bytes, bytes, str]:
    boundary = "----custos-bench-" + secrets.token_hex(12)
    head = ""
    if token:
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        head += f"{token}\r\n"
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
    head += f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    tail = f"\r\n--{boundary}--\r\n"
    return head.encode(), tail.encode(), f"multipart/form-data; boundary={boundary}"


# --- The Custos instance under test -----------------------------------------------------------


def prepare_instance(instance: Path) -> tuple[dict[str, str], str]:
    """A fresh SQLite instance with keys, one field user and one investigation."""
    env = {
        **os.environ,
        "CUSTOS_ENV": "development",
        "CUSTOS_INSTANCE_PATH": str(instance),
        "CUSTOS_MAX_UPLOAD_BYTES": str(64 * 1024**3),
        "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    for name in ("DATABASE_URL", "CUSTOS_MASTER_KEY", "CUSTOS_INTAKE_ONLY", "CUSTOS_BLOB_BACKEND"):
        env.pop(name, None)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        _create_world(instance)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env, "BENCH-VAULT"


def _create_world(instance: Path) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import User
    from app.extensions import db
    from app.investigations.models import Investigation, Membership
    from app.security import org_keys
    from app.security.master_key import generate_master_key_file
    from app.security.passwords import hash_password

    instance.mkdir(parents=True)
    generate_master_key_file(instance / "master.key")
    app = create_app()
    with app.app_context():
        upgrade()
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
        user = User(email=EMAIL, name="Bench", role="field", password_hash=hash_password(PASSWORD))
        investigation = Investigation(reference="BENCH-VAULT", title="Benchmark", description="")
        db.session.add_all([user, investigation])
        db.session.flush()
        db.session.add(Membership(investigation_id=investigation.id, user_id=user.id, role="field"))
        db.session.commit()
        db.engine.dispose()


def newest_evidence_id(instance: Path) -> str:
    import sqlite3

    with sqlite3.connect(instance / "custos.db") as db:
        row = db.execute(
            "SELECT id FROM evidence_items ORDER BY received_at DESC LIMIT 1"
        ).fetchone()
    return row[0]


# --- Scenarios ------------------------------------------------------------------------------


@dataclass
class Upload:
    name: str
    size: int
    seconds: float
    peak_rss: int
    idle_rss: int
    cpu: float = 0.0  # the worker's CPU seconds for the upload: steadier than wall time when busy

    @property
    def mib_per_s(self) -> float:
        return self.size / MIB / self.seconds


def upload_baseline(server: Gunicorn, source: Path, size: int) -> Upload:
    head, tail, content_type = multipart_parts(None, "bench.pdf")
    idle = server.reset_peak_rss()
    cpu = server.cpu_seconds()
    reply = Client(server.port).request(
        "POST",
        "/upload",
        body=file_chunks(source, head, tail),
        headers={"Content-Type": content_type, "Content-Length": str(len(head) + size + len(tail))},
    )
    if reply.status != 200:
        raise RuntimeError(f"baseline upload answered {reply.status}")
    peak = server.peak_rss_bytes()
    cpu = server.cpu_seconds() - cpu
    return Upload("baseline: Flask FileStorage.save", size, reply.seconds, peak, idle, cpu)


def upload_multipart(server: Gunicorn, client: Client, ref: str, source: Path, size: int) -> Upload:
    page = f"/investigations/{ref}/evidence/upload"
    head, tail, content_type = multipart_parts(client.csrf_token(page), "bench.pdf")
    idle = server.reset_peak_rss()
    cpu = server.cpu_seconds()
    reply = client.request(
        "POST",
        page,
        body=file_chunks(source, head, tail),
        headers={"Content-Type": content_type, "Content-Length": str(len(head) + size + len(tail))},
    )
    if reply.status != 303:
        raise RuntimeError(f"Custos multipart upload answered {reply.status}")
    cpu = server.cpu_seconds() - cpu
    peak = server.peak_rss_bytes()
    return Upload("Custos multipart intake", size, reply.seconds, peak, idle, cpu)


def upload_resumable(
    server: Gunicorn, client: Client, ref: str, source: Path, size: int
) -> tuple[Upload, str]:
    token = client.csrf_token(f"/investigations/{ref}/evidence/upload")
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token}
    filename = base64.b64encode(b"bench.pdf").decode()
    idle = server.reset_peak_rss()
    cpu = server.cpu_seconds()
    start = time.perf_counter()
    created = client.request(
        "POST",
        f"/investigations/{ref}/uploads",
        headers={**tus, "Upload-Length": str(size), "Upload-Metadata": f"filename {filename}"},
    )
    if created.status != 201:
        raise RuntimeError(f"tus create answered {created.status}: {created.body[:200]!r}")
    location = created.headers["Location"]
    path = location.split("://", 1)[-1].split("/", 1)[-1]
    reply = client.request(
        "PATCH",
        "/" + path.lstrip("/"),
        body=file_chunks(source),
        headers={
            **tus,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(size),
        },
    )
    seconds = time.perf_counter() - start
    if reply.status != 204:
        raise RuntimeError(f"tus PATCH answered {reply.status}: {reply.body[:200]!r}")
    evidence_id = reply.headers.get("Custos-Evidence-Id")
    peak = server.peak_rss_bytes()
    cpu = server.cpu_seconds() - cpu
    upload = Upload("Custos resumable intake (tus)", size, seconds, peak, idle, cpu)
    return upload, evidence_id


def loopback_bound(server: Gunicorn, source: Path, size: int) -> Bound:
    """The same bytes over loopback HTTP, the same client, to a server that discards them."""
    reply = Client(server.port).request(
        "POST",
        "/discard",
        body=file_chunks(source),
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
    )
    if reply.status != 200:
        raise RuntimeError(f"the discarding server answered {reply.status}")
    return Bound("loopback HTTP to a discarding server", size, reply.seconds)


@dataclass
class ReadBack:
    size: int
    full_seconds: float
    peak_rss: int
    near_ttfb: float
    far_ttfb: float
    near_total: float
    far_total: float
    far_offset: int


def read_back(server: Gunicorn, client: Client, ref: str, evidence_id: str, size: int) -> ReadBack:
    url = f"/investigations/{ref}/evidence/{evidence_id}/stream"
    server.reset_peak_rss()
    full = client.request("GET", url, keep_body=False)
    if full.status != 200:
        raise RuntimeError(f"read-back answered {full.status}")
    peak = server.peak_rss_bytes()
    far_offset = min(900 * MIB, size * 900 // 1024) // MIB * MIB
    near, far = [], []
    for _ in range(RANGE_REPEATS):
        for offset, results in ((0, near), (far_offset, far)):
            header = f"bytes={offset}-{offset + RANGE_LENGTH - 1}"
            reply = client.request("GET", url, headers={"Range": header})
            if reply.status != 206 or len(reply.body) != RANGE_LENGTH:
                raise RuntimeError(f"range read answered {reply.status}")
            results.append((reply.first_byte_seconds, reply.seconds))
    return ReadBack(
        size,
        full.seconds,
        peak,
        statistics.median(r[0] for r in near),
        statistics.median(r[0] for r in far),
        statistics.median(r[1] for r in near),
        statistics.median(r[1] for r in far),
        far_offset,
    )


def make_source(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        remaining = size - 9
        while remaining > 0:
            block = os.urandom(min(4 * MIB, remaining))
            handle.write(block)
            remaining -= len(block)
        handle.flush()
        os.fsync(handle.fileno())


def settled(measure, *args):
    """Run one measurement with nothing left for the disk to write back from the previous one.

    The source file just written (1 GiB dirty in the page cache) was otherwise written back
    while the disk bound ran, which then measured a disk shared with its own source: 201
    against 354 MiB/s in two runs on the same quiet machine (docs/performance.md).
    """
    os.sync()
    return measure(*args)


# --- Report ---------------------------------------------------------------------------------


@dataclass
class SizeResult:
    uploads: list[Upload]
    reading: ReadBack
    bounds: list[Bound]


def run_size(size: int, work: Path) -> SizeResult:
    source = work / f"source-{size}.pdf"
    make_source(source, size)
    instance = work / f"instance-{size}"
    env, ref = prepare_instance(instance)
    baseline_env = {**os.environ, "BENCH_BASELINE_UPLOAD_DIR": str(work / "baseline-uploads")}
    baseline = Gunicorn("benchmarks.baseline_upload_app:app", baseline_env, work / "baseline.log")
    custos = Gunicorn("wsgi:app", env, work / "custos.log")
    try:
        bounds = [
            settled(disk_write_bound, source, instance),
            settled(crypto_bound, source),
            settled(loopback_bound, baseline, source, size),
        ]
        uploads = [settled(upload_baseline, baseline, source, size)]
        shutil.rmtree(work / "baseline-uploads", ignore_errors=True)
        client = Client(custos.port)
        client.sign_in(EMAIL, PASSWORD)
        uploads.append(settled(upload_multipart, custos, client, ref, source, size))
        tus_upload, evidence_id = settled(upload_resumable, custos, client, ref, source, size)
        uploads.append(tus_upload)
        reading = read_back(custos, client, ref, evidence_id or newest_evidence_id(instance), size)
    finally:
        baseline.stop()
        custos.stop()
        source.unlink(missing_ok=True)
        shutil.rmtree(instance, ignore_errors=True)
    return SizeResult(uploads, reading, bounds)


def print_report(results: list[SizeResult]) -> bool:
    ok = True
    print(f"{'physical bound (same bytes, same run)':<42} {'size':>9} {'s':>7} {'MiB/s':>8}")
    for result in results:
        for bound in result.bounds:
            print(
                f"{bound.name:<42} {bound.size // MIB:>5} MiB {bound.seconds:>7.2f} "
                f"{bound.mib_per_s:>8.1f}"
            )
    print()
    print(
        f"{'upload (loopback, gunicorn 1 sync worker)':<42} {'size':>9} {'s':>7} "
        f"{'MiB/s':>8} {'x base':>7} {'x bound':>8} {'idle RSS MB':>12} {'peak RSS MB':>12} "
        f"{'CPU ms/MiB':>11}"
    )
    for result in results:
        base = result.uploads[0].mib_per_s
        bound = lowest(result.bounds).mib_per_s
        for upload in result.uploads:
            print(
                f"{upload.name:<42} {upload.size // MIB:>5} MiB {upload.seconds:>7.2f} "
                f"{upload.mib_per_s:>8.1f} {upload.mib_per_s / base:>7.2f} "
                f"{upload.mib_per_s / bound:>8.2f} "
                f"{upload.idle_rss / 1e6:>12.1f} {upload.peak_rss / 1e6:>12.1f} "
                f"{upload.cpu * 1e3 / (upload.size / MIB):>11.2f}"
            )
    print()
    print(f"{'read back from Custos':<42} {'size':>9} {'MiB/s':>8} {'peak RSS MB':>12}")
    for reading in (r.reading for r in results):
        print(
            f"{'GET /stream (whole file, 200)':<42} {reading.size // MIB:>5} MiB "
            f"{reading.size / MIB / reading.full_seconds:>8.1f} {reading.peak_rss / 1e6:>12.1f}"
        )
    print()
    print(
        f"{'Range read of 1 MiB (median of 5)':<42} {'offset':>10} {'TTFB ms':>8} {'total ms':>9}"
    )
    for r in (result.reading for result in results):
        print(f"{'near':<42} {0:>6} MiB {r.near_ttfb * 1e3:>8.1f} {r.near_total * 1e3:>9.1f}")
        print(
            f"{'far':<42} {r.far_offset // MIB:>6} MiB {r.far_ttfb * 1e3:>8.1f} "
            f"{r.far_total * 1e3:>9.1f}"
        )
    print()
    for result in results:
        uploads, reading = result.uploads, result.reading
        base, multipart, resumable = (u.mib_per_s for u in uploads)
        bound = lowest(result.bounds)
        size = f"{reading.size // MIB} MiB"
        peak = max([u.peak_rss for u in uploads[1:]] + [reading.peak_rss])
        checks = [
            (
                f"multipart >= {BUDGET_BOUND_FRACTION}x bound",
                f"{multipart / bound.mib_per_s:.2f}x of {bound.mib_per_s:.0f} MiB/s ({bound.name})",
                multipart / bound.mib_per_s >= BUDGET_BOUND_FRACTION,
            ),
            (
                f"resumable >= {BUDGET_BOUND_FRACTION}x bound",
                f"{resumable / bound.mib_per_s:.2f}x of {bound.mib_per_s:.0f} MiB/s ({bound.name})",
                resumable / bound.mib_per_s >= BUDGET_BOUND_FRACTION,
            ),
            (
                f"multipart >= {BUDGET_BASELINE_RATIO}x baseline",
                f"{multipart / base:.2f}x",
                multipart / base >= BUDGET_BASELINE_RATIO,
            ),
            (
                f"resumable >= {BUDGET_BASELINE_RATIO}x baseline",
                f"{resumable / base:.2f}x",
                resumable / base >= BUDGET_BASELINE_RATIO,
            ),
            (
                f"Custos peak RSS <= {BUDGET_RSS_MB} MB",
                f"{peak / 1e6:.1f} MB",
                peak <= BUDGET_RSS_MB * 1e6,
            ),
            (
                f"far Range TTFB <= {BUDGET_FAR_RANGE_RATIO}x near",
                f"{reading.far_ttfb * 1e3:.1f} / {reading.near_ttfb * 1e3:.1f} ms",
                reading.far_ttfb <= BUDGET_FAR_RANGE_RATIO * max(reading.near_ttfb, 1e-3),
            ),
        ]
        for name, figure, passed in checks:
            ok = record("vault", f"{size}: {name}", figure, passed) and ok
            print(f"budget at {size}: {name:<40} {figure:<52} {'within' if passed else 'OVER'}")
    if len(results) > 1:
        peaks = [max(u.peak_rss for u in r.uploads[1:]) for r in results]
        growth = (max(peaks) - min(peaks)) / 1e6
        print(
            f"Custos intake peak RSS across sizes: {min(peaks) / 1e6:.1f}-"
            f"{max(peaks) / 1e6:.1f} MB (spread {growth:.1f} MB)"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_VAULT_SIZES_MIB", DEFAULT_SIZES_MIB),
        help="comma-separated file sizes in MiB (default 1024; env BENCH_VAULT_SIZES_MIB)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) * MIB for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="custos-bench-vault-"))
    try:
        results = [run_size(size, work) for size in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if print_report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
