"""Creating a backup of the database and blob store, and restoring one into an empty install.

What a backup holds and does not (docs/operations.md, "Backups"): every table's rows and
every blob as stored, plus a manifest with row counts, the SHA-256 and size of each file and
blob, and the Alembic revision. It holds NO keys: the organisation identity (instance/keys/)
and the master key are backed up apart from it, offline. Without them the backup is
ciphertext and encrypted columns; with them it is the whole record.

The rows are read in one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on
SQLite) before the blobs are listed: a blob is durable before the row naming it commits, so
every blob a dumped row names is in the store when the blobs are copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Table, delete

from app.backup.archive import MANIFEST, ArchiveError, open_reader, open_writer, read_all
from app.backup.blobs import BlobMismatch, put_blob, read_blob, stored_sha256
from app.backup.tables import count_rows, dump_rows, reset_sequence, restore_rows, type_name
from app.extensions import db
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError, is_blob_key
from app.vault.storage import blob_store

FORMAT = "custos-backup"
VERSION = 1
# Tables that migrations fill: 0004 the default taxonomies, 0042 the labels of consent
# purposes and custody actions. A freshly migrated database has these rows, and a restore
# replaces them with the backup's (tests/backup checks that a fresh database has rows in no
# other table).
SEEDED_TABLES = ("target_types", "weapon_types", "vocabulary_labels")

Report = Callable[[str], None]


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message tells the operator why and what to do."""


@dataclass
class BackupSummary:
    path: Path
    tables: int = 0
    rows: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    revision: str | None = None
    skipped_blobs: int = 0
    row_counts: dict[str, int] = field(default_factory=dict)


def app_tables() -> list[Table]:
    """Every table of the app's models, parents before children (foreign-key order)."""
    return list(db.metadata.sorted_tables)


def create_backup(out: Path, report: Report | None = None) -> BackupSummary:
    """Write a backup to OUT (a new directory, or a .tar file)."""
    say = report or (lambda _line: None)
    writer = open_writer(out)
    summary = BackupSummary(path=out)
    try:
        manifest = _dump_database(writer, summary, say)
        manifest["blobs"] = _copy_blobs(writer, summary, say)
        data = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        writer.add(MANIFEST, [data], len(data))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return summary


def _dump_database(writer, summary: BackupSummary, say: Report) -> dict:
    engine = db.engine
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with conn.begin():
            if conn.dialect.name == "sqlite":
                # pysqlite opens transactions only before writes; this one must be a snapshot.
                conn.exec_driver_sql("BEGIN")
            summary.revision = _current_revision(conn)
            if summary.revision is None:
                raise BackupError("the database has no Alembic revision: run `flask db upgrade`")
            tables = []
            for table in app_tables():
                name = f"tables/{table.name}.jsonl"
                written = writer.add(name, _counting(dump_rows(conn, table), summary, table.name))
                tables.append(
                    {
                        "name": table.name,
                        "file": name,
                        "rows": summary.row_counts[table.name],
                        "size": written.size,
                        "sha256": written.sha256,
                        "columns": {c.name: type_name(c) for c in table.columns},
                    }
                )
                if summary.row_counts[table.name]:
                    say(f"table {table.name}: {summary.row_counts[table.name]} rows")
    summary.tables = len(tables)
    summary.rows = sum(summary.row_counts.values())
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat() + "Z",
        "alembic_revision": summary.revision,
        "database": engine.dialect.name,
        "keys_included": False,
        "tables": tables,
    }


def _counting(lines, summary: BackupSummary, table: str):
    summary.row_counts[table] = 0
    for line in lines:
        summary.row_counts[table] += 1
        yield line


def _copy_blobs(writer, summary: BackupSummary, say: Report) -> list[dict]:
    store = blob_store()
    blobs = []
    for info in store.list():
        written = writer.add(f"blobs/{info.key}", read_blob(store, info.key, info.size), info.size)
        blobs.append({"key": info.key, "size": written.size, "sha256": written.sha256})
        summary.blobs += 1
        summary.blob_bytes += written.size
    say(f"blobs: {summary.blobs} ({summary.blob_bytes:,} bytes)")
    return blobs


def restore_backup(source: Path, report: Report | None = None) -> BackupSummary:
    """Restore a backup into this app's database (migrated, empty) and blob store.

    Checked before anything is written: the manifest, the Alembic revision, the emptiness
    of the database, and the SHA-256 of every table file. Each blob is hashed as it is
    copied and committed only if it matches. The rows go in one transaction; if it fails,
    the blobs this run added are removed again, so a failed restore leaves things as they were.
    """
    say = report or (lambda _line: None)
    reader = open_reader(source)
    summary = BackupSummary(path=source)
    try:
        manifest = _read_manifest(reader)
        tables = _check_target(manifest)
        _verify_table_files(reader, manifest)
        added = _restore_blobs(reader, manifest, summary, say)
        try:
            _restore_rows(reader, manifest, tables, summary, say)
        except BaseException:
            _remove_blobs(added)
            raise
    finally:
        reader.close()
    summary.revision = manifest["alembic_revision"]
    return summary


