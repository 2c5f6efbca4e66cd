"""`flask custody verify` on a 300,000-entry ledger against a bare hash loop over the same rows.

Builds a real Custos database (the Alembic migrations, the organisation keys, a signed
checkpoint per commit as the application writes them), then times the function the CLI
calls, `app.custody.verify.verify_ledgers`, against the cheapest possible loop over the same
rows: fetch them from the database and compute the two SHA-256 per entry. Issues 4 and 14
set the budget at 300,000 entries/s where the bare loop reaches ~700,000/s: a ratio of 0.43,
measured in the same run so a slower or faster machine does not move the verdict. The
repeats of the loop and of verify alternate, so a burst of load from elsewhere falls on
both sides rather than on one.

    .venv/bin/python benchmarks/bench_custody_verify.py [--entries N] [--every K]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

``--every K``: one checkpoint per K entries (default 1: every append its own commit, the
worst case, e.g. one evidence view per request). ``--database-url``: PostgreSQL instead of
SQLite, in a throwaway database created on that server and dropped afterwards (also taken
from $BENCH_VERIFY_DATABASE_URL, e.g. under `make bench`); the bare loop then reads through
a server-side cursor, as verify does.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.crypto.canonical import canonical_json, utc_timestamp  # noqa: E402
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, head_statement  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

BUDGET_ENTRIES_PER_SECOND = 300_000
BUDGET_RATIO = 0.43
REPEATS = 5
REFERENCE = "INV-2024-BENCH"
ENTRY_COLUMNS = (
    "investigation_id, seq, prev_hash, body, body_sha256, entry_hash, action, object_type,"
    " object_id, actor_id, time, leaf_salt"
)
CHECKPOINT_COLUMNS = "investigation_id, seq, head, time, statement, minisig, key_id"


def build_app(instance: Path, database_uri: str | None = None):
    from flask_migrate import upgrade

    from app import create_app
    from app.security import org_keys
    from app.security.master_key import generate_master_key_file
    from config import TestingConfig

    os.environ.pop("CUSTOS_MASTER_KEY", None)
    generate_master_key_file(instance / "master.key")
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_uri or f"sqlite:///{instance / 'bench.db'}"
    config.INSTANCE_PATH = instance
    config.CUSTOS_MASTER_KEY_FILE = instance / "master.key"
    config.BLOB_DIR = instance / "blobs"
    app = create_app(config)
    with app.app_context():
        upgrade()
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    return app


def fill(db_path: Path | str, investigation_id: str, count: int, every: int, key) -> None:
    """Entries as append_custody_event writes them (leaf salts included), and a checkpoint
    every ``every`` entries.

    ``db_path``: the SQLite file, or a PostgreSQL URL (rows then go in with COPY).
    """
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
            + (object_id, actor_id, naive, secrets.token_bytes(32))  # a salted (v2) leaf
        )
        if seq % every == 0 or seq == count:
            statement = head_statement(REFERENCE, seq, current, moment)
            signature = key.sign(statement, f"custos-checkpoint-v1 {REFERENCE} 1..{seq}")
            checkpoints.append(
                (investigation_id, seq, current, naive, statement, signature, key.key_id_hex())
            )
        prev = current
    if isinstance(db_path, str):
        import psycopg

        with psycopg.connect(db_path) as conn, conn.cursor() as cursor:
            for statement, rows in (
                (f"COPY custody_entries ({ENTRY_COLUMNS}) FROM STDIN", entries),
                (f"COPY custody_checkpoints ({CHECKPOINT_COLUMNS}) FROM STDIN", checkpoints),
            ):
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            cursor.execute("ANALYZE custody_entries")
        return
    db = sqlite3.connect(db_path)
    db.executemany(
        "INSERT INTO custody_entries (investigation_id, seq, prev_hash, body, body_sha256,"
        " entry_hash, action, object_type, object_id, actor_id, time, leaf_salt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def fetch_rows(source: Path | str, investigation_id: str):
    """(rows iterator, close) for ENTRIES_SQL: sqlite3, or a server-side psycopg cursor read
    in batches of 20,000 in the binary format, as verify_reader.LedgerReader reads PostgreSQL."""
    if isinstance(source, str):
        import psycopg

        conn = psycopg.connect(source)
        cursor = conn.cursor(name="bench_bare_loop", binary=True)
        cursor.itersize = 20_000
        cursor.execute(ENTRIES_SQL.replace("?", "%s"), (investigation_id,))
        return iter(cursor), conn.close
    db = sqlite3.connect(source)
    return db.execute(ENTRIES_SQL, (investigation_id,)), db.close


def bare_loop(source: Path | str, investigation_id: str) -> Callable[[], None]:
    """Baseline: the same query on the same database, then two SHA-256 per row and nothing else."""

    def run() -> None:
        rows, close = fetch_rows(source, investigation_id)
        sha256 = hashlib.sha256
        for seq, prev, digest, _claimed, body in rows:
            sha256(body).hexdigest()
            sha256(f"custos-ledger-v1\n{seq}\n{prev}\n{digest}".encode()).hexdigest()
        close()

    return run


def bare_loop_in_memory(source: Path | str, investigation_id: str) -> Callable[[], None]:
    """The issue's reference loop: rows and preimages already in memory, only the hashing."""
    cursor, close = fetch_rows(source, investigation_id)
    rows = list(cursor)
    close()
    preimages = [
        f"custos-ledger-v1\n{seq}\n{prev}\n{digest}".encode() for seq, prev, digest, _, _ in rows
    ]

    def run() -> None:
        sha256 = hashlib.sha256
        for row, preimage in zip(rows, preimages, strict=True):
            sha256(row[4]).hexdigest()
            sha256(preimage).hexdigest()

    return run


