"""`flask evidence process`: media processing for items that have not had it yet."""

from __future__ import annotations

import click
from flask.cli import AppGroup

evidence_cli = AppGroup("evidence", help="Evidence items: post-intake media processing.")


@evidence_cli.command("process")
@click.option(
    "--limit", type=click.IntRange(min=0), default=0, help="At most this many items (0: all)."
)
@click.option(
    "--all-items",
    is_flag=True,
    help="Every item, oldest first, processed or not: each step skips what it did already, "
    "so this adds only what is new (PDQ hashes, a first consistency check, a web-capture "
    "check).",
)
def process_command(limit: int, all_items: bool) -> None:
    """Extract metadata and make derivatives for every item not processed yet.

    Items received by an intake-only node (which cannot decrypt) wait for this, run on a
    node that holds the private key.
    """
    from app.security.org_keys import ReadsDisabled, intake_only
    from app.vault.processing import pending_evidence_ids, process_new_evidence
    from app.vault.reading.evidence import EvidenceUnreadable

    if intake_only():
        raise click.ClickException(str(ReadsDisabled()))
    ids = pending_evidence_ids(limit or None, include_processed=all_items)
    failed = 0
    for evidence_id in ids:
        try:
            process_new_evidence(evidence_id)
        except EvidenceUnreadable as exc:
            failed += 1
            click.echo(f"unreadable: {evidence_id} ({exc.reason})", err=True)
            continue
        click.echo(f"processed: {evidence_id}")
    click.echo(f"total: {len(ids) - failed} processed, {failed} unreadable")
    if failed:
        raise SystemExit(1)
