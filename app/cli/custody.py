"""`flask custody verify|checkpoint` and `flask fixity check`: exit 0 only when all is intact."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.crypto.merkle import ProofError
from app.crypto.minisign import SignatureError
from app.custody.alarms import raise_alarm
from app.custody.checkpoints import SigningUnavailable, current_signing_key, sign_checkpoint
from app.custody.cosign import CosignRefused, cosign
from app.custody.cosign_log import cosign_request, store_cosignature
from app.custody.fixity import FixityOutcome, run_sweep
from app.custody.origins import purge_origins
from app.custody.presign import LedgerBroken
from app.custody.proofs import consistency_proof
from app.custody.verify import verify_ledgers
from app.custody.witness import catch_up, witness_dir
from app.extensions import db
from app.investigations.models import Investigation
from app.security.org_keys import ReadsDisabled

custody_cli = AppGroup("custody", help="Verify and checkpoint the custody ledgers.")
fixity_cli = AppGroup("fixity", help="Re-hash stored evidence against the intake hashes.")

EXIT_FAILED = 1
EXIT_USAGE = 2


@custody_cli.command("verify")
@click.argument("reference", required=False)
@click.option(
    "--fast",
    is_flag=True,
    help="Check only the newest checkpoint's signature, not every one (the slow part).",
)
def verify(reference: str | None, fast: bool) -> None:
    """Recompute every hash and check the links and signed checkpoints.

    One line per investigation on stdout when intact; the first bad entry and what is
    wrong with it on stderr, and exit status 1, otherwise.
    """
    try:
        verdicts = verify_ledgers(_reference(reference), fast=fast)
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    failed = False
    for verdict in verdicts:
        click.echo(verdict.line(), err=not verdict.ok)
        failed = failed or not verdict.ok
    if failed:
        sys.exit(EXIT_FAILED)


@custody_cli.command("checkpoint")
@click.argument("reference", required=False)
def checkpoint(reference: str | None) -> None:
    """Sign the current head of each ledger (or one) with the organisation key.

    The chain is verified first and a broken one is not signed: a signature must never
    vouch for a tampered ledger. Entries appended where no key was available (an
    intake-only node) are covered from now on.
    """
    try:
        key = current_signing_key()
        verdicts = verify_ledgers(_reference(reference), allow_unsigned_tail=True)
    except SigningUnavailable as exc:
        click.echo(f"error: this node cannot sign checkpoints: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    failed = False
    ids = _investigation_ids()
    for verdict in verdicts:
        investigation_id = ids[verdict.reference]
        if not verdict.ok:
            click.echo(f"{verdict.line()} (not signed)", err=True)
            raise_alarm(db.session, investigation_id, verdict.bad_seq, verdict.problem)
            db.session.commit()
            failed = True
            continue
        if verdict.entries == 0:
            click.echo(f"{verdict.reference}: no entries, nothing to sign")
            continue
        try:
            signed = sign_checkpoint(
                db.session, investigation_id, verdict.entries, verdict.head, key
            )
        except LedgerBroken as exc:
            click.echo(f"FAILED {verdict.reference}: {exc.problem} (not signed)", err=True)
            raise_alarm(db.session, investigation_id, exc.bad_seq, exc.problem)
            db.session.commit()
            failed = True
            continue
        db.session.commit()
        click.echo(
            f"{verdict.reference}: signed entries 1..{signed.seq}, head {signed.head}, "
            f"key {signed.key_id}"
        )
    if failed:
        sys.exit(EXIT_FAILED)


@custody_cli.command("consistency")
@click.argument("reference")
@click.argument("old_size", type=click.IntRange(min=1))
@click.argument("new_size", type=click.IntRange(min=1), required=False)
def consistency(reference: str, old_size: int, new_size: int | None) -> None:
    """Print the RFC 9162 consistency proof between two signed tree sizes, as JSON.

    NEW_SIZE defaults to the newest signed checkpoint. Give it with the older checkpoint
    to `verify_custody.py --since OLD.json --consistency PROOF.json`.
    """
    try:
        proof = consistency_proof(_reference(reference), old_size, new_size)
    except (LookupError, ProofError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(json.dumps(proof, sort_keys=True))


@custody_cli.command("witness")
@click.argument("reference", required=False)
def witness_command(reference: str | None) -> None:
    """Write the signed checkpoints the witness directory lacks (after it was unavailable)."""
    if witness_dir() is None:
        click.echo("error: CUSTOS_CUSTODY_WITNESS_DIR is not set", err=True)
        sys.exit(EXIT_USAGE)
    written, failed = catch_up(_reference(reference))
    click.echo(f"witnessed {written} checkpoint(s), {failed} failed", err=bool(failed))
    if failed:
        sys.exit(EXIT_FAILED)


@custody_cli.command("cosign")
@click.argument("request_file", type=click.File("rb"))
@click.option("--log-key", required=True, help="The log instance's minisign public key (RW...).")
@click.option("--out", type=click.File("w"), default="-", help="Where to write the cosignature.")
def cosign_command(request_file, log_key: str, out) -> None:
    """As a witness: countersign another instance's checkpoint with this instance's key.

    Only if the log's key signed it and it extends the last head cosigned for that log and
    ledger (consistency proof); otherwise refuse, change nothing and exit 1.
    """
    try:
        signature = cosign(request_file.read(), log_key, current_signing_key())
    except (CosignRefused, SigningUnavailable) as exc:
        click.echo(f"REFUSED: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    out.write(signature)


@custody_cli.command("cosign-request")
@click.argument("reference")
@click.option("--witness-key", required=True, help="The witness's minisign public key (RW...).")
def cosign_request_command(reference: str, witness_key: str) -> None:
    """Print the cosign request for a witness: newest signed tree, proof from its last head."""
    try:
        click.echo(cosign_request(reference, witness_key).decode("utf-8"))
    except (LookupError, ProofError, SignatureError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@custody_cli.command("cosign-store")
@click.argument("reference")
@click.argument("cosignature_file", type=click.File("r"))
def cosign_store_command(reference: str, cosignature_file) -> None:
    """Keep a witness's cosignature of one of this ledger's checkpoints, once it verifies."""
    try:
        kept = store_cosignature(reference, cosignature_file.read())
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except ValueError as exc:
        click.echo(f"REFUSED: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{reference}: entries 1..{kept.seq} cosigned by witness {kept.witness_key_id}")


@custody_cli.command("purge-origins")
def purge_origins_command() -> None:
    """Delete client-address digests older than CUSTOS_CUSTODY_ORIGIN_DAYS (run it daily)."""
    removed = purge_origins(db.session)
    db.session.commit()
    click.echo(f"removed {removed} client-address digest(s)")


def _reference(reference: str | None) -> str | None:
    return reference.strip().upper() if reference else None


def _investigation_ids() -> dict[str, str]:
    return dict(db.session.execute(select(Investigation.reference, Investigation.id)).all())


@fixity_cli.command("check")
@click.option("--investigation", "reference", metavar="REF", help="Only this investigation.")
@click.option("--sample", type=click.IntRange(min=1), help="Check N objects picked at random.")
def fixity_check(reference: str | None, sample: int | None) -> None:
    """Decrypt and re-hash stored evidence and derivatives against the intake hashes.

    Records fixity_verified or fixity_failed in the ledger for each object. Exit status 1
    if any failed (each named on stderr with the reason), 0 when all are intact.
    """
    reference = _reference(reference)
    if reference is not None and reference not in _investigation_ids():
        click.echo(f"error: no investigation {reference}", err=True)
        sys.exit(EXIT_USAGE)

    def report(outcome: FixityOutcome) -> None:
        if not outcome.ok:
            click.echo(f"FAILED {outcome.line()}", err=True)

    try:
        sweep, failures = run_sweep(reference, sample, progress=report)
    except ReadsDisabled as exc:
        click.echo(f"error: {exc.message}: run fixity on a node that holds the keys", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(
        f"fixity sweep {sweep.id}: checked {sweep.checked} objects "
        f"({sweep.bytes_checked:,} bytes), {sweep.failed} failed"
    )
    if failures:
        sys.exit(EXIT_FAILED)
