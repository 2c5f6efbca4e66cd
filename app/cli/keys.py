"""`flask keys ...`: create, show and rotate the organisation's age and minisign keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.object_lock import mirror_holds_onto_the_store
from app.crypto.age import Recipient
from app.security.org_keys import (
    KeyStoreError,
    ReadsDisabled,
    init_keys,
    keys_dir,
    keys_initialised,
    master_key,
    minisign_public_key,
    org_recipients,
)
from app.security.recipient_pin import fingerprint
from app.vault.blobstore.base import BlobStoreError

keys_cli = AppGroup("keys", help="The organisation's evidence and checkpoint keys.")


@keys_cli.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing (successfully) if keys exist.")
def init_command(if_missing: bool) -> None:
    """Create the age identity and the minisign signing key under the instance's keys/ folder."""
    directory = keys_dir()
    if if_missing and keys_initialised():
        click.echo(f"Organisation keys already present in {directory}.")
        return
    try:
        init_keys(directory, master_key())
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created the organisation keys in {directory} (private parts sealed).")
    click.echo("Back up that folder together with the master key: without both, no evidence")
    click.echo("can be read. Public keys:")
    _print_public()


@keys_cli.command("public")
def public_command() -> None:
    """Print the age recipient and the minisign public key (safe to publish)."""
    _print_public()


def _print_public() -> None:
    try:
        recipient = org_recipients()[-1]
        minisign = minisign_public_key()
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"age: {recipient}")
    click.echo(f"minisign: {minisign}")
    click.echo(f"CUSTOS_ORG_RECIPIENT_FINGERPRINT={fingerprint(recipient)}")


@keys_cli.command("form-key")
def form_key_command() -> None:
    """Write the OpenRosa form key's public half for intake nodes, and print its pin."""
    from app.openrosa.form_key import FORM_PUBLIC_FILE, PIN_SETTING, export_form_public_key

    try:
        pin = export_form_public_key()
    except (ReadsDisabled, KeyStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {keys_dir() / FORM_PUBLIC_FILE}: copy it into each intake node's keys")
    click.echo("folder and set there:")
    click.echo(f"{PIN_SETTING}={pin}")


@keys_cli.command("rotate")
def rotate_command() -> None:
    """Add a new age identity and rewrap every stored blob to it (resumes if interrupted)."""
    from app.vault.rotation import RotationIncomplete, rotate_keys

    def progress(key: str, outcome: str) -> None:
        click.echo(f"{outcome}: {key}")

    try:
        report = rotate_keys(progress)
    except (ReadsDisabled, KeyStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    except RotationIncomplete as exc:
        raise click.ClickException(str(exc)) from exc
    except BlobStoreError as exc:
        raise click.ClickException(
            f"{exc}. Every blob still opens; run it again and it finishes the same rotation."
        ) from exc
    click.echo(
        f"Rotation complete: {len(report.rewrapped)} blob(s) rewrapped and "
        f"{report.resealed} sealed field(s) resealed to {report.target}; "
        "older identities are kept so nothing becomes unreadable."
    )
    click.echo(
        "Intake nodes keep encrypting to the old recipient until they are given the new pin: "
        f"CUSTOS_ORG_RECIPIENT_FINGERPRINT={fingerprint(Recipient.parse(report.target))}"
    )
    mirror_holds_onto_the_store()


@keys_cli.command("reencrypt")
def reencrypt_command() -> None:
    """Copy every evidence blob under a fresh file key (after an identity was compromised)."""
    from app.vault.reencryption import reencrypt_all

    def progress(row_id: str, outcome: str) -> None:
        click.echo(f"{outcome}: {row_id}")

    try:
        report = reencrypt_all(progress)
    except (ReadsDisabled, KeyStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    except BlobStoreError as exc:
        raise click.ClickException(
            f"{exc}. What was re-encrypted stays so; run it again for the rest (a copy left "
            "half-way is named by no row, and `blobs gc` removes it)."
        ) from exc
    click.echo(
        f"Re-encrypted {report.reencrypted} blob(s) under fresh file keys to the current "
        "recipient; the old objects are deleted (an old backup or object version still "
        "opens with the identity that was current then)."
    )
    mirror_holds_onto_the_store()
    if report.failed:
        raise click.ClickException(
            f"{len(report.failed)} blob(s) did not match their recorded SHA-256 and were left "
            "as they were: run `flask fixity check`"
        )
