"""`flask custody verify` on a 300,000-entry SQLite ledger against a bare hash loop, same rows.

Builds a real Custos database (the Alembic migrations, the organisation keys, a signed
checkpoint per commit as the application writes them), then times the function the CLI
calls, `app.custody.verify.verify_ledgers`, against the cheapest possible loop over the same
rows: fetch them from SQLite and compute the two SHA-256 per entry. Issue 4 sets the budget
at 300,000 entries/s where the bare loop reaches ~700,000/s: a ratio of 0.43, measured in
the same run so a slower or faster machine does not move the verdict.

    .venv/bin/python benchmarks/bench_custody_verify.py [--entries N] [--every K]

``--every K``: one checkpoint per K entries (default 1: every append its own commit, the
worst case, e.g. one evidence view per request).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.crypto.canonical import canonical_json, utc_timestamp  # noqa: E402
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, head_statement  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

BUDGET_ENTRIES_PER_SECOND = 300_000
BUDGET_RATIO = 0.43
REPEATS = 5
REFERENCE = "INV-2024-BENCH"


def build_app(instance: Path):
    from flask_migrate import upgrade

    from app import create_app
    from app.security import org_keys
    from app.security.master_key import generate_master_key_file
    from config import TestingConfig

    os.environ.pop("CUSTOS_MASTER_KEY", None)
    generate_master_key_file(instance / "master.key")
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance / 'bench.db'}"
    config.INSTANCE_PATH = instance
    config.CUSTOS_MASTER_KEY_FILE = instance / "master.key"
    config.BLOB_DIR = instance / "blobs"
    app = create_app(config)
    with app.app_context():
        upgrade()
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    return app


def fill(db_path: Path, investigation_id: str, count: int, every: int, key) -> None:
    """Entries as append_custody_event writes them, and a checkpoint every ``every`` entries."""
    start = datetime(2024, 5, 1, 10, tzinfo=UTC)
    entries, checkpoints = [], []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        moment = start + timedelta(seconds=seq)
        actor_id = f"{seq % 37:08d}-0000-4000-8000-000000000000"
        object_id = f"{seq:08d}-1111-4111-8111-111111111111"
        body = canonical_json(
            {
                "investigation": REFERENCE,
                "actor": {
                    "type": "user",
                    "id": actor_id,
                    "email": f"analyst{seq % 37}@example.org",
                    "role": "lawyer",
                },
                "action": "viewed",
                "object": {"type": "evidence", "id": object_id},
                "time": utc_timestamp(moment),
                "details": {"sha256": "ab" * 32, "size": 1_048_576},
            }
        )
        digest = body_digest(body)
        current = entry_hash(seq, prev, digest)
        naive = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        entries.append(
            (investigation_id, seq, prev, body, digest, current, "viewed", "evidence")
            + (object_id, actor_id, naive)
        )
        if seq % every == 0 or seq == count:
            statement = head_statement(REFERENCE, seq, current, moment)
            signature = key.sign(statement, f"custos-checkpoint-v1 {REFERENCE} 1..{seq}")
            checkpoints.append(
                (investigation_id, seq, current, naive, statement, signature, key.key_id_hex())
            )
        prev = current
    db = sqlite3.connect(db_path)
    db.executemany(
        "INSERT INTO custody_entries (investigation_id, seq, prev_hash, body, body_sha256,"
        " entry_hash, action, object_type, object_id, actor_id, time)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    db.executemany(
        "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement, minisig,"
        " key_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        checkpoints,
    )
    db.commit()
    db.close()


ENTRIES_SQL = (
    "SELECT seq, prev_hash, body_sha256, entry_hash, body FROM custody_entries"
    " WHERE investigation_id = ? ORDER BY seq"
)


def bare_loop_from_sqlite(db_path: Path, investigation_id: str) -> Callable[[], None]:
    """Baseline: the same query on the same file, then two SHA-256 per row and nothing else."""

    def run() -> None:
        db = sqlite3.connect(db_path)
        sha256 = hashlib.sha256
        for seq, prev, digest, _claimed, body in db.execute(ENTRIES_SQL, (investigation_id,)):
            sha256(body).hexdigest()
            sha256(f"custos-ledger-v1\n{seq}\n{prev}\n{digest}".encode()).hexdigest()
        db.close()

    return run


def bare_loop_in_memory(db_path: Path, investigation_id: str) -> Callable[[], None]:
    """The issue's reference loop: rows and preimages already in memory, only the hashing."""
    db = sqlite3.connect(db_path)
    rows = db.execute(ENTRIES_SQL, (investigation_id,)).fetchall()
    db.close()
    preimages = [
        f"custos-ledger-v1\n{seq}\n{prev}\n{digest}".encode() for seq, prev, digest, _, _ in rows
    ]

    def run() -> None:
        sha256 = hashlib.sha256
        for row, preimage in zip(rows, preimages, strict=True):
            sha256(row[4]).hexdigest()
            sha256(preimage).hexdigest()

    return run


