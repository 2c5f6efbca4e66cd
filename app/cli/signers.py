"""`flask custody signers add|revoke|list` and `flask keys init-node-signer`: intake nodes'
own checkpoint keys, listed as trusted on the reading node (app/custody/signers.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.custody.checkpoints import SigningUnavailable
from app.custody.signers import SignerError, add_signer, listed_signers, revoke_signer
from app.security.org_keys import KeyStoreError, init_node_signer, keys_dir, master_key

signers_cli = AppGroup("signers", help="Intake nodes' checkpoint keys trusted by the verifier.")
ACTOR = "system:custody-signers"


@signers_cli.command("add")
@click.argument("node_name")
@click.option("--public-key", required=True, help="The node's RW... key (its node-minisign.pub).")
def add_command(node_name: str, public_key: str) -> None:
    """Trust NODE_NAME's checkpoint key; recorded in every investigation's ledger."""
    try:
        signer = add_signer(node_name, public_key, ACTOR)
    except SignerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Listed {signer.name}'s checkpoint key {signer.key_id} as a trusted signer.")


@signers_cli.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why: lost, seized, node retired.")
def revoke_command(key_id: str, reason: str) -> None:
    """Stop trusting a node's key, record it in every ledger and re-sign every head."""
    try:
        signer = revoke_signer(key_id, ACTOR, reason)
    except (SignerError, SigningUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Revoked {signer.name}'s key {signer.key_id}; every ledger head is now signed by "
        "the organisation key."
    )


@signers_cli.command("list")
def list_command() -> None:
    """Every listed signer, revoked ones included."""
    for signer in listed_signers():
        state = f"revoked {signer.revoked_at:%Y-%m-%d}" if signer.revoked_at else "trusted"
        click.echo(f"{signer.key_id}  {signer.name}  {state}  {signer.public_key}")


@click.command("init-node-signer")
@click.option("--name", "node_name", required=True, help="This node's name, e.g. field-gaziantep.")
def init_node_signer_command(node_name: str) -> None:
    """On an intake node: create its own checkpoint key and print the public half."""
    try:
        signer = init_node_signer(keys_dir(), master_key(), node_name)
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Created this node's checkpoint key {signer.key_id_hex()}. On the reading node run:"
    )
    click.echo(
        f"  flask --app wsgi custody signers add {node_name} "
        f"--public-key {signer.public_key_string()}"
    )
