"""Inclusion proofs in a 1,000,000-entry Merkle log: produce from SQLite, check in memory.

Builds the tree store (custody_tree_nodes) of one investigation as appends write it, then
times `NodeReader.inclusion` (one query for the O(log n) nodes it needs) and
`merkle.verify_inclusion` for random leaves. Issue 14 budgets: <= 5 ms to produce and
<= 1 ms to check one proof.

    .venv/bin/python benchmarks/bench_custody_proofs.py [--entries N]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.crypto import merkle  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

PRODUCE_BUDGET_MS = 5.0
CHECK_BUDGET_MS = 1.0
SAMPLES = 200


def fill(db_path: Path, investigation_id: str, count: int) -> bytes:
    """custody_tree_nodes for ``count`` leaves; returns the root."""
    frontier: list[bytes] = []
    rows = []
    db = sqlite3.connect(db_path)
    for size in range(count):
        leaf = merkle.leaf_hash(hashlib.sha256(size.to_bytes(8, "big")).digest())
        for level, index, node in merkle.append_leaf(frontier, size, leaf):
            rows.append((investigation_id, level, index, node))
        if len(rows) >= 100_000:
            db.executemany("INSERT INTO custody_tree_nodes VALUES (?, ?, ?, ?)", rows)
            rows = []
    db.executemany("INSERT INTO custody_tree_nodes VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return merkle.frontier_root(frontier)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    from benchmarks.bench_custody_verify import build_app

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        app = build_app(instance)
        with app.app_context():
            from app.custody.tree import NodeReader
            from app.extensions import db
            from tests.helpers.factories import InvestigationFactory

            investigation = InvestigationFactory(reference=f"INV-BENCH-{uuid.uuid4().hex[:6]}")
            db.session.commit()
            started = time.perf_counter()
            root = fill(instance / "bench.db", investigation.id, args.entries)
            print(
                f"built the tree of {args.entries:,} leaves in {time.perf_counter() - started:.1f}s"
            )
            rng = random.Random(9162)
            produce, check = [], []
            for _ in range(SAMPLES):
                index = rng.randrange(args.entries)
                reader = NodeReader(db.session, investigation.id)  # no cache between proofs
                t0 = time.perf_counter()
                proof = reader.inclusion(index, args.entries)
                t1 = time.perf_counter()
                leaf = merkle.leaf_hash(hashlib.sha256(index.to_bytes(8, "big")).digest())
                merkle.verify_inclusion(leaf, index, args.entries, proof, root)
                t2 = time.perf_counter()
                produce.append((t1 - t0) * 1000)
                check.append((t2 - t1) * 1000)
                db.session.rollback()
    produce.sort()
    check.sort()
    median_produce, median_check = produce[len(produce) // 2], check[len(check) // 2]
    print(f"inclusion proof, {args.entries:,} leaves, {SAMPLES} random leaves (median / p95):")
    print(
        f"  produce from SQLite  {median_produce:7.3f} ms / {produce[int(SAMPLES * 0.95)]:7.3f} ms"
    )
    print(f"  check                {median_check:7.3f} ms / {check[int(SAMPLES * 0.95)]:7.3f} ms")
    within = median_produce <= PRODUCE_BUDGET_MS and median_check <= CHECK_BUDGET_MS
    record(
        "custody_proofs",
        f"inclusion proof produce <= {PRODUCE_BUDGET_MS} ms, check <= {CHECK_BUDGET_MS} ms",
        f"{median_produce:.3f} / {median_check:.3f} ms",
        within,
    )
    print(
        f"budget: produce <= {PRODUCE_BUDGET_MS} ms, check <= {CHECK_BUDGET_MS} ms -> "
        f"{'OK' if within else 'OVER'}"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
