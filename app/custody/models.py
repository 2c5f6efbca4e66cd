"""Custody ledger rows: entries (append-only), the per-investigation head, signed checkpoints.

Verification trusts only `LedgerEntry.seq/prev_hash/body/body_sha256/entry_hash` and the
checkpoint's signed statement; every other column is a denormalised copy for filtering
pages, and the head row is a lock and a cache, never evidence (docs/custody.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class LedgerEntry(db.Model):
    """One entry of an investigation's hash chain (docs/custody-format.md sections 1-2)."""

    __tablename__ = "custody_entries"
    __table_args__ = (
        UniqueConstraint("investigation_id", "seq"),
        Index("ix_custody_entries_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No ON DELETE action anywhere on this table: a cascade or SET NULL would be an UPDATE
    # or DELETE of ledger rows, which the trigger refuses. An investigation with a ledger
    # cannot be deleted, by design.
    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The canonical JCS bytes as written: verification hashes these, never a re-encoding.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # 32 secret random bytes bound into the entry's Merkle leaf (leaf format v2,
    # docs/custody-format.md section 6), disclosed only with the entry's own body; NULL for
    # entries written before salts (leaf v1). Never shown, logged or exported otherwise.
    leaf_salt: Mapped[bytes | None] = mapped_column(LargeBinary)

    # Copies of body fields for filtering; NOT trusted by verification.
    action: Mapped[str] = mapped_column(String(32), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    # A user id, or a system actor such as "system:fixity". No foreign key: users come and
    # go, the record of what they did stays.
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    time: Mapped[datetime] = mapped_column(DateTime, index=True)  # naive UTC

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.investigation_id}#{self.seq} {self.action}>"


class LedgerHead(db.Model):
    """The last entry of each ledger: the row appenders lock to serialise one investigation."""

    __tablename__ = "custody_heads"

    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The Merkle tree's frontier after entry `seq` (32-byte subtree roots, largest first):
    # what the next append extends, so no append rebuilds the tree (app/custody/tree.py).
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class TreeNode(db.Model):
    """A complete subtree of an investigation's Merkle tree: what inclusion and consistency
    proofs are made of. Level 0 holds the leaf hashes; (level, index) covers entries
    index * 2**level + 1 .. (index + 1) * 2**level. Derived data, never evidence: verification
    recomputes every hash from the bodies, and a wrong node only yields proofs that fail.
    """

    __tablename__ = "custody_tree_nodes"

    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class Checkpoint(db.Model):
    """A signed statement that an investigation's entries 1..seq end in `head` (section 5)."""

    __tablename__ = "custody_checkpoints"
    __table_args__ = (Index("ix_custody_checkpoints_investigation_seq", "investigation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(DateTime)  # naive UTC; the statement holds the truth
    statement: Mapped[bytes] = mapped_column(LargeBinary)  # exactly the bytes that were signed
    minisig: Mapped[str] = mapped_column(Text)  # the .minisig file text
    key_id: Mapped[str] = mapped_column(String(16))  # as minisign prints it, to pick the key
    # Checkpoints signed since the Merkle log (format v2): the tree's root hash at `seq`
    # leaves (hex), and the C2SP signed note (statement + blank line + signature line).
    # NULL for the JSON statements of v1, which stay verifiable as they were.
    root: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[bytes | None] = mapped_column(LargeBinary)


class CheckpointTimestamp(db.Model):
    """An RFC 3161 timestamp of a checkpoint's signed note from one TSA: pending or held.

    `token` is the TSA's whole response (a .tsr file, for `openssl ts -verify -in`), stored
    only once it verified: SHA-256 imprint of the note, our nonce, a chain to a configured
    root. Until then the row is the retry queue: attempts, the last error, the next try.
    """

    __tablename__ = "custody_timestamps"
    __table_args__ = (UniqueConstraint("checkpoint_id", "tsa_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("custody_checkpoints.id"), index=True)
    tsa_url: Mapped[str] = mapped_column(String(500))
    token: Mapped[bytes | None] = mapped_column(LargeBinary)
    gen_time: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC, the TSA's clock
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class Cosignature(db.Model):
    """Another instance's countersignature of one of our checkpoints (custody-format.md s.10.1).

    Self-contained: the statement it signs is kept with it, so it checks even if the
    checkpoint row went. `custody verify` checks each against the configured cosigner keys
    and the tree recomputed from the bodies.
    """

    __tablename__ = "custody_cosignatures"
    __table_args__ = (UniqueConstraint("investigation_id", "seq", "witness_key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    statement: Mapped[bytes] = mapped_column(LargeBinary)  # the checkpoint statement it signs
    minisig: Mapped[str] = mapped_column(Text)  # the witness's .minisig over the statement
    witness_key_id: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CosignedHead(db.Model):
    """On a witness instance: the last head it cosigned for each log key and ledger.

    What the witness compares every new request with: a smaller tree, or a proof that
    does not lead from this root to the new one, is refused (app/custody/cosign.py).
    """

    __tablename__ = "custody_cosigned_heads"

    log_key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    cosigned_at: Mapped[datetime] = mapped_column(DateTime)


class FixitySweep(db.Model):
    """One run of `flask fixity check`: what it covered and what failed (for the admin page).

    The per-item results are in the ledgers (fixity_verified / fixity_failed); this row is
    the operator's summary, so it is an ordinary table, not evidence.
    """

    __tablename__ = "custody_fixity_sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    scope: Mapped[str] = mapped_column(String(64))  # "all" or an investigation reference
    sample: Mapped[int | None] = mapped_column(Integer)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    bytes_checked: Mapped[int] = mapped_column(BigInteger, default=0)
    # [{"investigation": ref, "object_type": ..., "object_id": ..., "reason": ...}]: ids and
    # reasons only, never a filename.
    failures: Mapped[list] = mapped_column(JSON, default=list)


class AppendOnlyError(RuntimeError):
    """Something tried to change or remove a ledger entry or a checkpoint."""


APPEND_ONLY_MODELS = (LedgerEntry, Checkpoint)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_ledger(session: Session, _context: object, _instances: object) -> None:
    # The ORM half of "append is the only operation" (issue 4, item 2); on PostgreSQL the
    # trigger of migration 0003 refuses the same thing to raw SQL.
    for obj in session.deleted:
        if isinstance(obj, APPEND_ONLY_MODELS):
            raise AppendOnlyError(f"{type(obj).__name__} rows are append-only: refusing DELETE")
    for obj in session.dirty:
        if isinstance(obj, APPEND_ONLY_MODELS) and session.is_modified(obj):
            raise AppendOnlyError(f"{type(obj).__name__} rows are append-only: refusing UPDATE")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_ledger(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if mapper.class_ in APPEND_ONLY_MODELS:
            verb = "UPDATE" if state.is_update else "DELETE"
            raise AppendOnlyError(f"{mapper.class_.__name__} rows are append-only: refusing {verb}")


for _model in APPEND_ONLY_MODELS:
    # Belt and braces for flushes that skip before_flush's view (e.g. objects changed inside
    # another before_flush hook).
    @event.listens_for(_model, "before_update")
    def _refuse_update(_mapper: object, _conn: object, target: object) -> None:
        raise AppendOnlyError(f"{type(target).__name__} rows are append-only: refusing UPDATE")

    @event.listens_for(_model, "before_delete")
    def _refuse_delete(_mapper: object, _conn: object, target: object) -> None:
        raise AppendOnlyError(f"{type(target).__name__} rows are append-only: refusing DELETE")


class LedgerAlarm(db.Model):
    """A ledger found broken before signing: what was wrong, and who has looked since.

    While an alarm is unacknowledged the investigation's exports are refused, /readyz says
    "degraded" and its admins and lawyers see a banner. An ordinary table: the evidence of
    the break is the ledger itself, this row is the operator's to-do.
    """

    __tablename__ = "custody_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    bad_seq: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    acknowledged_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)


class EntryOrigin(db.Model):
    """Where a ledger entry's request came from, as a keyed digest, kept for a limited time.

    Never in the hashed body (it could never be removed, and it would travel to courts in
    exports); never exported; deleted after CUSTOS_CUSTODY_ORIGIN_DAYS by `custody
    purge-origins` (docs/custody.md, "From where").
    """

    __tablename__ = "custody_entry_origins"

    entry_id: Mapped[int] = mapped_column(ForeignKey("custody_entries.id"), primary_key=True)
    # HMAC-SHA256 of the client address under a key derived from the master key: the same
    # address gives the same digest (to tell "same place" apart), nobody can read it back.
    digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, index=True)
