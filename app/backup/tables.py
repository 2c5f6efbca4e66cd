"""Database rows as portable JSON lines, read and written with SQLAlchemy Core.

Rows are read and written through "storage" copies of the app's tables: the same columns
with each TypeDecorator replaced by the type it stores as. So EncryptedText columns travel
as the ciphertext bytes they hold (never decrypted; their associated data names the table,
column and row id, which a restore keeps), and the same dump restores into SQLite or
PostgreSQL. Values in JSON: bytes as base64, datetimes and dates in ISO 8601, JSON columns
as JSON, decimals as strings; everything else as it is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    func,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

INSERT_BATCH = 500


def storage_type(column: Column) -> TypeEngine:
    """The type a column is stored as: a TypeDecorator's implementation, else its own type."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        # SQL NULL stays SQL NULL (JSON's default would write the JSON literal null).
        return JSON(none_as_null=True)
    return kind


def storage_table(table: Table) -> Table:
    """A copy of `table` with plain storage types, in a metadata of its own."""
    columns = [
        Column(c.name, storage_type(c), primary_key=c.primary_key, autoincrement=False)
        for c in table.columns
    ]
    return Table(table.name, MetaData(), *columns)


def type_name(column: Column) -> str:
    return type(storage_type(column)).__name__


def encode_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_value(kind: TypeEngine, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return Decimal(value)
    return value


def dump_rows(conn: Connection, table: Table) -> Iterator[bytes]:
    """Every row of `table`, one JSON line each, in primary-key order (streamed)."""
    stored = storage_table(table)
    stmt = select(stored).order_by(*stored.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
    for row in result.mappings():
        line = {name: encode_value(value) for name, value in row.items()}
        yield json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def count_rows(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def self_references(table: Table) -> list[str]:
    """Columns that point at another row of the same table (e.g. a consent it supersedes)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]


def restore_rows(conn: Connection, table: Table, lines: Iterable[bytes]) -> int:
    """Insert the dumped rows into `table`; returns how many.

    A column pointing at another row of the same table is inserted empty and set in a
    second pass, so rows need no particular order (PostgreSQL checks foreign keys per row).
    """
    stored = storage_table(table)
    kinds = {c.name: c.type for c in stored.columns}
    deferred = self_references(table)
    for name in deferred:
        if not table.c[name].nullable:
            raise ValueError(f"{table.name}.{name} refers to its own table and is NOT NULL")
    links: list[tuple[dict, dict]] = []
    batch: list[dict] = []
    count = 0
    for line in lines:
        raw = json.loads(line)
        if set(raw) != set(kinds):
            raise ValueError(f"{table.name}: a row's columns differ from the table's")
        row = {name: decode_value(kinds[name], value) for name, value in raw.items()}
        if deferred:
            values = {name: row[name] for name in deferred if row[name] is not None}
            if values:
                key = {c.name: row[c.name] for c in stored.primary_key.columns}
                links.append((key, values))
            row.update(dict.fromkeys(deferred))
        batch.append(row)
        count += 1
        if len(batch) >= INSERT_BATCH:
            conn.execute(stored.insert(), batch)
            batch = []
    if batch:
        conn.execute(stored.insert(), batch)
    for key, values in links:
        where = [stored.c[name] == value for name, value in key.items()]
        conn.execute(update(stored).where(*where).values(**values))
    return count


def reset_sequence(conn: Connection, table: Table) -> None:
    """Point a PostgreSQL serial's sequence past the restored ids (inserts gave explicit ids)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY takes max(rowid) + 1 by itself
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    column = keys[0].name
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column},
    ).scalar()
    if sequence is None:
        return
    key = table.c[column]
    highest = func.max(key)
    conn.execute(select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None))))
