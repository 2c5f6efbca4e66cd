"""An intake node under its own PostgreSQL role, for the role and seizure-drill tests: the
schema and URL of this run, and one statement run as the role on a connection of its own."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa


def schema_and_url(app) -> tuple[str, sa.engine.URL]:
    """The private schema of this test run and the owner's URL (tests/conftest.py)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    schema = url.query["options"].split("search_path=")[1]
    return schema, url


def as_role(role_url: str, sql: str):
    """Run one statement as the intake role on a connection of its own; return the rows."""
    url = sa.engine.make_url(role_url)
    options = url.query["options"]
    dsn = f"host={url.host} port={url.port} dbname={url.database} user={url.username}"
    with psycopg.connect(dsn, options=options.replace("%3D", "=")) as connection:
        return connection.execute(sql).fetchall()
