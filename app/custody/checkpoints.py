"""Signed checkpoints: the organisation key vouches for each ledger head (custody-format.md s.5).

Every transaction that appended entries signs the new head of each investigation it
touched just before it commits, in the same transaction: an entry and the checkpoint that
covers it become visible together, so an entry beyond the last checkpoint is something no
Custos writer produced (or one that could not sign: see `SigningUnavailable`). That is one
Ed25519 signature per touched investigation per commit, about 60 microseconds.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.crypto.canonical import utc_timestamp
from app.crypto.minisign import SigningKey
from app.crypto.note import checkpoint_body, sign_note
from app.custody import witness
from app.custody.alarms import raise_alarm
from app.custody.chain import tree_statement
from app.custody.models import Checkpoint, LedgerHead
from app.custody.presign import LedgerBroken, check_before_signing, remember_signed
from app.investigations.models import Investigation

log = logging.getLogger(__name__)

# Session.info key: ids of the investigations this transaction appended to.
TOUCHED_KEY = "custody.touched"


class SigningUnavailable(RuntimeError):
    """No signing key here: an intake-only node (public keys only), or keys not set up."""


def current_signing_key() -> SigningKey:
    """The organisation's checkpoint key, or SigningUnavailable on a node without it."""
    from app.security import org_keys

    try:
        return org_keys.signing_key()
    except (org_keys.ReadsDisabled, org_keys.KeyStoreError) as exc:
        raise SigningUnavailable(str(exc)) from exc


def mark_touched(session: Session, investigation_id: str) -> None:
    """Have this transaction sign the investigation's head when it commits."""
    session.info.setdefault(TOUCHED_KEY, set()).add(investigation_id)


def trusted_comment(
    reference: str, seq: int, head: str, timestamp: str, root: bytes | None = None
) -> str:
    """What minisign -V prints: the statement's content in words (the verifier compares them)."""
    if root is None:
        return f"custos-checkpoint-v1 {reference} entries 1..{seq} head {head} at {timestamp}"
    return (
        f"custos-checkpoint-v2 {reference} entries 1..{seq} head {head} root {root.hex()}"
        f" at {timestamp}"
    )


def sign_head(
    session: Session, investigation_id: str, key: SigningKey | None = None
) -> Checkpoint | None:
    """Add a checkpoint over the investigation's head row as this transaction sees it.

    Used at commit, right after this transaction's own appends set the head row. Returns
    None for an investigation with no entries yet.
    """
    head = session.execute(
        select(LedgerHead.seq, LedgerHead.head_hash).where(
            LedgerHead.investigation_id == investigation_id
        )
    ).first()
    if head is None or head.seq == 0:
        return None
    return sign_checkpoint(session, investigation_id, head.seq, head.head_hash, key)


def sign_checkpoint(
    session: Session, investigation_id: str, seq: int, head: str, key: SigningKey | None = None
) -> Checkpoint:
    """Add a checkpoint stating that the investigation's entries 1..seq end in ``head``.

    Raises LedgerBroken, and signs nothing, unless entries 1..seq extend the last signed
    checkpoint (app/custody/presign.py); the caller raises the alarm.
    """
    reference = session.execute(
        select(Investigation.reference).where(Investigation.id == investigation_id)
    ).scalar_one()
    key = key or current_signing_key()
    root = check_before_signing(session, investigation_id, reference, seq, head)
    moment = datetime.now(UTC)
    timestamp = utc_timestamp(moment)
    statement = tree_statement(reference, seq, head, root.hex(), timestamp)
    name = current_app.config["CUSTOS_CUSTODY_LOG_NAME"]
    body = checkpoint_body(f"{name}/custody/{reference}", seq, root, head, timestamp)
    checkpoint = Checkpoint(
        investigation_id=investigation_id,
        seq=seq,
        head=head,
        time=moment.replace(tzinfo=None),
        statement=statement,
        minisig=key.sign(statement, trusted_comment(reference, seq, head, timestamp, root)),
        key_id=key.key_id_hex(),
        root=root.hex(),
        note=sign_note(body, name, key.public_key_bytes(), key.sign_raw),
    )
    session.add(checkpoint)
    remember_signed(investigation_id, statement, checkpoint.minisig, checkpoint.note)
    witness.queue(session, reference, checkpoint)
    return checkpoint


@event.listens_for(Session, "before_commit")
def _sign_touched_heads(session: Session) -> None:
    touched = session.info.pop(TOUCHED_KEY, None)
    if not touched:
        return
    try:
        key = current_signing_key()
    except SigningUnavailable as exc:
        # The entries still commit: refusing them would lose the record of what happened.
        # `custody verify` reports them as not covered until `custody checkpoint` signs.
        log.warning("custody: %d ledger head(s) left unsigned: %s", len(touched), exc)
        return
    for investigation_id in sorted(touched):
        try:
            sign_head(session, investigation_id, key)
        except LedgerBroken as exc:
            # Never re-sign: the entries commit unsigned beside an alarm an admin must see.
            raise_alarm(session, investigation_id, exc.bad_seq, exc.problem)


@event.listens_for(Session, "after_rollback")
def _forget_touched_heads(session: Session) -> None:
    session.info.pop(TOUCHED_KEY, None)
