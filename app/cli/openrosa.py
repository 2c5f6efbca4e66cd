"""`flask openrosa ...`: sealed phone submissions from intake nodes, opened and listed."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.security.org_keys import KeyStoreError, ReadsDisabled

openrosa_cli = AppGroup("openrosa", help="Phone submissions kept sealed by intake nodes.")


@openrosa_cli.command("open-sealed")
def open_sealed_command() -> None:
    """Open every pending sealed submission into its record (on the reading node)."""
    from app.openrosa.sealed_opening import open_pending

    try:
        report = open_pending(lambda sealed_id, outcome: click.echo(f"{sealed_id}: {outcome}"))
    except (ReadsDisabled, KeyStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Opened {len(report.opened)}, refused {len(report.refused)}.")
    if report.refused:
        raise click.ClickException(
            f"{len(report.refused)} sealed submission(s) were refused; `flask openrosa sealed` "
            "lists them with the reason"
        )


@openrosa_cli.command("retry")
@click.argument("sealed_id")
def retry_command(sealed_id: str) -> None:
    """Put a refused sealed submission back among the pending (after fixing the reason)."""
    from app.openrosa.sealed_opening import retry_refused

    if not retry_refused(sealed_id):
        raise click.ClickException(f"no refused sealed submission {sealed_id}")
    click.echo(f"{sealed_id}: pending; `flask openrosa open-sealed` opens it.")


@openrosa_cli.command("sealed")
@click.option("--status", type=click.Choice(["pending", "opened", "refused"]), default=None)
def list_sealed_command(status: str | None) -> None:
    """List sealed submissions: id, investigation, instanceID, status, reason if refused."""
    from app.investigations.models import Investigation
    from app.openrosa.sealed_models import SealedSubmission

    query = (
        select(SealedSubmission, Investigation.reference)
        .join(Investigation, Investigation.id == SealedSubmission.investigation_id)
        .order_by(SealedSubmission.received_at, SealedSubmission.id)
    )
    if status is not None:
        query = query.where(SealedSubmission.status == status)
    for sealed, reference in db.session.execute(query):
        received = sealed.received_at.isoformat(timespec="seconds")
        line = f"{sealed.id}  {reference}  {sealed.instance_id}  {received}Z  {sealed.status}"
        if sealed.refused_reason:
            line += f"  {sealed.refused_reason}"
        click.echo(line)
