"""Test fixtures: one app per session on SQLite or PostgreSQL, clean tables per test, real CSRF."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestingConfig

pytest_plugins = ["tests.helpers.fixtures"]

ROOT = Path(__file__).resolve().parent.parent


def backend() -> str:
    return os.environ.get("CUSTOS_TEST_DB", "sqlite")


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL")


def require_postgres() -> str:
    """The PostgreSQL URL; in CI a missing server fails the run instead of skipping it."""
    url = postgres_url()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests skipped: TEST_DATABASE_URL is not set")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {type(exc).__name__}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory):
    """A fresh database for this test session: a SQLite file, or a private PostgreSQL schema."""
    if backend() != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'custos-test.db'}"
        return
    url = require_postgres()
    schema = f"custos_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    # synchronous_commit=off: a commit does not wait for its WAL to reach the disk, which only
    # a crash of the server itself could lose (tests/faults crashes a cluster of its own).
    options = f"options=-csynchronous_commit%3Doff%20-csearch_path%3D{schema}"
    yield f"{url}{separator}{options}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in a real server.

    Without this, requests made while a test holds an app context share its `g` (Flask reuses a
    pushed context), so Flask-Login's cached user and Flask-WTF's CSRF token would leak between
    clients and hide real bugs.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_config(database_url: str, instance: Path, **overrides) -> TestingConfig:
    os.environ.pop("CUSTOS_MASTER_KEY", None)
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.INSTANCE_PATH = instance
    config.CUSTOS_MASTER_KEY_FILE = instance / "master.key"
    config.BLOB_DIR = instance / "blobs"
    config.LOGIN_RATE_LIMIT = "1000 per minute"
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def _without_fsync(dbapi_connection, _record) -> None:
    """The session's SQLite file need not survive a power cut: no fsync at every commit.

    Journaling and locking are unchanged, so a test that kills a process still sees SQLite
    roll back what that process had not committed.
    """
    dbapi_connection.execute("PRAGMA synchronous = OFF")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    """The app under test, its schema built by the real Alembic migrations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys

    instance = tmp_path_factory.mktemp("instance")
    generate_master_key_file(instance / "master.key")
    application = create_app(make_config(database_url, instance))
    application.test_client_class = IsolatedClient
    with application.app_context():
        if backend() != "postgresql":
            sa.event.listen(db.engine, "connect", _without_fsync)
        upgrade()
    init_keys(instance / "keys", application.extensions["custos.master_key"])
    return application


def _truncate_all(app) -> None:
    from app.extensions import db
    from tests.helpers.cleanup import empty_tables

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            empty_tables(conn, [t.name for t in db.metadata.sorted_tables])


# Set while a shared world (tests/helpers/snapshot.py) is left in the tables after its test.
WORLD_LEFT = "tests.shared_world_left"


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest):
    """Every test that uses the app starts from empty tables, or from its shared world.

    A test of `shared_worlds` restores its world's snapshot first, which overwrites every
    table, so its rows are left for the next such test; any other test that follows finds
    the tables emptied first.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    shares_world = "shared_worlds" in request.fixturenames
    if not shares_world and app.extensions.pop(WORLD_LEFT, False):
        _truncate_all(app)
    yield
    if shares_world:
        app.extensions[WORLD_LEFT] = True
    else:
        _truncate_all(app)


@pytest.fixture(scope="module")
def shared_worlds(app):
    """A module's costly worlds, each built once and restored before every test using it."""
    from tests.helpers.snapshot import SharedWorlds

    worlds = SharedWorlds(app, _truncate_all)
    yield worlds
    with app.app_context():
        worlds.close()
    app.extensions.pop(WORLD_LEFT, None)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
