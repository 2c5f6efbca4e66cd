"""`flask blobs gc`: remove orphaned blobs and abandoned partial uploads."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.vault.blobstore.base import BlobStoreError

blobs_cli = AppGroup("blobs", help="The evidence blob store.")


@blobs_cli.command("gc")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=3600,
    show_default=True,
    help="Only remove orphans last written at least this many seconds ago.",
)
def gc_command(older_than: int) -> None:
    """Remove committed blobs no row references, stale partial writes and expired uploads."""
    from app.vault.gc import collect_garbage

    def report(key: str, what: str, size: int) -> None:
        click.echo(f"removed {what}: {key} ({size} bytes)")

    try:
        result = collect_garbage(timedelta(seconds=older_than), report)
    except BlobStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    for key, why in result.kept:
        click.echo(f"kept blob: {key} ({why})")
    for key, error in result.refused:
        click.echo(f"kept blob: {key} (the object store refused to delete it: {error})")
    for session_id in result.expired_sessions:
        click.echo(f"removed expired upload session: {session_id}")
    click.echo(
        f"total: {len(result.removed)} object(s), {result.total_bytes} bytes removed; "
        f"{len(result.expired_sessions)} expired upload session(s)"
    )
    if result.refused:  # not a hold Custos knows of: someone should look
        raise click.ClickException(
            f"the object store refused to delete {len(result.refused)} unreferenced blob(s) "
            "(an Object Lock legal hold or retention on them, or the store's permissions)"
        )
