"""Exporting a ledger for outsiders: JSON Lines plus the signed checkpoint (custody-format.md s.6).

The export carries every entry of the investigation, so nothing can be left out unnoticed;
entries about objects outside the export are redacted (body null, digest kept, section 4).
What goes out is verified first: an export must never hand a court a broken chain, and
tools/verify_custody.py must accept everything this writes.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select

from app.custody.chain import verify_chain
from app.custody.checkpoints import sign_checkpoint
from app.custody.models import Checkpoint, LedgerEntry
from app.extensions import db
from app.investigations.models import Investigation

LEDGER_FILE = "custody-ledger.jsonl"
CHECKPOINT_FILE = "checkpoint.json"
SIGNATURE_FILE = "checkpoint.json.minisig"


class LedgerExportError(RuntimeError):
    """The ledger cannot be exported as it stands (empty, or it does not verify)."""


def export_ledger(
    investigation: Investigation, object_ids: Collection[str] | None, out_dir: Path
) -> None:
    """Write custody-ledger.jsonl, checkpoint.json and checkpoint.json.minisig into out_dir.

    ``object_ids``: the objects the export is about (evidence, derivative, ... ids); entries
    about anything else keep only their hashes. None exports every body. Which object an
    entry is about is read from its hashed body, not from the filter columns. A checkpoint
    over the last entry is reused if one was signed, else signed now (added to the session;
    the caller commits it with the rest of its export record).
    """
    rows = db.session.execute(
        select(
            LedgerEntry.seq,
            LedgerEntry.prev_hash,
            LedgerEntry.body_sha256,
            LedgerEntry.entry_hash,
            LedgerEntry.body,
        )
        .where(LedgerEntry.investigation_id == investigation.id)
        .order_by(LedgerEntry.seq)
    ).all()
    if not rows:
        raise LedgerExportError(f"{investigation.reference} has no custody entries to export")
    report = verify_chain(tuple(row) for row in rows)
    if not report.ok:
        raise LedgerExportError(
            f"{investigation.reference}: the ledger does not verify ({report.reason}); "
            "run `flask custody verify` and resolve it before exporting"
        )
    checkpoint = _checkpoint_at(investigation, report.last_seq, report.head)
    wanted = None if object_ids is None else frozenset(object_ids)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LEDGER_FILE, "w", encoding="utf-8", newline="\n") as ledger:
        for seq, prev, body_sha256, this_hash, body in rows:
            shown = wanted is None or _object_id(body) in wanted
            line = {
                "seq": seq,
                "prev": prev,
                "body_sha256": body_sha256,
                "hash": this_hash,
                "body": bytes(body).decode("utf-8") if shown else None,
            }
            ledger.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    (out_dir / CHECKPOINT_FILE).write_bytes(bytes(checkpoint.statement))
    (out_dir / SIGNATURE_FILE).write_text(checkpoint.minisig, encoding="utf-8")


def _checkpoint_at(investigation: Investigation, seq: int, head: str) -> Checkpoint:
    existing = db.session.scalar(
        select(Checkpoint)
        .where(
            Checkpoint.investigation_id == investigation.id,
            Checkpoint.seq == seq,
            Checkpoint.head == head,
        )
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )
    return existing or sign_checkpoint(db.session, investigation.id, seq, head)


def _object_id(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    obj = parsed.get("object") if isinstance(parsed, dict) else None
    return obj.get("id") if isinstance(obj, dict) else None
