"""`flask backup create OUT` and `flask backup restore IN` (keys are backed up separately)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.backup.archive import ArchiveError
from app.backup.services import BackupError, create_backup, restore_backup
from app.cli.object_lock import mirror_holds_onto_the_store
from app.vault.blobstore.base import BlobStoreError

backup_cli = AppGroup("backup", help="Back up and restore the database and the blob store.")

KEYS_REMINDER = (
    "This backup holds NO keys. Without instance/keys/ and the master key it cannot be read: "
    "keep a copy of those offline, apart from the backups (docs/operations.md)."
)


@backup_cli.command("create")
@click.argument("out", type=click.Path(path_type=Path))
def create(out: Path) -> None:
    """Write the database rows, every blob as stored and a manifest to OUT.

    OUT is a new directory, or a tar file when it ends in .tar. Blobs stay age-encrypted and
    encrypted columns stay encrypted.
    """
    try:
        summary = create_backup(out, report=click.echo)
    except (BackupError, ArchiveError, BlobStoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"backup written to {summary.path}: {summary.tables} tables, {summary.rows} rows, "
        f"{summary.blobs} blobs ({summary.blob_bytes:,} bytes), schema revision "
        f"{summary.revision}"
    )
    click.echo(KEYS_REMINDER)


@backup_cli.command("restore")
@click.argument("source", metavar="IN", type=click.Path(exists=True, path_type=Path))
def restore(source: Path) -> None:
    """Restore a backup into an empty, migrated database and its blob store.

    Run `flask db upgrade` on the new database first; restore refuses a database that holds
    data or is at another schema revision. The keys must be in place to read anything
    afterwards; `flask custody verify` and `flask fixity check` then prove the restore.
    """
    try:
        summary = restore_backup(source, report=click.echo)
    except (BackupError, ArchiveError, BlobStoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"restored {summary.rows} rows in {summary.tables} tables and {summary.blobs} blobs "
        f"({summary.skipped_blobs} already present) at schema revision {summary.revision}"
    )
    mirror_holds_onto_the_store()