def best_seconds(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--every", type=int, default=1, help="entries per checkpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        app = build_app(instance)
        with app.app_context():
            from app.custody.verify import verify_ledgers
            from app.extensions import db
            from app.investigations.models import Investigation
            from app.security import org_keys

            investigation = Investigation(
                id=str(uuid.uuid4()), reference=REFERENCE, title="benchmark", description=""
            )
            db.session.add(investigation)
            db.session.commit()
            started = time.perf_counter()
            fill(
                instance / "bench.db",
                investigation.id,
                args.entries,
                args.every,
                org_keys.signing_key(),
            )
            print(f"built {args.entries:,} entries in {time.perf_counter() - started:.1f}s")

            def verify() -> None:
                (verdict,) = verify_ledgers(REFERENCE, fast=True)
                assert verdict.ok, verdict.problem
                assert verdict.entries == args.entries

            def verify_all_signatures() -> None:
                (verdict,) = verify_ledgers(REFERENCE, fast=False)
                assert verdict.ok, verdict.problem

            db_path = instance / "bench.db"
            baseline = args.entries / best_seconds(bare_loop_from_sqlite(db_path, investigation.id))
            in_memory = args.entries / best_seconds(bare_loop_in_memory(db_path, investigation.id))
            rows = [
                ("bare 2x SHA-256, same rows from SQLite", baseline),
                ("bare 2x SHA-256, rows in memory", in_memory),
                ("custody verify (the CLI's function)", args.entries / best_seconds(verify)),
            ]
            checkpoints = -(-args.entries // args.every)
            if checkpoints <= 20_000:
                rows.append(
                    ("  same, --all-signatures", args.entries / best_seconds(verify_all_signatures))
                )

    print(f"{args.entries:,} entries, {checkpoints:,} checkpoints, SQLite, best of {REPEATS}")
    print(f"{'what':<40} {'entries/s':>12} {'ratio':>7}")
    for name, rate in rows:
        print(f"{name:<40} {rate:>12,.0f} {rate / baseline:>7.2f}")
    rate = rows[2][1]
    ratio = rate / baseline
    within = ratio >= BUDGET_RATIO and rate >= BUDGET_ENTRIES_PER_SECOND
    record(
        "custody_verify",
        f"verify >= {BUDGET_RATIO:.2f}x loop and >= {BUDGET_ENTRIES_PER_SECOND:,}/s",
        f"{ratio:.2f}x, {rate:,.0f}/s",
        within,
    )
    print(
        f"budget: custody verify >= {BUDGET_RATIO:.2f} x the same-rows loop and "
        f">= {BUDGET_ENTRIES_PER_SECOND:,}/s -> {'within' if within else 'OVER'} "
        f"({ratio:.2f}, {rate:,.0f}/s; {rate / in_memory:.2f} of the in-memory loop)"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
