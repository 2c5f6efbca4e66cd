"""A copy of the whole test database, put back before each test that shares one costly world.

Building a world (an investigation with intake records, evidence and its derivatives, a case
file, accounts signed in) takes the route matrices most of their time; a snapshot taken once
is put back in milliseconds, so every test still starts from the very same rows, writes of
the test before included undone. SQLite copies the file's pages with its backup API;
PostgreSQL keeps the rows in a schema of their own and copies them back into emptied tables,
then moves each sequence past the ids it copied back.
"""

from __future__ import annotations

import sqlite3
import uuid

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from tests.helpers.cleanup import empty_tables

SEQUENCES = sa.text(
    "SELECT relname FROM pg_class WHERE relkind = 'S' "
    "AND relnamespace = current_schema()::regnamespace"
)
SET_SEQUENCE = sa.text("SELECT setval(CAST(:name AS regclass), :value, :called)")


def _tables() -> list[str]:
    """The app's tables, parents before children."""
    return [table.name for table in db.metadata.sorted_tables]


class DatabaseSnapshot:
    """The rows of every table of the app's database as they were when `take` was called."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.sqlite_copy: sqlite3.Connection | None = None
        self.schema: str | None = None
        self.filled: list[str] = []
        self.sequences: list[dict] = []

    @classmethod
    def take(cls, app: Flask) -> DatabaseSnapshot:
        snapshot = cls(app)
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "sqlite":
                snapshot.sqlite_copy = sqlite3.connect(":memory:", check_same_thread=False)
                with db.engine.connect() as conn:
                    conn.connection.driver_connection.backup(snapshot.sqlite_copy)
            else:
                snapshot._copy_into_own_schema()
        return snapshot

    def _copy_into_own_schema(self) -> None:
        with db.engine.begin() as conn:
            live = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            self.schema = f"{live}_snap_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
            for name in _tables():
                conn.execute(
                    sa.text(f'CREATE TABLE "{self.schema}"."{name}" AS TABLE "{live}"."{name}"')
                )
                if conn.execute(sa.text(f'SELECT EXISTS (SELECT 1 FROM "{name}")')).scalar():
                    self.filled.append(name)
            for name in conn.execute(SEQUENCES).scalars():
                value, called = conn.execute(
                    sa.text(f'SELECT last_value, is_called FROM "{name}"')
                ).one()
                self.sequences.append({"name": f'"{name}"', "value": value, "called": called})

    def restore(self) -> None:
        """Put every table back as it was: rows added since are gone, rows changed are back."""
        with self.app.app_context():
            db.session.remove()
            if self.sqlite_copy is not None:
                with db.engine.connect() as conn:
                    self.sqlite_copy.backup(conn.connection.driver_connection)
                return
            with db.engine.begin() as conn:
                empty_tables(conn, _tables())
                for name in self.filled:
                    conn.execute(
                        sa.text(f'INSERT INTO "{name}" SELECT * FROM "{self.schema}"."{name}"')
                    )
                for sequence in self.sequences:
                    conn.execute(SET_SEQUENCE, sequence)

    def drop(self) -> None:
        if self.sqlite_copy is not None:
            self.sqlite_copy.close()
            self.sqlite_copy = None
        if self.schema is not None:
            with self.app.app_context(), db.engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.schema = None


class SharedWorlds:
    """One world at a time, built on first use of its key, then put back before each test.

    `get(key, build)` runs `build()` on empty tables when the key is new (the previous world's
    snapshot is dropped) and snapshots the result; for the same key again it restores that
    snapshot. What `build` returns is handed back unchanged, so it must hold plain values
    (ids, references, cookies), not rows of a session that has since been closed.
    """

    def __init__(self, app: Flask, empty_all) -> None:
        self.app = app
        self.empty_all = empty_all
        self.key: object = None
        self.value: object = None
        self.snapshot: DatabaseSnapshot | None = None

    def get(self, key: object, build):
        db.session.remove()
        if self.snapshot is not None and key == self.key:
            self.snapshot.restore()
            return self.value
        self.close()
        self.value = build()
        db.session.remove()
        self.snapshot = DatabaseSnapshot.take(self.app)
        self.key = key
        return self.value

    def close(self) -> None:
        """Drop the snapshot and empty the tables."""
        if self.snapshot is not None:
            self.snapshot.drop()
        self.snapshot = self.key = self.value = None
        self.empty_all(self.app)
