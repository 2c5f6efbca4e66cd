"""`flask retention run` over 1,000,000 evidence items of which 1,000 are due: within 60 s.

Builds a real Custos SQLite database (the Alembic migrations), one investigation with a
"destroy 30 days after intake" rule, N items received recently and 1,000 received 40 days
ago, ten of those under a legal hold; then times `app.retention.due.due_items`, the function
the command calls (which also appends the ledger's "disposition blocked" entries for the ten).
Issue 23 sets the budget at 60 s on SQLite and on PostgreSQL. It always runs on SQLite; with
--database-url (env BENCH_RETENTION_DATABASE_URL, which `make bench` sets), e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres, it then runs again in a throwaway
database it creates on that server and drops afterwards.
The baseline, measured in the same run on the same rows, is the bare query for the due ids.

    .venv/bin/python benchmarks/bench_retention_run.py [--items N] [--due K] [--database-url U]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.bench_custody_verify import admin_sql, build_app, with_database  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

BUDGET_SECONDS = 60.0
BATCH = 50_000
HELD = 10
COLUMNS = (
    "id",
    "investigation_id",
    "kind",
    "media_type",
    "size",
    "sha256",
    "blob_key",
    "received_at",
)


def populate(app, items: int, due: int) -> None:
    from app.extensions import db
    from app.retention.models import LegalHold, RetentionRule
    from app.timeutil import utcnow
    from tests.helpers.factories import InvestigationFactory, UserFactory

    with app.app_context():
        investigation = InvestigationFactory(reference="INV-2024-RETENTION")
        user = UserFactory(role="lawyer")
        now = utcnow()
        old, recent = now - timedelta(days=40), now - timedelta(days=1)
        sealed_placeholder = b"\x02" + secrets.token_bytes(40)  # never opened by the run
        due_ids = []
        connection = db.session.connection()
        # A bare table: the model's sealed column refuses raw bytes, and the run never opens it.
        table = sa.table(
            "evidence_items",
            *(sa.column(name) for name in COLUMNS),
            sa.column("original_filename", sa.LargeBinary),
        )
        for start in range(0, items, BATCH):
            rows = []
            for index in range(start, min(start + BATCH, items)):
                item_id = str(uuid.uuid4())
                if index < due:
                    due_ids.append(item_id)
                rows.append(
                    {
                        "id": item_id,
                        "investigation_id": investigation.id,
                        "kind": "photo",
                        "media_type": "image/jpeg",
                        "size": 1000,
                        "sha256": "0" * 64,
                        "blob_key": uuid.uuid4().hex,
                        "original_filename": sealed_placeholder,
                        "received_at": old if index < due else recent,
                    }
                )
            connection.execute(table.insert(), rows)
        db.session.add(
            RetentionRule(
                investigation_id=investigation.id,
                item_kind="any",
                event="received",
                period_days=30,
                action="destroy_item",
                created_by_id=user.id,
            )
        )
        for item_id in due_ids[:HELD]:
            db.session.add(
                LegalHold(
                    investigation_id=investigation.id,
                    target_type="evidence",
                    target_id=item_id,
                    target_label=item_id,
                    authority="Court",
                    authority_reference="BENCH-1",
                    reason="bench",
                    placed_by_id=user.id,
                )
            )
        db.session.commit()


def bare_due_ids() -> int:
    """Baseline: the one query for the ids past the period, nothing else."""
    from app.extensions import db
    from app.timeutil import utcnow

    cutoff = utcnow() - timedelta(days=30)
    table = sa.table("evidence_items", sa.column("id"), sa.column("received_at"))
    stmt = sa.select(table.c.id).where(table.c.received_at <= cutoff)
    return len(db.session.execute(stmt).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_RETENTION_DATABASE_URL") or None,
        help="a PostgreSQL server (postgresql+psycopg://...): after SQLite, the benchmark also "
        "runs there in a database it creates and drops (default: $BENCH_RETENTION_DATABASE_URL)",
    )
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    worst = measure(args, None)
    if not args.database_url:
        print("PostgreSQL not measured: no --database-url or $BENCH_RETENTION_DATABASE_URL")
        return worst
    database = f"custos_bench_retention_{secrets.token_hex(4)}"
    admin_sql(args.database_url, f'CREATE DATABASE "{database}"')
    try:
        return max(worst, measure(args, with_database(args.database_url, database)))
    finally:
        admin_sql(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def measure(args: argparse.Namespace, uri: str | None) -> int:
    backend = "PostgreSQL" if uri else "SQLite"
    with tempfile.TemporaryDirectory(prefix="custos-bench-retention-") as folder:
        app = build_app(Path(folder), uri)
        started = time.perf_counter()
        populate(app, args.items, args.due)
        print(f"built {args.items:,} items in {time.perf_counter() - started:.1f}s")
        from app.extensions import db
        from app.retention.due import due_items

        with app.app_context():
            if uri:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            started = time.perf_counter()
            bare = bare_due_ids()
            baseline = time.perf_counter() - started
            db.session.rollback()
            started = time.perf_counter()
            listed = due_items()
            db.session.commit()
            seconds = time.perf_counter() - started
        held = sum(1 for due in listed if due.held_by)
        within = seconds <= BUDGET_SECONDS
        print(f"{'what':<40} {'seconds':>8}")
        print(f"{'bare query for the due ids (baseline)':<40} {baseline:8.2f}")
        print(f"{f'retention run ({backend})':<40} {seconds:8.2f}  budget {BUDGET_SECONDS:.0f} s")
        print(f"{len(listed):,} due, {held} held")
        record(
            "retention_run" if backend == "SQLite" else "retention_run_postgresql",
            f"retention run <= {BUDGET_SECONDS:.0f} s ({backend}, {args.items:,} items)",
            f"{seconds:.2f} s (bare query {baseline:.2f} s)",
            within,
        )
        if bare != args.due or len(listed) != args.due or held != min(HELD, args.due):
            print("WRONG RESULT")
            return 1
        return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
