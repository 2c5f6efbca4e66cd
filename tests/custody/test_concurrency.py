"""Concurrent appends to one investigation wait for each other and never fork the chain."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.custody.chain import verify_chain
from app.custody.ledger import append_custody_event
from app.extensions import db
from tests.conftest import backend, make_config


def hammer(app, investigation_id: str, threads: int, appends: int) -> tuple[int, list[str]]:
    """Append from many threads at once; return (entries committed, loud failures)."""
    start = threading.Barrier(threads)
    committed = []
    failures: list[str] = []

    def writer(number: int) -> None:
        with app.app_context():
            start.wait()
            for n in range(appends):
                try:
                    append_custody_event(
                        investigation_id,
                        f"system:writer-{number}",
                        "viewed",
                        "evidence",
                        f"ev-{number}-{n}",
                        {"n": n},
                    )
                    db.session.commit()
                    committed.append(1)
                except (sa.exc.OperationalError, sa.exc.IntegrityError) as exc:
                    # A refused append is acceptable (it is loud); a forked chain is not.
                    db.session.rollback()
                    failures.append(type(exc.orig).__name__)
            db.session.remove()

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(committed), failures


def app_with_a_connection_per_writer(app, tmp_path, writers: int):
    """The same database and keys, with a pool as large as the number of writers.

    The default pool (5 + 10 overflow) would make the 16th writer wait for a connection
    rather than for the ledger lock, which is not what this test is about: as in a server,
    where each worker thread holds its own connection.
    """
    from app import create_app
    from app.security import org_keys

    with app.app_context():
        keys = org_keys.keys_dir()
    config = make_config(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        CUSTOS_MASTER_KEY_FILE=app.config["CUSTOS_MASTER_KEY_FILE"],
        CUSTOS_KEYS_DIR=str(keys),
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True,
            "pool_size": writers,
            "max_overflow": 0,
            "pool_timeout": 300,
        },
    )
    return create_app(config)


def chain_rows(investigation_id: str) -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.text(
                "SELECT seq, prev_hash, body_sha256, entry_hash, body FROM custody_entries"
                " WHERE investigation_id = :id ORDER BY seq"
            ),
            {"id": investigation_id},
        )
    ]


@pytest.mark.postgres_only
@pytest.mark.skipif(
    backend() != "postgresql",
    reason="needs PostgreSQL row locks: runs in the CUSTOS_TEST_DB=postgresql pass",
)
def test_sixteen_writers_times_one_hundred_give_one_unbroken_chain_of_1600(
    app, app_ctx, investigation, cli, tmp_path
):
    writers_app = app_with_a_connection_per_writer(app, tmp_path, 16)
    try:
        committed, failures = hammer(writers_app, investigation.id, threads=16, appends=100)
    finally:
        with writers_app.app_context():
            db.engine.dispose()
    assert failures == []
    assert committed == 1600
    rows = chain_rows(investigation.id)
    report = verify_chain(rows)
    assert report.ok, report.reason
    assert report.last_seq == len(rows) == 1600
    result = cli("custody", "verify", investigation.reference)
    assert result.exit_code == 0, result.stderr
    assert f"OK {investigation.reference}: entries 1..1600 intact" in result.stdout


@pytest.mark.skipif(backend() != "sqlite", reason="the SQLite write lock; PostgreSQL is above")
def test_concurrent_sqlite_writers_wait_or_fail_loudly_and_never_fork(app, app_ctx, investigation):
    committed, failures = hammer(app, investigation.id, threads=4, appends=25)
    rows = chain_rows(investigation.id)
    report = verify_chain(rows)
    assert report.ok, report.reason
    assert report.last_seq == committed == 100 - len(failures)
    assert set(failures) <= {"OperationalError", "IntegrityError"}
