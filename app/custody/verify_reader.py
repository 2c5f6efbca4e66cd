"""What verification reads: raw DBAPI rows of a ledger, all in one snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine


class LedgerReader:
    """Raw DBAPI access for verification: plain tuples, one snapshot per ledger."""

    def __init__(self, engine: Engine) -> None:
        self._proxy = engine.raw_connection()
        self._dbapi = self._proxy.driver_connection
        self._postgres = engine.dialect.name == "postgresql"

    def begin_snapshot(self) -> None:
        # One snapshot for entries and checkpoints: a writer committing meanwhile (entries
        # and their checkpoint together) is either wholly seen or wholly unseen, never half.
        cursor = self._dbapi.cursor()
        if self._postgres:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            # sqlite3 only opens transactions before writes; open the read one by hand.
            cursor.execute("BEGIN")

    def end(self) -> None:
        self._dbapi.rollback()

    def close(self) -> None:
        self._dbapi.rollback()
        self._proxy.close()

    def stream(self, sql: str, params: tuple) -> Iterator[tuple]:
        """Rows as plain tuples, without loading a whole ledger into memory."""
        if self._postgres:
            # Server-side, in batches, in the binary format (bytea without hex, a third faster).
            cursor = self._dbapi.cursor(name="custody_verify", binary=True)
            cursor.itersize = 20_000
        else:
            cursor = self._dbapi.cursor()
            cursor.arraysize = 20_000
        cursor.execute(self._sql(sql), params)
        return iter(cursor)

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(sql), params)
        return cursor.fetchall()

    def first(self, sql: str, params: tuple) -> tuple | None:
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(sql), params)
        return cursor.fetchone()

    def scalar(self, sql: str, *params: object) -> object:
        row = self.first(sql, params)
        return row[0] if row else None

    def _sql(self, sql: str) -> str:
        # Statements here are written with "?" (sqlite3); psycopg takes "%s".
        return sql.replace("?", "%s") if self._postgres else sql
