"""Encrypted case-file export against the `age` CLI encrypting the same bytes, same run.

Issue 16, "Speed and memory": a case file holding one large file (SIZE, default 1024 MiB;
random bytes behind a `%PDF-1.7` header, so no media processing) is exported the way the
export job does it (`export_casefile` with an age recipient: the bag streamed as a tar into
the age writer), in a child process whose peak RSS (ru_maxrss) is the figure. The baseline
is `age -r <recipient> -o out.age <file>` over a plaintext file of the same size, timed in
the same run. Budgets: peak RSS <= 150 MB and flat in the size; throughput >= 0.8x age's.
The child first runs the worker's preloads (`run_preloads`, as `flask worker` does once before
forking the horse that runs an export: WeasyPrint and its fonts), timed apart and printed as
"preload s"; the export's time starts after them, its peak RSS includes them. The app is
built as app/worker_main.py builds it (CUSTOS_JOB_WORKER: no Alembic, no commands), in a
child run under `python -OO` as that entry point runs itself (no docstrings in memory).

What no export can beat on this machine, measured in the same run over the same bytes
(benchmarks/physical_bounds.py): the `age` CLI followed by an fsync of its output (the export
fsyncs its file before the ledger records it; the CLI does not), the disk (1 MiB writes and
one fsync), and the export's four cryptographic passes in memory (decrypt, SHA-256, encrypt,
SHA-256) on one thread and split over two.

    .venv/bin/python benchmarks/bench_export.py [--sizes 256,1024]     (MiB)
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_custody_verify import build_app  # noqa: E402 - a new instance
from benchmarks.budgets import record  # noqa: E402
from benchmarks.physical_bounds import Bound, disk_write_bound, export_crypto_bound  # noqa: E402

MIB = 1024 * 1024
BUDGET_RSS_MB = 150
BUDGET_RATIO = 0.8


def random_pdf_chunks(size: int):
    yield b"%PDF-1.7" + secrets.token_bytes(MIB - 8)
    left = size - MIB
    while left > 0:
        block = min(MIB, left)
        yield secrets.token_bytes(block)
        left -= block


def build_case(app, size: int) -> str:
    """An investigation with a lawyer and one case file holding a SIZE evidence item."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.casefiles.models import LegalCrime
    from app.casefiles.services import casefiles
    from app.casefiles.services.frameworks import load_shipped_frameworks
    from app.extensions import db
    from app.investigations.models import Investigation, Membership
    from app.vault.upload.stream import begin_intake

    with app.app_context():
        load_shipped_frameworks()
        lawyer = User(email="bench-lawyer@example.org", name="Bench Lawyer", role="lawyer")
        investigation = Investigation(reference="INV-2024-BENCH", title="bench", description="")
        db.session.add_all([lawyer, investigation])
        db.session.flush()
        db.session.add(
            Membership(investigation_id=investigation.id, user_id=lawyer.id, role="lawyer")
        )
        db.session.commit()
        writer = begin_intake(investigation, lawyer, "bench.pdf", None, size)
        for chunk in random_pdf_chunks(size):
            writer.write(chunk)
        evidence = writer.finish()
        crime = db.session.scalars(select(LegalCrime).limit(1)).one()
        casefile = casefiles.create_casefile(investigation, lawyer, "Bench", "Bench?", [crime.id])
        casefiles.add_item(casefile, investigation, lawyer, "evidence", evidence.id)
        db.session.commit()
        return casefile.reference


def open_app(instance: Path):
    """The instance build_app made (same database, master key and organisation keys)."""
    from app import create_app
    from config import TestingConfig

    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance / 'bench.db'}"
    config.INSTANCE_PATH = instance
    config.CUSTOS_MASTER_KEY_FILE = instance / "master.key"
    config.BLOB_DIR = instance / "blobs"
    config.JOB_WORKER = True  # as app/worker_main.py builds it
    return create_app(config)


