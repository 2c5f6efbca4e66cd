"""Listing and revoking intake nodes' checkpoint keys, and an intake node's start-up check.

An intake node holds no organisation private key, yet its ledger entries must not stay
unsigned until a reading node comes by. So it signs checkpoints with a minisign key of its
own (created on the node by `flask keys init-node-signer`), and an administrator lists that
key here (`flask custody signers add`). The verifier accepts checkpoints by the organisation
key and by listed signers that are not revoked. Revoking (`flask custody signers revoke`)
is recorded in every investigation's ledger; from then on that key's checkpoints are not
trusted, and the organisation key re-signs every head (the command does it), so entries the
node wrote stay covered by a signature that still counts.

The intake node's database role may read `custody_signers` (app/custody/signer_keys.py)
but never write it
(app/security/intake_role.py): a seized node cannot list a key of its own choosing.
"""

from __future__ import annotations

from sqlalchemy import select

from app.crypto.minisign import SignatureError, key_id_hex, parse_public_key
from app.custody.signer_keys import CustodySigner
from app.extensions import db
from app.timeutil import utcnow


class SignerError(ValueError):
    """A signer cannot be added or revoked as asked; the message says why."""


def listed_signers() -> list[CustodySigner]:
    return list(db.session.scalars(select(CustodySigner).order_by(CustodySigner.added_at)))


def _ledger_everywhere(action: str, actor: str, details: dict) -> int:
    from app.custody.ledger import append_custody_event
    from app.investigations.models import Investigation

    ids = list(db.session.scalars(select(Investigation.id).order_by(Investigation.id)))
    for investigation_id in ids:
        append_custody_event(
            investigation_id, actor, action, "investigation", investigation_id, details
        )
    return len(ids)


def _on_a_reading_node(doing: str) -> None:
    from app.security.org_keys import intake_only

    if intake_only():
        raise SignerError(
            f"this server is an intake-only node: it cannot {doing}; a reading node, "
            "holding the organisation key, decides which keys are trusted"
        )


def add_signer(name: str, public_key: str, actor: str) -> CustodySigner:
    """List a node's public key as a trusted checkpoint signer. Commits."""
    _on_a_reading_node("list signers")
    name = name.strip()
    if not name or len(name) > 100:
        raise SignerError("give the node a name of 1 to 100 characters")
    try:
        raw_id, _ = parse_public_key(public_key.strip())
    except SignatureError as exc:
        raise SignerError(f"not a minisign public key: {exc}") from None
    key_id = key_id_hex(raw_id)
    if db.session.get(CustodySigner, key_id) is not None:
        raise SignerError(f"key {key_id} is already listed (a revoked key is never re-listed)")
    line = [x.strip() for x in public_key.strip().splitlines() if x.strip()][-1]
    signer = CustodySigner(key_id=key_id, name=name, public_key=line, added_by=actor)
    db.session.add(signer)
    _ledger_everywhere("signer_added", actor, {"key_id": key_id, "node": name})
    db.session.commit()
    return signer


def revoke_signer(key_id: str, actor: str, reason: str) -> CustodySigner:
    """Stop trusting a node's key and record it in every ledger. Commits.

    The `signer_revoked` entries touch every investigation, so the commit signs every head
    with this (reading) node's organisation key: nothing the node wrote stays covered only
    by the revoked key. Refused on a node without the organisation key.
    """
    from app.custody.checkpoints import current_signing_key

    _on_a_reading_node("revoke signers")
    signer = db.session.get(CustodySigner, key_id.strip().upper())
    if signer is None:
        raise SignerError(f"no listed signer has key id {key_id}")
    if signer.revoked_at is not None:
        raise SignerError(
            f"key {signer.key_id} was already revoked on {signer.revoked_at:%Y-%m-%d}"
        )
    if not reason.strip():
        raise SignerError("say why the key is revoked (lost, seized, node retired)")
    current_signing_key()  # raises SigningUnavailable before anything changes
    signer.revoked_at = utcnow()
    signer.revoked_by = actor
    signer.revoked_reason = reason.strip()[:500]
    _ledger_everywhere("signer_revoked", actor, {"key_id": signer.key_id, "node": signer.name})
    db.session.commit()
    return signer


class NodeSignerMissing(RuntimeError):
    """An intake node without a listed, unrevoked key of its own; it must not start."""


def check_node_signer() -> None:
    """An intake node signs its own checkpoints: it must hold its key, and the reading node
    must have listed it and not revoked it. Called at start-up (app/__init__.py)."""
    from app.security import org_keys

    try:
        key_id = org_keys.signing_key().key_id_hex()
    except org_keys.ReadsDisabled:
        raise NodeSignerMissing(
            "this intake node has no checkpoint key of its own, so its custody entries would "
            "stay unsigned: run `flask --app wsgi keys init-node-signer --name NODE` here, then "
            "the `custody signers add` command it prints on the reading node"
        ) from None
    signer = db.session.get(CustodySigner, key_id)
    if signer is None or signer.revoked_at is not None:
        state = "is not listed" if signer is None else "was revoked"
        raise NodeSignerMissing(
            f"this intake node's checkpoint key {key_id} {state} as a trusted signer: its "
            "checkpoints would vouch for nothing (`flask custody signers add` on the reading "
            "node lists a new one)"
        )
