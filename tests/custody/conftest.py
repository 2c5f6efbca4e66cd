"""Custody test fixtures: ledgers built through the real append path, raw SQL for tampering."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.custody.ledger import append_custody_event
from app.extensions import db
from tests.conftest import backend


@pytest.fixture(autouse=True)
def _organisation_keys(request: pytest.FixtureRequest):
    """The organisation keys the checkpoints are signed with (created once per test app)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from app.security import org_keys  # after the app: importing it first is circular today

    with app.app_context():
        if not org_keys.keys_initialised():
            org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    yield


@pytest.fixture
def public_key(app) -> str:
    """The organisation's minisign public key (`RW...`), as `flask keys public` prints it."""
    from app.security import org_keys

    with app.app_context():
        return org_keys.minisign_public_key()


@pytest.fixture
def append_entries(app_ctx):
    """append_entries(investigation, n) -> entries, each committed (so checkpointed) alone."""

    def _append(investigation, count: int, *, actor="system:test", commit_each: bool = True):
        entries = []
        for number in range(count):
            entries.append(
                append_custody_event(
                    investigation.id, actor, "viewed", "evidence", f"ev-{number:04d}", {"n": number}
                )
            )
            if commit_each:
                db.session.commit()
        if not commit_each:
            db.session.commit()
        return entries

    return _append


@pytest.fixture
def run_sql(app_ctx):
    """Change the database behind the application's back, as an attacker with access would."""

    def _run(sql: str, **params):
        with db.engine.begin() as conn:
            return conn.execute(sa.text(sql), params)

    return _run


@pytest.fixture
def cli(app):
    """cli("custody", "verify") -> click Result (stdout and stderr kept apart)."""

    def _run(*args: str):
        return app.test_cli_runner().invoke(args=list(args))

    return _run


APPEND_ONLY = ("custody_entries", "custody_checkpoints")


@pytest.fixture
def attacker(run_sql):
    """Raw SQL with the append-only trigger out of the way (PostgreSQL), as a DB admin has."""
    if backend() == "postgresql":
        for table in APPEND_ONLY:
            run_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    yield run_sql
    if backend() == "postgresql":
        for table in APPEND_ONLY:
            run_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
