"""Receiving a WACZ: Custos's intake of the package and its web-capture check, against the
plain intake of the same bytes in the same run (issue 20, "Speed").

One generated WACZ of SIZE (per-record gzipped WARC responses of random bytes, written to
disk as it is made: nothing of it is held in memory) is uploaded twice to gunicorn (one sync
worker, loopback, the multipart form, as benchmarks/bench_vault.py does): once behind a
9-byte `%PDF-1.7` line, which makes the same bytes a PDF that needs no processing (Custos's
plain intake: encrypted, hashed, stored), then as itself. On the embedded job backends the
upload answers once its processing is done, so the second upload's time covers the intake and
the web-capture check (every member's SHA-256 against datapackage.json, every WARC record and
its digests, in one pass over each WARC). The worker's peak RSS (VmHWM) is reset before the
second upload, after a 1 MiB capture has warmed the worker up.

    python -m benchmarks.bench_webcapture [--sizes 1024]     (MiB; env BENCH_WEBCAPTURE_SIZES_MIB)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_vault import (
    EMAIL,
    MIB,
    PASSWORD,
    Client,
    Gunicorn,
    file_chunks,
    prepare_instance,
)
from benchmarks.budgets import record

DEFAULT_SIZES_MIB = "1024"
PAYLOAD = 2 * MIB
# Budgets (issue 20): receiving a WACZ against the plain intake of the same bytes, and the
# intake's peak RSS budget (benchmarks/bench_vault.py), in MB (10^6).
BUDGET_RATIO = 0.7
BUDGET_RSS_MB = 120
# Nine bytes that make the same WACZ a PDF (no check, no media processing): its plain intake.
PDF_PREFIX = b"%PDF-1.7\n"


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it to `target`."""

    def __init__(self, target) -> None:
        self.target, self.sha256, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)


