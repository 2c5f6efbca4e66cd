"""Exporting a ledger for outsiders: JSON Lines plus the signed checkpoint (custody-format.md s.8).

A whole-ledger export carries every entry, chained. An export about some objects carries
only the entries about them, each with an inclusion proof against the signed tree root (and
its leaf salt: the salts of withheld entries never leave, section 6), and
the signed list of the positions it withholds (app/custody/disclosure.py, section 4): of a
withheld entry neither body nor digest nor chain hash leaves. So are withheld the bodies of
entries written before client addresses left the bodies.
What goes out is verified first: an export must never hand a court a broken chain, and
tools/verify_custody.py must accept everything this writes.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select

from app.custody.alarms import open_alarm, raise_alarm
from app.custody.chain import verify_chain
from app.custody.checkpoints import current_signing_key, sign_checkpoint
from app.custody.disclosure import sign_disclosure
from app.custody.models import Checkpoint, CheckpointTimestamp, LedgerEntry
from app.custody.presign import LedgerBroken
from app.custody.tree import NodeReader
from app.extensions import db
from app.investigations.models import Investigation

LEDGER_FILE = "custody-ledger.jsonl"
CHECKPOINT_FILE = "checkpoint.json"
SIGNATURE_FILE = "checkpoint.json.minisig"
NOTE_FILE = "checkpoint.note"  # the same checkpoint as a C2SP signed note
PROOFS_FILE = "custody-proofs.json"  # an inclusion proof per disclosed entry
WITHHELD_FILE = "custody-withheld.json"  # the signed list of withheld positions
WITHHELD_SIGNATURE_FILE = "custody-withheld.json.minisig"
TIMESTAMPED_DIR = "timestamped"  # the newest checkpoint with RFC 3161 tokens, and proof
CONSISTENCY_FILE = "consistency.json"


class LedgerExportError(RuntimeError):
    """The ledger cannot be exported as it stands (empty, or it does not verify)."""


def export_ledger(
    investigation: Investigation, object_ids: Collection[str] | None, out_dir: Path
) -> None:
    """Write the ledger, its signed checkpoint (statement, minisig, note) and proofs to out_dir.

    ``object_ids``: the objects the export is about (evidence, derivative, ... ids); only the
    entries about them are written, with the signed list of what is withheld. None exports
    every entry, chained (and withholds only bodies that name a client address). Which object an
    entry is about is read from its hashed body, not from the filter columns. A checkpoint
    over the last entry is reused if one was signed, else signed now (added to the session;
    the caller commits it with the rest of its export record).
    """
    alarm = open_alarm(db.session, investigation.id)
    if alarm is not None:
        raise LedgerExportError(
            f"{investigation.reference}: the ledger was found broken ({alarm.problem}); "
            "exports stay blocked until an admin acknowledges it on the ledger page"
        )
    rows = db.session.execute(
        select(
            LedgerEntry.seq,
            LedgerEntry.prev_hash,
            LedgerEntry.body_sha256,
            LedgerEntry.entry_hash,
            LedgerEntry.body,
            LedgerEntry.leaf_salt,
        )
        .where(LedgerEntry.investigation_id == investigation.id)
        .order_by(LedgerEntry.seq)
    ).all()
    if not rows:
        raise LedgerExportError(f"{investigation.reference} has no custody entries to export")
    report = verify_chain(tuple(row)[:5] for row in rows)
    if not report.ok:
        raise LedgerExportError(
            f"{investigation.reference}: the ledger does not verify ({report.reason}); "
            "run `flask custody verify` and resolve it before exporting"
        )
    checkpoint = _checkpoint_at(investigation, report.last_seq, report.head)
    wanted = None if object_ids is None else frozenset(object_ids)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    disclosed: list[int] = []
    salts: dict[str, str] = {}
    lines: list[dict] = []
    for seq, prev, body_sha256, this_hash, body, salt in rows:
        object_id, names_address = _about(body)
        # Entries written before issue 15 carry the client address in their body: it
        # must not reach a court, so such an entry stays home.
        if (wanted is None or object_id in wanted) and not names_address:
            disclosed.append(seq)
            if salt is not None:  # a disclosed entry's salt only: a withheld one's stays
                salts[str(seq)] = bytes(salt).hex()
            text = bytes(body).decode("utf-8")
            line = {"seq": seq, "prev": prev, "body_sha256": body_sha256, "hash": this_hash}
            lines.append({**line, "body": text})
    selective = wanted is not None or len(disclosed) < len(rows)
    if selective:
        # Of a withheld entry nothing but its position leaves; a disclosed one goes out
        # as its body alone, proved by its inclusion proof (its chain hashes would be a
        # handle on the withheld entries beside it).
        lines = [{"seq": line["seq"], "body": line["body"]} for line in lines]
        statement, signature = sign_disclosure(
            current_signing_key(),
            investigation.reference,
            checkpoint.seq,
            checkpoint.root,
            disclosed,
        )
        (out_dir / WITHHELD_FILE).write_bytes(statement)
        (out_dir / WITHHELD_SIGNATURE_FILE).write_text(signature, encoding="utf-8")
    with open(out_dir / LEDGER_FILE, "w", encoding="utf-8", newline="\n") as ledger:
        for line in lines:
            ledger.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    (out_dir / CHECKPOINT_FILE).write_bytes(bytes(checkpoint.statement))
    (out_dir / SIGNATURE_FILE).write_text(checkpoint.minisig, encoding="utf-8")
    (out_dir / NOTE_FILE).write_bytes(bytes(checkpoint.note))
    nodes = NodeReader(db.session, investigation.id)
    proofs = {
        "tree_size": checkpoint.seq,
        "root": checkpoint.root,
        "inclusion": {
            str(seq): [node.hex() for node in nodes.inclusion(seq - 1, checkpoint.seq)]
            for seq in disclosed
        },
        "salts": salts,
    }
    (out_dir / PROOFS_FILE).write_text(
        json.dumps(proofs, separators=(",", ":"), sort_keys=True), encoding="utf-8"
    )
    _write_timestamped(investigation, checkpoint, nodes, out_dir / TIMESTAMPED_DIR)


def _write_timestamped(
    investigation: Investigation, checkpoint: Checkpoint, nodes: NodeReader, folder: Path
) -> None:
    """The newest checkpoint a TSA stamped (at or before the exported one), its tokens, and
    the consistency proof from it to the exported checkpoint: the time an outsider vouches
    for, which a rollback to an older export cannot move forward."""
    stamped = db.session.scalar(
        select(Checkpoint)
        .join(CheckpointTimestamp, CheckpointTimestamp.checkpoint_id == Checkpoint.id)
        .where(
            Checkpoint.investigation_id == investigation.id,
            Checkpoint.seq <= checkpoint.seq,
            Checkpoint.note.is_not(None),
            CheckpointTimestamp.token.is_not(None),
        )
        .order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
        .limit(1)
    )
    if stamped is None:
        return
    folder.mkdir()
    (folder / CHECKPOINT_FILE).write_bytes(bytes(stamped.statement))
    (folder / SIGNATURE_FILE).write_text(stamped.minisig, encoding="utf-8")
    (folder / NOTE_FILE).write_bytes(bytes(stamped.note))
    tokens = db.session.scalars(
        select(CheckpointTimestamp)
        .where(
            CheckpointTimestamp.checkpoint_id == stamped.id,
            CheckpointTimestamp.token.is_not(None),
        )
        .order_by(CheckpointTimestamp.id)
    )
    for number, token in enumerate(tokens, start=1):
        (folder / f"{NOTE_FILE}.{number}.tsr").write_bytes(bytes(token.token))
    proof = nodes.consistency(stamped.seq, checkpoint.seq)
    (folder / CONSISTENCY_FILE).write_text(
        json.dumps(
            {
                "old_size": stamped.seq,
                "new_size": checkpoint.seq,
                "proof": [node.hex() for node in proof],
            },
            sort_keys=True,
        ),
        encoding="utf-8",
    )


def _checkpoint_at(investigation: Investigation, seq: int, head: str) -> Checkpoint:
    existing = db.session.scalar(
        select(Checkpoint)
        .where(
            Checkpoint.investigation_id == investigation.id,
            Checkpoint.seq == seq,
            Checkpoint.head == head,
            Checkpoint.root.is_not(None),  # a v1 checkpoint signs no tree: sign anew
        )
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing
    try:
        return sign_checkpoint(db.session, investigation.id, seq, head)
    except LedgerBroken as exc:
        raise_alarm(db.session, investigation.id, exc.bad_seq, exc.problem)
        db.session.commit()  # the alarm stands whatever the caller does with this export
        raise LedgerExportError(
            f"{investigation.reference}: the ledger does not extend its last signed checkpoint "
            f"({exc.problem}); nothing was signed"
        ) from None


def _about(body: bytes) -> tuple[str | None, bool]:
    """(the object id an entry is about, whether its body names a client address)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None, False
    if not isinstance(parsed, dict):
        return None, False
    obj, actor = parsed.get("object"), parsed.get("actor")
    object_id = obj.get("id") if isinstance(obj, dict) else None
    return object_id, isinstance(actor, dict) and "ip" in actor
