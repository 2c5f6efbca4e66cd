"""`flask case ...`: list and export case files; `flask taxonomy load` adds the legal frameworks."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.services.accounts import user_by_email
from app.casefiles.models import CaseFile, Destination
from app.casefiles.services.destinations import RULES
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.export_bagit import ExportRequest, export_casefile
from app.casefiles.services.exports import exporter_for, maintain_exports
from app.casefiles.services.frameworks import load_shipped_frameworks
from app.casefiles.services.redaction import Exporter
from app.crypto.age import Recipient
from app.extensions import db
from app.investigations.models import Investigation

case_cli = AppGroup("case", help="Case files: list them, export one as a signed BagIt bag.")


@case_cli.command("list")
def list_casefiles() -> None:
    """One case file a line: REF<TAB>status<TAB>title."""
    for casefile in db.session.scalars(select(CaseFile).order_by(CaseFile.reference)):
        click.echo(f"{casefile.reference}\t{casefile.status}\t{casefile.title}")


@case_cli.command("export")
@click.argument("reference")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="New path.")
@click.option("--recipient", default=None, help="age public key (age1...): write a .tar.age.")
@click.option(
    "--files",
    type=click.Choice(["originals", "redacted", "both"]),
    default="originals",
    show_default=True,
)
@click.option("--for", "for_whom", default="", help="Whom the export is for (bag-info.txt).")
@click.option(
    "--destination",
    type=click.Choice(list(RULES)),
    default=Destination.INTERNAL_REVIEW.value,
    show_default=True,
    help="Where it goes; decides the consent testimony needs. External needs approval.",
)
@click.option(
    "--unencrypted-reason",
    default=None,
    help="Without --recipient the bag is written unencrypted: say why (bag-info.txt, report).",
)
@click.option(
    "--location-precision",
    type=click.IntRange(0, 2),
    default=None,
    help="With --files redacted: keep the GPS position rounded to this many decimals.",
)
@click.option("--by", "by_email", default=None, help="The lawyer exporting (default: operator).")
def export(
    reference: str,
    out: Path,
    recipient: str | None,
    files: str,
    for_whom: str,
    destination: str,
    unencrypted_reason: str | None,
    location_precision: int | None,
    by_email: str | None,
) -> None:
    """Export case file REFERENCE as a BagIt bag at --out (a directory), or with --recipient as
    one age-encrypted tar file. Witnesses always appear by pseudonym from the command line."""
    casefile = db.session.scalar(select(CaseFile).where(CaseFile.reference == reference))
    if casefile is None:
        raise click.ClickException(f"no case file {reference}")
    investigation = db.session.get(Investigation, casefile.investigation_id)
    if by_email:
        user = user_by_email(by_email)
        if user is None:
            raise click.ClickException(f"no account {by_email}")
        try:
            exporter = exporter_for(investigation, user)
        except CaseFileError as exc:
            raise click.ClickException(exc.message) from None
        # Naming witnesses needs the explicit tick of the web form; never from a shell.
        exporter = Exporter(exporter.actor, exporter.label, user, may_see_identities=False)
    else:
        exporter = Exporter(actor="system:cli", label="operator (command line)")
    request = ExportRequest(
        files=files,
        for_whom=for_whom or "not stated (command-line export)",
        recipient=recipient,
        destination=destination,
        unencrypted_reason=unencrypted_reason,
        location_precision=location_precision,
    )
    pack_for = [Recipient.parse(recipient)] if recipient else None

    def progress(percent: float, message: str) -> None:
        click.echo(f"{int(percent):3d}% {message}", err=True)

    try:
        result = export_casefile(casefile, exporter, request, out, pack_for, _throttled(progress))
    except CaseFileError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"wrote {result.path}")
    click.echo(f"tagmanifest-sha256: {result.tagmanifest_sha256}")
    if result.output_sha256:
        click.echo(f"sha256 of {result.path.name}: {result.output_sha256}")
    for excluded in result.excluded:
        click.echo(f"left out {excluded.label}: {excluded.reason}")


@case_cli.command("prune-exports")
def prune_exports() -> None:
    """Delete what failed exports left behind, and finished exports past their retention."""
    cleaned, expired = maintain_exports()
    click.echo(f"removed the leftovers of {cleaned} failed export(s)")
    click.echo(f"deleted {expired} export(s) past their retention")


def _throttled(report):
    """Print a progress line when the message changes or every 5 percent, not per chunk."""
    last = {"percent": -5, "message": ""}

    def emit(percent: float, message: str) -> None:
        if message != last["message"] or int(percent) >= last["percent"] + 5:
            last.update(percent=int(percent), message=message)
            report(percent, message)

    return emit


@click.command("load")
def taxonomy_load() -> None:
    """Load the shipped taxonomies: legal frameworks (app/taxonomy/legal/*.yaml) and the weapon
    and target terms. Only adds what the database lacks."""
    from app.intake.services.taxonomy import sync_taxonomies

    added = load_shipped_frameworks()
    terms = sync_taxonomies()
    db.session.commit()
    click.echo(
        f"legal frameworks: {len(added)} added{(' (' + ', '.join(added) + ')') if added else ''}"
    )
    for table, count in terms.items():
        click.echo(f"{table}: {count} added")