def make_wacz(path: Path, size: int, work: Path) -> int:
    """A WACZ of about `size` bytes at `path`, made on disk; returns its WARC record count."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.webcapture.captures import cdxj, datapackage, pages_jsonl

    warc_path, payload, count = work / "data.warc.gz", os.urandom(PAYLOAD), 0
    with open(warc_path, "wb") as raw:
        hashing = _Hashing(raw)
        writer = WARCWriter(hashing, gzip=True)
        while hashing.size < size:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "video/mp4")], "HTTP/1.1")
            body = io.BytesIO(payload[count % 7 :])
            url = f"http://x.example/{count}"
            writer.write_record(
                writer.create_warc_record(url, "response", payload=body, http_headers=headers)
            )
            count += 1
    small = {"indexes/index.cdxj": cdxj(), "pages/pages.jsonl": pages_jsonl()}
    package = json.loads(datapackage(small))
    package["resources"].insert(
        0,
        {
            "name": "data.warc.gz",
            "path": "archive/data.warc.gz",
            "hash": "sha256:" + hashing.sha256.hexdigest(),
            "bytes": hashing.size,
        },
    )
    package_json = json.dumps(package).encode()
    digest = {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(package_json).hexdigest(),
    }
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("archive/data.warc.gz", "w", force_zip64=True) as member:
            with open(warc_path, "rb") as warc:
                shutil.copyfileobj(warc, member, MIB)
        for name, data in small.items():
            archive.writestr(name, data)
        archive.writestr("datapackage.json", package_json)
        archive.writestr("datapackage-digest.json", json.dumps(digest))
    warc_path.unlink()
    return count


@dataclass
class Received:
    size: int
    records: int
    plain_seconds: float  # the same bytes as a PDF: encrypted, hashed, stored
    received_seconds: float  # as a WACZ: ... and checked before the upload answers
    verdict: str
    peak_rss: int
    idle_rss: int
    plain_cpu: float  # CPU seconds of the server worker (all threads) and of this client
    received_cpu: float

    @property
    def cpu_floor(self) -> float:
        """The least wall time the received upload's CPU could take on this machine's cores."""
        return self.received_cpu / (os.cpu_count() or 1)

    @property
    def ratio(self) -> float:
        return self.plain_seconds / self.received_seconds


def timed_upload(custos: Gunicorn, *args, **kwargs) -> tuple[float, float]:
    """(seconds to the answer, CPU seconds the worker and this client spent on it)."""
    server, client = custos.cpu_seconds(), time.process_time()
    seconds = upload_wacz(*args, **kwargs)
    return seconds, custos.cpu_seconds() - server + time.process_time() - client


def upload_wacz(client: Client, ref: str, source: Path, size: int, prefix: bytes = b"") -> float:
    """The upload's time to its answer; `prefix` goes before the file's bytes."""
    page = f"/investigations/{ref}/evidence/upload"
    name = "bench.pdf" if prefix else "bench.wacz"
    boundary = "----custos-bench-" + secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{client.csrf_token(page)}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + prefix
    tail = f"\r\n--{boundary}--\r\n".encode()
    reply = client.request(
        "POST",
        page,
        body=file_chunks(source, head, tail),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    if reply.status != 303:
        raise RuntimeError(f"Custos multipart upload answered {reply.status}")
    return reply.seconds


def evidence_ids(instance: Path) -> set[str]:
    with sqlite3.connect(instance / "custos.db") as db:
        return {row[0] for row in db.execute("SELECT id FROM evidence_items")}


def check_verdict(instance: Path, evidence_id: str) -> str:
    with sqlite3.connect(instance / "custos.db") as db:
        row = db.execute(
            "SELECT verdict FROM web_capture_checks WHERE evidence_id = ?", (evidence_id,)
        ).fetchone()
    return row[0] if row else "not recorded when the upload answered"


def run_size(size: int, work: Path) -> Received:
    source = work / f"capture-{size}.wacz"
    records = make_wacz(source, size, work)
    actual = source.stat().st_size
    warm = work / "warm.wacz"
    make_wacz(warm, MIB, work)
    instance = work / f"instance-{size}"
    env, ref = prepare_instance(instance)
    custos = Gunicorn("wsgi:app", env, work / "custos.log")
    try:
        client = Client(custos.port)
        client.sign_in(EMAIL, PASSWORD)
        # A small capture first: the worker has imported and run the check's code once, as a
        # worker that has received captures before, so the peak is what SIZE adds.
        upload_wacz(client, ref, warm, warm.stat().st_size)
        plain, plain_cpu = timed_upload(custos, client, ref, source, actual, prefix=PDF_PREFIX)
        before = evidence_ids(instance)
        idle = custos.reset_peak_rss()
        received, received_cpu = timed_upload(custos, client, ref, source, actual)
        peak = custos.peak_rss_bytes()
        (received_id,) = evidence_ids(instance) - before
        verdict = check_verdict(instance, received_id)
    finally:
        custos.stop()
        source.unlink(missing_ok=True)
        warm.unlink(missing_ok=True)
        shutil.rmtree(instance, ignore_errors=True)
    return Received(actual, records, plain, received, verdict, peak, idle, plain_cpu, received_cpu)


def print_report(results: list[Received]) -> bool:
    ok = True
    print(
        f"{'WACZ (loopback, gunicorn 1 sync worker)':<40} {'size':>9} {'records':>8} "
        f"{'plain MiB/s':>12} {'received MiB/s':>15} {'extra s':>8} {'x plain':>8} "
        f"{'idle RSS MB':>12} {'peak RSS MB':>12} {'CPU s plain':>12} {'CPU s WACZ':>11} "
        f"{'WACZ CPU / cores s':>19}"
    )
    for r in results:
        mib = r.size / MIB
        print(
            f"{'as a WACZ (intake + check) vs as a PDF':<40} {mib:>5.0f} MiB {r.records:>8} "
            f"{mib / r.plain_seconds:>12.1f} {mib / r.received_seconds:>15.1f} "
            f"{r.received_seconds - r.plain_seconds:>8.2f} "
            f"{r.ratio:>8.2f} {r.idle_rss / 1e6:>12.1f} {r.peak_rss / 1e6:>12.1f} "
            f"{r.plain_cpu:>12.2f} {r.received_cpu:>11.2f} {r.cpu_floor:>19.2f}"
        )
    for r in results:
        size = f"{r.size // MIB} MiB"
        checks = [
            (
                f"WACZ received >= {BUDGET_RATIO}x plain intake",
                f"{r.ratio:.2f}x ({r.size / MIB / r.received_seconds:.0f} of "
                f"{r.size / MIB / r.plain_seconds:.0f} MiB/s), check {r.verdict}",
                r.ratio >= BUDGET_RATIO and r.verdict == "passed",
            ),
            (
                f"Custos peak RSS <= {BUDGET_RSS_MB} MB",
                f"{r.peak_rss / 1e6:.1f} MB",
                r.peak_rss <= BUDGET_RSS_MB * 1e6,
            ),
        ]
        for name, figure, passed in checks:
            ok = record("webcapture", f"{size}: {name}", figure, passed) and ok
            print(f"budget at {size}: {name:<40} {figure:<52} {'within' if passed else 'OVER'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_WEBCAPTURE_SIZES_MIB", DEFAULT_SIZES_MIB),
        help="comma-separated WACZ sizes in MiB (default 1024; env BENCH_WEBCAPTURE_SIZES_MIB)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) * MIB for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="custos-bench-webcapture-"))
    try:
        results = [run_size(size, work) for size in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if print_report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
