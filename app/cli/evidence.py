"""`flask evidence process` (media processing for items that have not had it yet) and
`flask evidence import-captures` (a folder of web captures received through the upload path)."""

from __future__ import annotations

import sys
from pathlib import Path

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


@evidence_cli.command("import-captures")
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, path_type=Path, resolve_path=True)
)
@click.option("--investigation", "reference", required=True, help="The investigation's reference.")
@click.option(
    "--by", "by_email", required=True, help="The member receiving them (named in the ledger)."
)
def import_captures_command(folder: Path, reference: str, by_email: str) -> None:
    """Receive every web capture (WACZ, WARC) under FOLDER into the investigation, as the
    upload form would, and say what was received, what was refused and why."""
    from app.admin.services import investigation_by_reference
    from app.auth.services.accounts import user_by_email
    from app.investigations.access import membership_for
    from app.webcapture.folder_import import capture_files, import_captures

    investigation = investigation_by_reference(reference.upper())
    if investigation is None:
        raise click.ClickException(f"No investigation {reference}.")
    user = user_by_email(by_email)
    if user is None or membership_for(investigation, user) is None:
        raise click.ClickException(f"{by_email} is not a member of {investigation.reference}.")
    total = sum(p.stat().st_size for p, problem in capture_files(folder) if problem is None)
    with click.progressbar(length=total, label="Receiving", file=sys.stderr) as bar:
        result = import_captures(folder, investigation, user, bar.update)
    for outcome in result.received:
        check = outcome.verdict or "not checked yet"
        failure = f" ({outcome.failure})" if outcome.failure else ""
        click.echo(f"received: {outcome.path} -> {outcome.evidence_id}, check {check}{failure}")
    for outcome in result.refused:
        click.echo(f"refused: {outcome.path}: {outcome.reason}")
    click.echo(f"total: {len(result.received)} received, {len(result.refused)} refused")
    if result.refused:
        raise SystemExit(1)
