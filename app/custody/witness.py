"""Heads outside the database: each signed checkpoint also written, once, to a witness directory.

Someone who can write the database can delete the last entries together with their
checkpoints, or rewrite history and have it re-signed; nothing inside the database shows
how far the ledger had grown. CUSTOS_CUSTODY_WITNESS_DIR names a directory on another
volume or host that the database's owner cannot rewrite. Each checkpoint, once committed,
is written there as `<reference>/<seq, 12 digits>-<SHA-256 of the statement, 16 hex>.json`
holding the signed statement, its minisign signature and its signed note: created
atomically (a temporary file hard-linked to its name, so a name never holds half a file),
read-only, never replaced. `custody verify` compares the database with these files
(app/custody/verify.py). A missing, read-only or full directory never stops intake: the
write is logged, /readyz says "degraded", verify names the checkpoints not witnessed, and
`flask custody witness` writes them once the directory is back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.crypto.canonical import canonical_json
from app.crypto.fsync import fsync_directory

log = logging.getLogger(__name__)

# Session.info key: checkpoints signed in this transaction, written once it commits.
PENDING_KEY = "custody.to_witness"
# Below this much free space the directory counts as full for /readyz.
MIN_FREE_BYTES = 1 << 20

_last_write_failed = False


class WitnessConflict(RuntimeError):
    """A witness file already holds something else under this checkpoint's name."""


@dataclass(frozen=True)
class WitnessRecord:
    """One witnessed checkpoint as read back from the directory."""

    name: str
    statement: bytes
    minisig: str
    note: bytes | None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.statement).hexdigest()


def witness_dir() -> Path | None:
    configured = current_app.config.get("CUSTOS_CUSTODY_WITNESS_DIR")
    return Path(configured) if configured else None


def file_name(seq: int, statement: bytes) -> str:
    return f"{seq:012d}-{hashlib.sha256(bytes(statement)).hexdigest()[:16]}.json"


def record_bytes(statement: bytes, minisig: str, note: bytes | None) -> bytes:
    return canonical_json(
        {
            "statement": bytes(statement).decode("utf-8"),
            "minisig": minisig,
            "note": bytes(note).decode("utf-8") if note is not None else None,
        }
    )


def write_record(
    directory: Path, reference: str, seq: int, statement: bytes, minisig: str, note: bytes | None
) -> bool:
    """Write one checkpoint's witness file; False if an identical one was already there."""
    folder = directory / reference
    folder.mkdir(mode=0o755, exist_ok=True)
    final = folder / file_name(seq, statement)
    data = record_bytes(statement, minisig, note)
    if final.exists():
        return _same(final, data)
    temporary = folder / f".{final.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, final)  # fails if the name exists: never replaces a record
        except FileExistsError:
            return _same(final, data)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(folder)
    return True


def _same(path: Path, data: bytes) -> bool:
    if path.read_bytes() != data:
        raise WitnessConflict(f"witness file {path.name} already holds another checkpoint")
    return False


def read_records(reference: str) -> list[WitnessRecord] | None:
    """Every witness record of an investigation (None when no witness is configured)."""
    directory = witness_dir()
    if directory is None:
        return None
    folder = directory / reference
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            parsed = json.loads(path.read_bytes())
            note = parsed["note"]
            records.append(
                WitnessRecord(
                    path.name,
                    parsed["statement"].encode("utf-8"),
                    parsed["minisig"],
                    note.encode("utf-8") if note is not None else None,
                )
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            records.append(WitnessRecord(path.name, b"", "", None))  # verify names it
    return records


def queue(session: Session, reference: str, checkpoint) -> None:
    """Have this transaction's commit write ``checkpoint`` to the witness (if configured)."""
    if witness_dir() is None:
        return
    session.info.setdefault(PENDING_KEY, []).append(
        (reference, checkpoint.seq, checkpoint.statement, checkpoint.minisig, checkpoint.note)
    )


def write_pending(pending: list[tuple]) -> int:
    """Write checkpoints to the witness; failures are logged and counted, never raised."""
    global _last_write_failed
    directory = witness_dir()
    if directory is None:
        return 0
    failed = 0
    for reference, seq, statement, minisig, note in pending:
        try:
            write_record(directory, reference, seq, statement, minisig, note)
        except (OSError, WitnessConflict) as exc:
            failed += 1
            log.warning("custody witness: checkpoint %s#%d not witnessed: %s", reference, seq, exc)
    _last_write_failed = bool(failed)
    return failed


def catch_up(reference: str | None = None) -> tuple[int, int]:
    """Write every signed (v2) checkpoint the witness lacks: (written, failed)."""
    from app.custody.models import Checkpoint
    from app.extensions import db
    from app.investigations.models import Investigation

    stmt = (
        select(
            Investigation.reference,
            Checkpoint.seq,
            Checkpoint.statement,
            Checkpoint.minisig,
            Checkpoint.note,
        )
        .join(Investigation, Investigation.id == Checkpoint.investigation_id)
        .where(Checkpoint.root.is_not(None))
        .order_by(Investigation.reference, Checkpoint.seq, Checkpoint.id)
    )
    if reference is not None:
        stmt = stmt.where(Investigation.reference == reference)
    directory = witness_dir()
    missing = [
        tuple(row)
        for row in db.session.execute(stmt)
        if not (directory / row.reference / file_name(row.seq, row.statement)).exists()
    ]
    failed = write_pending(missing)
    return len(missing) - failed, failed


def readiness() -> str | None:
    """None when the witness takes writes (or none is configured); else why not."""
    directory = witness_dir()
    if directory is None:
        return None
    if not directory.is_dir():
        return "missing"
    if not os.access(directory, os.W_OK | os.X_OK):
        return "read_only"
    if shutil.disk_usage(directory).free < MIN_FREE_BYTES:
        return "full"
    if _last_write_failed:
        return "write_failed"
    return None


@event.listens_for(Session, "after_commit")
def _write_committed(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_app_context():
        write_pending(pending)


@event.listens_for(Session, "after_rollback")
def _forget_uncommitted(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
