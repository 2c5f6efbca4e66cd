"""Trusted checkpoint signers besides the organisation key: intake nodes, each with its own.

An intake node holds no organisation private key, yet its ledger entries must not stay
unsigned until a reading node comes by. So it signs checkpoints with a minisign key of its
own (created on the node by `flask keys init-node-signer`), and an administrator lists that
key here (`flask custody signers add`). The verifier accepts checkpoints by the organisation
key and by listed signers that are not revoked. Revoking (`flask custody signers revoke`)
is recorded in every investigation's ledger; from then on that key's checkpoints are not
trusted, and the organisation key re-signs every head (the command does it), so entries the
node wrote stay covered by a signature that still counts.

The intake node's database role may read this table but never write it
(app/security/intake_role.py): a seized node cannot list a key of its own choosing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto.minisign import SignatureError, key_id_hex, parse_public_key
from app.extensions import db
from app.timeutil import utcnow


class CustodySigner(db.Model):
    """A minisign key trusted to sign checkpoints (an intake node's), until revoked."""

    __tablename__ = "custody_signers"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # as minisign prints it
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(Text)  # the RW... line
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(255))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class SignerError(ValueError):
    """A signer cannot be added or revoked as asked; the message says why."""


def listed_signers() -> list[CustodySigner]:
    return list(db.session.scalars(select(CustodySigner).order_by(CustodySigner.added_at)))


def active_signer_keys() -> dict[str, str]:
    """Public keys of listed, unrevoked signers by key id."""
    rows = db.session.execute(
        select(CustodySigner.key_id, CustodySigner.public_key).where(
            CustodySigner.revoked_at.is_(None)
        )
    )
    return {key_id: public_key for key_id, public_key in rows}


def revoked_signer_ids() -> set[str]:
    return set(
        db.session.scalars(
            select(CustodySigner.key_id).where(CustodySigner.revoked_at.is_not(None))
        )
    )


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
