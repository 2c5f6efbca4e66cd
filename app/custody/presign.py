"""The check before signing: the last signed checkpoint must be a prefix of what is signed next.

A signature vouches for the whole history before it, so signing a head that someone
rewrote in SQL would launder the forgery. Before any checkpoint is signed, the newest
checkpoint's signature is checked, the entry it names must still carry the signed hash,
and the entries since must chain from it to the head about to be signed with their
filter columns matching their bodies. The cost is the entries since the last checkpoint
(usually one), never the whole ledger.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crypto import merkle
from app.crypto.minisign import SignatureError, verify
from app.custody import tree
from app.custody.chain import GENESIS_HASH, read_statement, verify_chain
from app.custody.columns import ColumnCheck
from app.custody.models import Checkpoint, LedgerEntry

# Statements this process signed or verified, per investigation: the common case (the
# previous checkpoint is the one we signed a moment ago) costs a bytes comparison, not
# two Ed25519 verifications. Keyed by the exact (statement, signature) bytes, so a row
# changed in SQL misses the cache and is checked again.
_VERIFIED: dict[str, tuple[bytes, str, bytes | None]] = {}


class LedgerBroken(RuntimeError):
    """What is about to be signed does not extend the last signed checkpoint."""

    def __init__(self, bad_seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.bad_seq = bad_seq
        self.problem = problem


def remember_signed(
    investigation_id: str, statement: bytes, minisig: str, note: bytes | None
) -> None:
    """Note a checkpoint this process has just signed (so the next check skips its signature)."""
    _VERIFIED[investigation_id] = (bytes(statement), minisig, note)


def check_before_signing(
    session: Session, investigation_id: str, reference: str, seq: int, head: str
) -> bytes:
    """Raise LedgerBroken unless entries 1..seq ending in ``head`` extend the last checkpoint.

    Returns the Merkle root of entries 1..seq, computed from the last signed root's
    frontier (checked against it) and the bodies of the entries since.
    """
    last = session.execute(
        select(
            Checkpoint.seq,
            Checkpoint.head,
            Checkpoint.statement,
            Checkpoint.minisig,
            Checkpoint.note,
        )
        .where(Checkpoint.investigation_id == investigation_id)
        .order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
        .limit(1)
    ).first()
    after_seq, after_hash = 0, GENESIS_HASH
    signed_root = None
    if last is not None:
        signed_root = _check_signed(investigation_id, reference, last)
        if last.seq > seq:
            raise LedgerBroken(
                seq + 1,
                f"the ledger ends at entry {seq} but entries 1..{last.seq} were signed "
                "(deleted or rolled back)",
            )
        after_seq, after_hash = last.seq, last.head
    rows = session.execute(
        select(
            LedgerEntry.seq,
            LedgerEntry.prev_hash,
            LedgerEntry.body_sha256,
            LedgerEntry.entry_hash,
            LedgerEntry.body,
            LedgerEntry.action,
            LedgerEntry.object_type,
            LedgerEntry.object_id,
            LedgerEntry.actor_id,
            LedgerEntry.time,
            LedgerEntry.leaf_salt,
        )
        .where(
            LedgerEntry.investigation_id == investigation_id,
            LedgerEntry.seq >= max(after_seq, 1),
            LedgerEntry.seq <= seq,
        )
        .order_by(LedgerEntry.seq)
    ).all()
    if after_seq:
        if not rows or rows[0].seq != after_seq or rows[0].entry_hash != after_hash:
            raise LedgerBroken(
                after_seq,
                f"entry {after_seq} is not the entry the last checkpoint signed "
                "(rewritten or deleted after signing)",
            )
        rows = rows[1:]
    columns = ColumnCheck()
    report = verify_chain(
        columns.rows(tuple(row)[:10] for row in rows), after_seq=after_seq, after_hash=after_hash
    )
    if not report.ok:
        raise LedgerBroken(report.bad_seq, report.reason)
    if columns.bad_seq is not None:
        raise LedgerBroken(columns.bad_seq, columns.reason())
    if report.last_seq != seq or report.head != head:
        raise LedgerBroken(
            report.last_seq + 1,
            f"the head to sign (entry {seq}) is not where the entries lead "
            f"(entry {report.last_seq})",
        )
    frontier = _frontier_at(session, investigation_id, after_seq, signed_root)
    for size, row in enumerate(rows, start=after_seq):
        salt = None if row.leaf_salt is None else bytes(row.leaf_salt)
        merkle.append_leaf(frontier, size, tree.entry_leaf(bytes(row.body), salt))
    return merkle.frontier_root(frontier)


def _frontier_at(
    session: Session, investigation_id: str, size: int, signed_root: bytes | None
) -> list[bytes]:
    """The tree's frontier at ``size`` leaves, vouched for by the signed root when there is one."""
    if signed_root is not None:
        try:
            frontier = tree.NodeReader(session, investigation_id).frontier(size)
        except merkle.ProofError as exc:
            raise LedgerBroken(size, f"the tree store is incomplete ({exc})") from None
        if merkle.frontier_root(frontier) != signed_root:
            raise LedgerBroken(
                size, f"the tree store does not lead to the root signed at entry {size}"
            )
        return frontier
    # Signed before the Merkle log (v1), or nothing signed yet: build from the bodies once.
    return tree.frontier_of(tree.stored_leaves(session, investigation_id, size))


def _check_signed(investigation_id: str, reference: str, last) -> bytes | None:
    """Check the newest checkpoint's signatures and fields; return its signed root, if any."""
    statement, minisig = bytes(last.statement), last.minisig
    note = bytes(last.note) if last.note is not None else None
    cached = _VERIFIED.get(investigation_id) == (statement, minisig, note)
    try:
        signed = read_statement(statement)
        if not cached:
            from app.custody.verify import key_for, public_keys
            from app.custody.verify_checkpoints import check_note

            public_key = key_for(minisig, public_keys())
            verify(statement, minisig, public_key)
            check_note(signed, note, public_key)
    except (SignatureError, ValueError) as exc:
        raise LedgerBroken(
            last.seq, f"the checkpoint at entry {last.seq} does not verify ({exc})"
        ) from None
    named = (signed["investigation"], signed["seq"], signed["head"])
    if named != (reference, last.seq, last.head):
        raise LedgerBroken(
            last.seq, f"the checkpoint at entry {last.seq} disagrees with its signed statement"
        )
    _VERIFIED[investigation_id] = (statement, minisig, note)
    return bytes.fromhex(signed["root"]) if "root" in signed else None
