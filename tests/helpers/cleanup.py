"""Emptying every table of the test database between tests, quickly on both backends.

DELETE, not TRUNCATE: PostgreSQL's TRUNCATE makes new files for every table and index it
empties, about a second for the app's fifty tables, where deleting the few rows a test wrote
takes milliseconds. The custody ledger's tables refuse DELETE by trigger (migration 0003), so
their triggers are set aside inside the very transaction that empties them, which nobody else
sees before they are back. Sequences restart at 1, as TRUNCATE ... RESTART IDENTITY did.
"""

from __future__ import annotations

import sqlalchemy as sa

# Tables of the schema holding triggers of their own (not the ones enforcing foreign keys).
GUARDED_TABLES = sa.text(
    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
)
RESTART_SEQUENCES = sa.text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
)


def empty_tables(conn: sa.Connection, tables: list[str]) -> None:
    """Delete every row of `tables` (parents first in the list; children are emptied first)."""
    if conn.dialect.name != "postgresql":
        for name in reversed(tables):
            conn.execute(sa.text(f'DELETE FROM "{name}"'))
        return
    guarded = set(conn.execute(GUARDED_TABLES).scalars())
    for name in reversed(tables):
        if name in guarded:
            conn.execute(sa.text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
            conn.execute(sa.text(f'DELETE FROM "{name}"'))
            conn.execute(sa.text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))
        else:
            conn.execute(sa.text(f'DELETE FROM "{name}"'))
    conn.execute(RESTART_SEQUENCES)
