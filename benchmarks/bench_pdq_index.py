"""The near-duplicate lookup against 1,000,000 stored PDQ hashes on PostgreSQL (issue 19),
against the Python matcher over the same hashes, measured in the same run.

Builds a throwaway database on the server given (the Alembic migrations), fills the chunk
index (`pdq_index`) of one investigation with 1,000,000 random hashes plus near copies of
each query's rotations and mirrors planted at 10 and 31 bits, then times
`app.duplicates.pdq_index.matching_frames` for each query photo (8 rotations and mirrors)
and checks that it finds exactly what `match_photos` finds comparing every stored hash. The
synthetic rows are loaded with foreign-key triggers off (no fingerprint or item behind
them): the lookup reads `pdq_index` only. The Python matcher runs over the same hashes in
slices of 100,000, so this process never holds a million of them at once.

    .venv/bin/python benchmarks/bench_pdq_index.py [--hashes N] [--queries Q]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Without --database-url or $BENCH_PDQ_DATABASE_URL the benchmark says so and is skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_custody_verify import admin_sql, build_app, with_database  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

BUDGET_MS = 200.0  # the budget for the median lookup at 1,000,000 hashes
SLICE = 100_000
PYTHON_QUERIES = 3  # the Python matcher takes seconds a query at 1,000,000


def stored_hashes(count: int, seed: int = 19) -> Iterator[int]:
    rng = random.Random(seed)
    for _ in range(count):
        yield rng.getrandbits(256)


def flip(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return value


def queries(count: int):
    from app.duplicates.matching import Frame

    rng = random.Random(7)
    frames, planted = [], []
    for _ in range(count):
        variants = tuple(f"{rng.getrandbits(256):064x}" for _ in range(8))
        frames.append(Frame(variants[0], variants, 100))
        for variant in variants:
            planted += [flip(int(variant, 16), bits, rng) for bits in (10, 31, 32)]
    return frames, planted


def fill(url: str, investigation_id: str, hashes: Iterator[int]) -> None:
    import psycopg

    from app.duplicates.pdq_index import chunks

    columns = [f"c{i}" for i in range(11)]
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")  # synthetic rows: no parents
        for name in columns:
            conn.execute(f"DROP INDEX ix_pdq_index_{name}")
        copy_sql = f"COPY pdq_index (frame_id, investigation_id, {', '.join(columns)}) FROM STDIN"
        with conn.cursor().copy(copy_sql) as copy:
            for value in hashes:
                copy.write_row((str(uuid.uuid4()), investigation_id, *chunks(value)))
        for name in columns:  # as migration 0040 makes them
            conn.execute(f"CREATE INDEX ix_pdq_index_{name} ON pdq_index ({name})")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE pdq_index")


def python_matcher(frame, hashes: Iterator[int]) -> tuple[float, int]:
    """Seconds spent in match_photos over every hash (slices built outside the timing)."""
    from app.duplicates.matching import Frame, match_photos

    spent, found = 0.0, 0
    batch: list[Frame] = []

    def run() -> None:
        nonlocal spent, found
        start = time.perf_counter()
        found += sum(match_photos(frame, other) is not None for other in batch)
        spent += time.perf_counter() - start
        batch.clear()

    for value in hashes:
        batch.append(Frame(f"{value:064x}", (), 100))
        if len(batch) == SLICE:
            run()
    run()
    return spent, found


def measure(instance: Path, args: argparse.Namespace, database: str):
    uri = with_database(args.database_url, database)
    app = build_app(instance, uri)
    with app.app_context():
        from app.duplicates.pdq_index import matching_frames
        from app.extensions import db
        from app.investigations.models import Investigation

        investigation = Investigation(
            id=str(uuid.uuid4()), reference="BENCH-PDQ", title="benchmark", description=""
        )
        db.session.add(investigation)
        db.session.commit()
        frames, planted = queries(args.queries)

        def everything() -> Iterator[int]:
            yield from stored_hashes(args.hashes)
            yield from planted

        started = time.perf_counter()
        fill(
            uri.replace("postgresql+psycopg://", "postgresql://", 1), investigation.id, everything()
        )
        print(
            f"built {args.hashes + len(planted):,} hashes in {time.perf_counter() - started:.1f}s"
        )
        lookups, counts = [], []
        for frame in frames:
            start = time.perf_counter()
            found = matching_frames(investigation.id, [frame])
            lookups.append(time.perf_counter() - start)
            counts.append(len(found))
            db.session.rollback()
        python = [python_matcher(frame, everything()) for frame in frames[:PYTHON_QUERIES]]
        for (_, expected), got in zip(python, counts, strict=False):
            assert got == expected, (got, expected)  # the same answers as the Python matcher
        assert all(c == 16 for c in counts), counts  # 8 variants x (10 and 31 bits)
        return lookups, [seconds for seconds, _ in python]


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PDQ_DATABASE_URL") or None,
        help="a PostgreSQL server (postgresql+psycopg://...): the benchmark creates and drops "
        "its own database there (default: $BENCH_PDQ_DATABASE_URL)",
    )
    args = parser.parse_args([] if __name__ != "__main__" else None)
    if not args.database_url:
        print("skipped: no PostgreSQL server (--database-url or $BENCH_PDQ_DATABASE_URL)")
        return 0
    database = f"custos_bench_pdq_{secrets.token_hex(4)}"
    admin_sql(args.database_url, f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory() as folder:
            lookups, python = measure(Path(folder), args, database)
    finally:
        admin_sql(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    median = statistics.median(lookups) * 1000
    print(f"{args.hashes:,} stored hashes, PostgreSQL, {args.queries} query photos (8 variants)")
    print(f"{'lookup':<44} {'median ms':>10} {'p95 ms':>9}")
    base = statistics.median(python) * 1000
    print(f"{'Python matcher, every hash (baseline)':<44} {base:>10.1f} {p95(python) * 1000:>9.1f}")
    print(f"{'chunk index (pdq_index)':<44} {median:>10.1f} {p95(lookups) * 1000:>9.1f}")
    within = record(
        "pdq_index",
        f"near-duplicate lookup at {args.hashes:,} hashes <= {BUDGET_MS:.0f} ms (median)",
        f"{median:.1f} ms (p95 {p95(lookups) * 1000:.1f}; Python {base:.0f} ms)",
        median <= BUDGET_MS,
    )
    print(f"budget: median lookup <= {BUDGET_MS:.0f} ms -> {'within' if within else 'OVER'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
