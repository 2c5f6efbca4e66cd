"""A Custos install of a test's own: a brand-new database (SQLite or PG schema), app migrated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.conftest import IsolatedClient, backend, make_config, require_postgres


@contextmanager
def private_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL of the PostgreSQL at `url` whose search path is a new schema, dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def fresh_database(sqlite_file: Path, schema_prefix: str) -> Iterator[str]:
    """A brand-new database of the session's backend: `sqlite_file`, or a private schema."""
    if backend() != "postgresql":
        yield f"sqlite:///{sqlite_file}"
        return
    with private_schema(require_postgres(), schema_prefix) as url:
        yield url


@contextmanager
def migrated_app(database_url: str, instance: Path) -> Iterator[Flask]:
    """The app on `database_url` with `instance` as its folder, after `flask db upgrade`."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    application = create_app(make_config(database_url, instance))
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
