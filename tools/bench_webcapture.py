"""Web-capture check throughput: a generated WACZ read through AgeReader, against decrypt+SHA-256.

Usage: .venv/bin/python tools/bench_webcapture.py [MiB]  (default 256)
"""

from __future__ import annotations

import hashlib
import io
import os
import resource
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from app.webcapture.inspection import inspect_capture  # noqa: E402
from app.webcapture.limits import CaptureLimits  # noqa: E402
from tests.helpers.media import age_reader  # noqa: E402
from tests.webcapture.captures import cdxj, datapackage, digest_of, pages_jsonl  # noqa: E402

MiB = 1 << 20


def generated_wacz(total: int) -> bytes:
    """Per-record gzipped responses of 2 MiB of random bytes each, stored in a WACZ."""
    out, payload, n = io.BytesIO(), os.urandom(2 * MiB), 0
    writer = WARCWriter(out, gzip=True)
    while out.tell() < total:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "video/mp4")], protocol="HTTP/1.1")
        body = io.BytesIO(payload[n % 7 :])
        url = f"http://x.example/{n}"
        writer.write_record(
            writer.create_warc_record(url, "response", payload=body, http_headers=headers)
        )
        n += 1
    members = {
        "archive/data.warc.gz": out.getvalue(),
        "indexes/index.cdxj": cdxj(),
        "pages/pages.jsonl": pages_jsonl(),
    }
    package = datapackage(members)
    files = {**members, "datapackage.json": package, "datapackage-digest.json": digest_of(package)}
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return archive_bytes.getvalue()


def main() -> None:
    total = int(sys.argv[1]) * MiB if len(sys.argv) > 1 else 256 * MiB
    data = generated_wacz(total)
    reader = age_reader(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    digest = hashlib.sha256()
    for chunk in reader.iter_all():
        digest.update(chunk)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    with io.BufferedReader(reader.as_file(), buffer_size=MiB) as file:
        result = inspect_capture("application/wacz", file, CaptureLimits())
    check = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    size = len(data) / MiB
    print(f"{size:.0f} MiB WACZ, {result['record_count']} records, {result['verdict']}")
    print(
        f"decrypt+SHA-256 {size / plain:.0f} MiB/s; web-capture check {size / check:.0f} MiB/s; "
        f"peak RSS grew {grown:.0f} MiB during both"
    )


if __name__ == "__main__":
    main()
