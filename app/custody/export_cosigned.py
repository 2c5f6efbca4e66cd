"""The witnesses' cosignatures an export carries, each with its proof (custody-format.md s.10.2).

For every witness that cosigned this ledger, the newest cosignature of a tree no larger
than the exported checkpoint's goes into `cosigned/WITNESS_KEY_ID/`: the checkpoint
statement it signs, the cosignature, and the consistency proof from that tree to the
exported one. So a reader holding the witness's key learns that someone other than the
organisation saw entries 1..N with this history, and when.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from app.custody.models import Checkpoint, Cosignature
from app.custody.tree import NodeReader
from app.extensions import db

COSIGNED_DIR = "cosigned"
STATEMENT_FILE = "checkpoint.json"
COSIGNATURE_FILE = "checkpoint.json.cosig"
CONSISTENCY_FILE = "consistency.json"


def write_cosigned(checkpoint: Checkpoint, nodes: NodeReader, out_dir: Path) -> int:
    """Write each witness's newest cosignature at or below ``checkpoint``; how many."""
    newest = (
        select(Cosignature.witness_key_id, func.max(Cosignature.seq).label("seq"))
        .where(
            Cosignature.investigation_id == checkpoint.investigation_id,
            Cosignature.seq <= checkpoint.seq,
        )
        .group_by(Cosignature.witness_key_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Cosignature)
        .join(
            newest,
            (newest.c.witness_key_id == Cosignature.witness_key_id)
            & (newest.c.seq == Cosignature.seq),
        )
        .where(Cosignature.investigation_id == checkpoint.investigation_id)
        .order_by(Cosignature.witness_key_id)
    ).all()
    for row in rows:
        folder = Path(out_dir) / COSIGNED_DIR / row.witness_key_id
        folder.mkdir(parents=True)
        (folder / STATEMENT_FILE).write_bytes(bytes(row.statement))
        (folder / COSIGNATURE_FILE).write_text(row.minisig, encoding="utf-8")
        proof = nodes.consistency(row.seq, checkpoint.seq) if row.seq < checkpoint.seq else []
        consistency = {
            "old_size": row.seq,
            "new_size": checkpoint.seq,
            "proof": [node.hex() for node in proof],
        }
        (folder / CONSISTENCY_FILE).write_text(
            json.dumps(consistency, sort_keys=True), encoding="utf-8"
        )
    return len(rows)