def child_export(instance: Path, reference: str, recipient: str, out: Path) -> None:
    """Run in a fresh process: the export as the job does it; print seconds and peak RSS."""
    from sqlalchemy import select

    from app.casefiles.models import CaseFile
    from app.casefiles.services.export_bagit import ExportRequest, export_casefile
    from app.casefiles.services.redaction import Exporter
    from app.crypto.age import Recipient
    from app.extensions import db
    from app.jobs.worker import run_preloads

    app = open_app(instance)
    # What `flask worker` does once at start, before it forks the horse that runs an export.
    started = time.perf_counter()
    run_preloads(app)
    preload = time.perf_counter() - started
    with app.app_context():
        casefile = db.session.scalar(select(CaseFile).where(CaseFile.reference == reference))
        started = time.perf_counter()
        export_casefile(
            casefile,
            Exporter(actor="system:bench", label="benchmark"),
            ExportRequest(for_whom="bench", recipient=recipient),
            out,
            pack_for=[Recipient.parse(recipient)],
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(f"{elapsed:.3f} {peak_mb:.1f} {preload:.3f}")


def age_baseline(size: int, recipient: str, folder: Path) -> tuple[float, float, list[Bound]]:
    """(age CLI seconds, the same plus an fsync of its output, the physical bounds)."""
    plain = folder / "plain.bin"
    with open(plain, "wb") as handle:
        for chunk in random_pdf_chunks(size):
            handle.write(chunk)
        os.fsync(handle.fileno())
    bounds = [export_crypto_bound(plain, 1), export_crypto_bound(plain, 2)]
    bounds.append(disk_write_bound(plain, folder))
    output = folder / "p.age"
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("age") or "age", "-r", recipient, "-o", str(output), str(plain)],
        check=True,
    )
    elapsed = time.perf_counter() - started
    with open(output, "rb") as handle:
        os.fsync(handle.fileno())
    durable = time.perf_counter() - started
    plain.unlink()
    output.unlink()
    return elapsed, durable, bounds


def measure(size_mib: int) -> tuple[float, float, float, float, float, list[Bound]]:
    """(export s, peak RSS MB, age s, age + fsync s, worker preload s, bounds) for size_mib."""
    from app.crypto.age import Identity

    size = size_mib * MIB
    recipient = str(Identity.generate().recipient)
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        app = build_app(instance)
        reference = build_case(app, size)
        out = instance / "export.tar.age"
        run = subprocess.run(  # noqa: S603 - this very script, -OO as the worker
            [
                sys.executable,
                "-OO",
                __file__,
                "--child",
                str(instance),
                reference,
                recipient,
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        seconds, peak, preload = (float(v) for v in run.stdout.split()[-3:])
        out.unlink()
        baseline, durable, bounds = age_baseline(size, recipient, instance)
    return seconds, peak, baseline, durable, preload, bounds


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_EXPORT_SIZES_MIB", "1024"))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    if args.child:
        instance, reference, recipient, out = args.child
        child_export(Path(instance), reference, recipient, Path(out))
        return 0
    print(
        f"{'size':>8} {'export s':>9} {'age CLI s':>9} {'ratio':>6} {'+fsync s':>9} {'ratio':>6}"
        f" {'peak RSS MB':>11} {'preload s':>9}"
    )
    worst = 0
    for size_mib in (int(s) for s in args.sizes.split(",")):
        seconds, peak, baseline, durable, preload, bounds = measure(size_mib)
        ratio = baseline / seconds
        ok = record(
            "export",
            f"{size_mib} MiB: >= {BUDGET_RATIO}x age CLI, RSS <= {BUDGET_RSS_MB} MB",
            f"{ratio:.2f}x, {peak:.1f} MB",
            peak <= BUDGET_RSS_MB and ratio >= BUDGET_RATIO,
        )
        worst = max(worst, 0 if ok else 1)
        print(
            f"{size_mib:>5}MiB {seconds:>9.2f} {baseline:>9.2f} {ratio:>6.2f} {durable:>9.2f}"
            f" {durable / seconds:>6.2f} {peak:>11.1f} {preload:>9.2f}"
            f"  {'ok' if ok else 'OVER BUDGET'} (ratio >= {BUDGET_RATIO}, RSS <= {BUDGET_RSS_MB})"
        )
        for bound in bounds:
            print(
                f"         bound {bound.name}: {bound.seconds:.2f} s ({bound.mib_per_s:.0f} MiB/s,"
                f" {baseline / bound.seconds:.2f}x the age CLI)"
            )
    return worst


if __name__ == "__main__":
    sys.exit(main())