def best_seconds(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The best of REPEATS for each run, the runs taking turns within each repeat."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(REPEATS):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def with_database(url: str, database: str) -> str:
    return urlsplit(url)._replace(path=f"/{database}", query="").geturl()


def admin_sql(server_url: str, statement: str) -> None:
    import psycopg

    url = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--every", type=int, default=1, help="entries per checkpoint")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_VERIFY_DATABASE_URL") or None,
        help="a PostgreSQL server (postgresql+psycopg://...): the benchmark creates and drops "
        "its own database there (default: $BENCH_VERIFY_DATABASE_URL, else SQLite)",
    )
    args = parser.parse_args()

    database = f"custos_bench_verify_{secrets.token_hex(4)}" if args.database_url else None
    if database:
        admin_sql(args.database_url, f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows, checkpoints = measure(Path(folder), args, database)
    finally:
        if database:
            admin_sql(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    backend = "PostgreSQL" if database else "SQLite"
    baseline = rows[0][1]
    print(f"{args.entries:,} entries, {checkpoints:,} checkpoints, {backend}, best of {REPEATS}")
    print(f"{'what':<46} {'entries/s':>12} {'ratio':>7}")
    for name, rate in rows:
        print(f"{name:<46} {rate:>12,.0f} {rate / baseline:>7.2f}")
    rate = rows[2][1]
    ratio = rate / baseline
    within = ratio >= BUDGET_RATIO and rate >= BUDGET_ENTRIES_PER_SECOND
    record(
        "custody_verify" if backend == "SQLite" else "custody_verify_postgresql",
        f"verify >= {BUDGET_RATIO:.2f}x loop and >= {BUDGET_ENTRIES_PER_SECOND:,}/s ({backend})",
        f"{ratio:.2f}x, {rate:,.0f}/s",
        within,
    )
    print(
        f"budget: custody verify >= {BUDGET_RATIO:.2f} x the same-rows loop and "
        f">= {BUDGET_ENTRIES_PER_SECOND:,}/s -> {'within' if within else 'OVER'} "
        f"({ratio:.2f}, {rate:,.0f}/s; {rate / rows[1][1]:.2f} of the in-memory loop)"
    )
    return 0 if within else 1


def measure(instance: Path, args: argparse.Namespace, database: str | None):
    """Build the ledger and time every row of the table: ([(what, entries/s)], checkpoints)."""
    uri = with_database(args.database_url, database) if database else None
    app = build_app(instance, uri)
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
        source: Path | str = instance / "bench.db"
        if uri:
            source = uri.replace("postgresql+psycopg://", "postgresql://", 1)
        started = time.perf_counter()
        fill(source, investigation.id, args.entries, args.every, org_keys.signing_key())
        print(f"built {args.entries:,} entries in {time.perf_counter() - started:.1f}s")

        def verify() -> None:
            (verdict,) = verify_ledgers(REFERENCE, fast=True)
            assert verdict.ok, verdict.problem
            assert verdict.entries == args.entries

        def verify_all_signatures() -> None:
            (verdict,) = verify_ledgers(REFERENCE, fast=False)
            assert verdict.ok, verdict.problem

        runs = {
            "bare 2x SHA-256, same rows from the database": bare_loop(source, investigation.id),
            "bare 2x SHA-256, rows in memory": bare_loop_in_memory(source, investigation.id),
            "custody verify (the CLI's function)": verify,
        }
        checkpoints = -(-args.entries // args.every)
        if checkpoints <= 20_000:
            runs["  same, every signature checked"] = verify_all_signatures
        best = best_seconds(runs)
        db.session.remove()
        db.engine.dispose()
    return [(name, args.entries / seconds) for name, seconds in best.items()], checkpoints


if __name__ == "__main__":
    sys.exit(main())