def _read_manifest(reader) -> dict:
    try:
        manifest = json.loads(read_all(reader.read(MANIFEST)))
    except ArchiveError:
        raise BackupError("no manifest.json: this is not a Custos backup") from None
    except ValueError:
        raise BackupError("manifest.json is not valid JSON") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"not a {FORMAT} version {VERSION} backup")
    for blob in manifest.get("blobs", []):
        if not is_blob_key(str(blob.get("key"))):
            raise BackupError("the manifest names a blob with an invalid key")
    return manifest


def _check_target(manifest: dict) -> dict[str, Table]:
    """The app's tables by name, once the target is known to be migrated alike and empty."""
    tables = {t.name: t for t in app_tables()}
    with db.engine.connect() as conn:
        revision = _current_revision(conn)
        if revision is None:
            raise BackupError(
                "the database has no schema: run `flask db upgrade` first, then restore"
            )
        if revision != manifest["alembic_revision"]:
            raise BackupError(
                f"the backup is of schema revision {manifest['alembic_revision']} and this "
                f"database is at {revision}: restore with the Custos version that made the "
                "backup (or `flask db upgrade` / `downgrade` an empty database to that revision), "
                "then upgrade"
            )
        named = {t["name"] for t in manifest["tables"]}
        if named != set(tables):
            raise BackupError("the backup's tables differ from this version's tables")
        busy = [
            name
            for name, table in tables.items()
            if name not in SEEDED_TABLES and count_rows(conn, table)
        ]
    if busy:
        raise BackupError(
            "restore only goes into an empty database, and this one has rows in "
            f"{', '.join(sorted(busy))}. Create a new database, run `flask db upgrade`, "
            "and restore into that."
        )
    return tables


def _verify_table_files(reader, manifest: dict) -> None:
    for entry in manifest["tables"]:
        digest, size = hashlib.sha256(), 0
        for chunk in reader.read(entry["file"]):
            digest.update(chunk)
            size += len(chunk)
        if (size, digest.hexdigest()) != (entry["size"], entry["sha256"]):
            raise BackupError(f"{entry['file']} does not match its SHA-256 in the manifest")


def _restore_blobs(reader, manifest: dict, summary: BackupSummary, say: Report) -> list[str]:
    store = blob_store()
    added: list[str] = []
    try:
        for entry in manifest["blobs"]:
            key, size, sha256 = entry["key"], entry["size"], entry["sha256"]
            present = stored_sha256(store, key)
            if present is not None:
                if present != (size, sha256):
                    raise BackupError(
                        f"blob {key} is already in the store with other bytes; restore into "
                        "an empty blob store"
                    )
                summary.skipped_blobs += 1  # an earlier, interrupted restore copied it
                continue
            try:
                put_blob(store, key, reader.read(f"blobs/{key}"), sha256)
            except BlobMismatch:
                raise BackupError(
                    f"blob {key} does not match its SHA-256 in the manifest: the backup is "
                    "damaged; nothing was restored"
                ) from None
            added.append(key)
            summary.blobs += 1
            summary.blob_bytes += size
    except BaseException:
        _remove_blobs(added)
        raise
    say(f"blobs: {summary.blobs} restored, {summary.skipped_blobs} already present")
    return added


def _remove_blobs(keys: list[str]) -> None:
    store = blob_store()
    for key in keys:
        try:
            store.delete(key)
        except BlobStoreError:
            continue  # left as an orphan for `flask blobs gc`


def _restore_rows(reader, manifest: dict, tables: dict[str, Table], summary, say) -> None:
    with db.engine.begin() as conn:
        for name in SEEDED_TABLES:
            conn.execute(delete(tables[name]))
        for entry in _in_dependency_order(manifest, tables):
            table = tables[entry["name"]]
            restored = restore_rows(conn, table, _lines(reader.read(entry["file"])))
            if restored != entry["rows"]:
                raise BackupError(
                    f"{entry['file']}: {restored} rows, the manifest says {entry['rows']}"
                )
            reset_sequence(conn, table)
            summary.row_counts[table.name] = restored
            if restored:
                say(f"table {table.name}: {restored} rows")
        _check_counts(conn, manifest, tables)
    summary.tables = len(manifest["tables"])
    summary.rows = sum(summary.row_counts.values())


def _in_dependency_order(manifest: dict, tables: dict[str, Table]) -> list[dict]:
    order = {table.name: index for index, table in enumerate(tables.values())}
    return sorted(manifest["tables"], key=lambda entry: order[entry["name"]])


def _check_counts(conn: Connection, manifest: dict, tables: dict[str, Table]) -> None:
    for entry in manifest["tables"]:
        actual = count_rows(conn, tables[entry["name"]])
        if actual != entry["rows"]:
            raise BackupError(f"table {entry['name']}: {actual} rows after restore")


def _lines(chunks):
    """Lines of a JSON-lines file read in chunks (a line may span chunks)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line for line in lines if line)
    if pending:
        yield pending


def _current_revision(conn) -> str | None:
    """The database's Alembic revision (Alembic imported only when a backup runs)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()
