"""Heads outside the database: each signed checkpoint also written, once, to the witnesses.

Someone who can write the database can delete the last entries together with their
checkpoints, or rewrite history and have it re-signed; nothing inside the database shows
how far the ledger had grown. Two witnesses can be configured, alone or together:
CUSTOS_CUSTODY_WITNESS_DIR, a directory on another volume or host that the database's owner
cannot rewrite (witness_directory.py), and CUSTOS_CUSTODY_WITNESS_S3_BUCKET, a bucket with
Object Lock whose records no account can delete before their retention ends
(witness_s3.py). Each checkpoint, once committed, is written to each as
`<REF>/<seq, 12 digits>-<SHA-256 of the statement, 16 hex>.json` holding the signed
statement, its minisign signature and its signed note, never replaced. `custody verify`
compares the database with every witness (app/custody/verify.py). A witness that is missing,
read-only, full or unreachable never stops intake: the write is logged, /readyz says
"degraded", verify names the checkpoints not witnessed, and `flask custody witness` writes
them once the witness is back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.custody.witness_directory import DirectoryWitness
from app.custody.witness_records import (
    WitnessConflict,
    WitnessRecord,
    file_name,
    parse_record,
    record_bytes,
)

log = logging.getLogger(__name__)

# Session.info key: checkpoints signed in this transaction, written once it commits.
PENDING_KEY = "custody.to_witness"
_EXTENSION = "custos.custody_witnesses"

__all__ = ["WitnessConflict", "WitnessRecord", "write_record"]


def witness_dir() -> Path | None:
    configured = current_app.config.get("CUSTOS_CUSTODY_WITNESS_DIR")
    return Path(configured) if configured else None


def witnesses() -> list[tuple[str, Any]]:
    """(label, store) of every configured witness, built once per configuration."""
    config = current_app.config
    directory = witness_dir()
    bucket = config.get("CUSTOS_CUSTODY_WITNESS_S3_BUCKET")
    settings = (str(directory) if directory else None, bucket)
    cached = current_app.extensions.get(_EXTENSION)
    if cached is not None and cached[0] == settings:
        return cached[1]
    stores: list[tuple[str, Any]] = []
    if directory is not None:
        stores.append(("directory", DirectoryWitness(directory)))
    if bucket:
        stores.append(("s3", _s3_witness(config, bucket)))
    current_app.extensions[_EXTENSION] = (settings, stores)
    return stores


def _s3_witness(config: Any, bucket: str):
    import boto3
    from botocore.config import Config as BotoConfig

    from app.custody.witness_s3 import S3Witness

    client = boto3.client(
        "s3",
        endpoint_url=config.get("CUSTOS_CUSTODY_WITNESS_S3_ENDPOINT_URL")
        or config.get("CUSTOS_S3_ENDPOINT_URL")
        or None,
        config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}),
    )
    return S3Witness(
        client,
        bucket,
        config.get("CUSTOS_CUSTODY_WITNESS_S3_PREFIX", "custody-witness/"),
        int(config.get("CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS", 3650)),
    )


def write_record(
    directory: Path, reference: str, seq: int, statement: bytes, minisig: str, note: bytes | None
) -> bool:
    """Write one checkpoint's witness file; False if an identical one was already there."""
    data = record_bytes(statement, minisig, note)
    return DirectoryWitness(directory).put(reference, file_name(seq, statement), data)


def read_each(reference: str) -> list[tuple[str, list[WitnessRecord]]]:
    """Every configured witness's records of an investigation, witness by witness."""
    return [
        (label, [parse_record(name, data) for name, data in store.records(reference)])
        for label, store in witnesses()
    ]


def read_records(reference: str) -> list[WitnessRecord] | None:
    """The records of the first configured witness (None when no witness is configured)."""
    each = read_each(reference)
    return each[0][1] if each else None


def queue(session: Session, reference: str, checkpoint) -> None:
    """Have this transaction's commit write ``checkpoint`` to the witnesses (if configured)."""
    if not witnesses():
        return
    session.info.setdefault(PENDING_KEY, []).append(
        (reference, checkpoint.seq, checkpoint.statement, checkpoint.minisig, checkpoint.note)
    )


def write_pending(pending: list[tuple]) -> int:
    """Write checkpoints to every witness; failures are logged and counted, never raised."""
    failed = 0
    for label, store in witnesses():
        store_failed = 0
        # Only an S3 witness adds botocore's errors: with the directory witness alone a web
        # worker never loads botocore (tests/test_web_worker.py).
        store_errors = getattr(store, "store_errors", ())
        for reference, seq, statement, minisig, note in pending:
            name = file_name(seq, statement)
            try:
                store.put(reference, name, record_bytes(statement, minisig, note))
            except (OSError, WitnessConflict, *store_errors) as exc:
                store_failed += 1
                log.warning(
                    "custody witness (%s): checkpoint %s#%d not witnessed: %s",
                    label,
                    reference,
                    seq,
                    type(exc).__name__ if isinstance(exc, store_errors) else exc,
                )
        store.last_write_failed = bool(store_failed)
        failed += store_failed
    return failed


def catch_up(reference: str | None = None) -> tuple[int, int]:
    """Write every signed (v2) checkpoint a witness lacks: (written, failed)."""
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
    rows = [tuple(row) for row in db.session.execute(stmt)]
    known: dict[tuple[str, str], set[str]] = {}
    missing = []
    for row in rows:
        for label, store in witnesses():
            key = (label, row[0])
            if key not in known:
                known[key] = store.names(row[0])
            if file_name(row[1], row[2]) not in known[key]:
                missing.append(row)
                break
    failed = write_pending(missing)
    return len(missing) - min(failed, len(missing)), failed


def readiness() -> str | None:
    """None when every witness takes writes (or none is configured); else why not."""
    for label, store in witnesses():
        problem = store.readiness()
        if problem is not None:
            return problem if label == "directory" else f"{label}_{problem}"
    return None


@event.listens_for(Session, "after_commit")
def _write_committed(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_app_context():
        write_pending(pending)


@event.listens_for(Session, "after_rollback")
def _forget_uncommitted(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
