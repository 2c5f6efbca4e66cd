"""Our side of cosigning: requests for a witness, its cosignatures kept and checked (s.10.1).

`cosign_request` writes what a witness instance needs (our newest signed tree and the
consistency proof from the last head that witness cosigned), `store_cosignature` keeps the
answer once it verifies under a configured cosigner key (CUSTOS_CUSTODY_COSIGNER_KEYS),
and `check_cosignatures` is what `custody verify` runs: every kept cosignature verifies,
and the tree recomputed from the bodies still has the root it cosigned.
"""

from __future__ import annotations

import json
import re

from flask import current_app
from sqlalchemy import func, select

from app.crypto.minisign import SignatureError, key_id_hex, parse_public_key, verify
from app.custody.chain import read_statement
from app.custody.cosign_format import REQUEST_TYPE, cosignature_comment
from app.custody.models import Checkpoint, Cosignature
from app.custody.tree import NodeReader
from app.custody.verify_checkpoints import signature_key_id
from app.extensions import db
from app.investigations.models import Investigation

_COMMENT_TAIL = " cosigned "


def cosigner_keys() -> dict[str, str]:
    """The configured witnesses' minisign public keys, by key id."""
    keys = current_app.config.get("CUSTOS_CUSTODY_COSIGNER_KEYS") or ()
    return {key_id_hex(parse_public_key(key)[0]): key for key in keys}


def _investigation(reference: str) -> Investigation:
    investigation = db.session.scalar(
        select(Investigation).where(Investigation.reference == reference)
    )
    if investigation is None:
        raise LookupError(f"no investigation {reference}")
    return investigation


def cosign_request(reference: str, witness_key: str) -> bytes:
    """The request for the witness whose public key is ``witness_key``: our newest checkpoint
    that signs a tree, with the consistency proof from the last head it cosigned for us."""
    from app.security import org_keys

    investigation = _investigation(reference)
    checkpoint = db.session.scalar(
        select(Checkpoint)
        .where(
            Checkpoint.investigation_id == investigation.id,
            Checkpoint.root.is_not(None),
            Checkpoint.key_id == key_id_hex(parse_public_key(org_keys.minisign_public_key())[0]),
        )
        .order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
        .limit(1)
    )
    if checkpoint is None:
        raise LookupError(f"{reference} has no checkpoint that signs a tree root")
    witness_id = key_id_hex(parse_public_key(witness_key)[0])
    old_size = db.session.scalar(
        select(func.max(Cosignature.seq)).where(
            Cosignature.investigation_id == investigation.id,
            Cosignature.witness_key_id == witness_id,
        )
    )
    old_size = min(old_size or 0, checkpoint.seq)
    proof = (
        NodeReader(db.session, investigation.id).consistency(old_size, checkpoint.seq)
        if (old_size and old_size < checkpoint.seq)
        else []
    )
    request = {
        "type": REQUEST_TYPE,
        "statement": bytes(checkpoint.statement).decode("utf-8"),
        "minisig": checkpoint.minisig,
        "old_size": old_size,
        "proof": [node.hex() for node in proof],
    }
    return json.dumps(request, sort_keys=True).encode("utf-8")


def cosignature_problem(statement: bytes, minisig: str, keys: dict[str, str]) -> str | None:
    """Why a cosignature of ``statement`` does not hold (None when it does)."""
    key_id = signature_key_id(minisig)
    if key_id is None:
        return "it is not a minisign signature"
    try:
        key = keys.get(key_id)
        if key is None:
            return f"signed by key {key_id}, which is not a configured cosigner"
        comment = verify(statement, minisig, key)
        signed = read_statement(statement)
    except (SignatureError, ValueError) as exc:
        return f"does not verify ({exc})"
    cosigned_at = comment.rpartition(_COMMENT_TAIL)[2]
    log_key_id = comment.split(" log ", 1)[-1].split(" ", 1)[0]
    if "root" not in signed or comment != cosignature_comment(signed, log_key_id, cosigned_at):
        return "its trusted comment does not say what the checkpoint says"
    return None


_COSIGNED = re.compile(
    r"trusted comment: custos-cosignature-v1 \S+ entries 1\.\.(\d+) root ([0-9a-f]{64}) "
)


def store_cosignature(reference: str, minisig: str) -> Cosignature:
    """Keep a witness's cosignature of one of our checkpoints, once it verifies."""
    keys = cosigner_keys()
    if not keys:
        raise ValueError("CUSTOS_CUSTODY_COSIGNER_KEYS is not set: no witness is trusted")
    investigation = _investigation(reference)
    named = _COSIGNED.search(minisig)
    if named is None:
        raise ValueError("the cosignature is refused: it is not a custos-cosignature-v1")
    candidates = db.session.scalars(
        select(Checkpoint.statement).where(
            Checkpoint.investigation_id == investigation.id,
            Checkpoint.seq == int(named[1]),
            Checkpoint.root == named[2],
        )
    )
    problem = f"it signs none of this ledger's checkpoints at entry {named[1]}"
    witness_id = signature_key_id(minisig)
    kept = db.session.scalar(
        select(Cosignature).where(
            Cosignature.investigation_id == investigation.id,
            Cosignature.seq == int(named[1]),
            Cosignature.witness_key_id == witness_id,
        )
    )
    if kept is not None:  # the same witness vouched for this size before: one is enough
        return kept
    for statement in candidates:
        statement = bytes(statement)
        problem_here = cosignature_problem(statement, minisig, keys)
        if problem_here is None:
            kept = Cosignature(
                investigation_id=investigation.id,
                seq=int(named[1]),
                root=named[2],
                statement=statement,
                minisig=minisig,
                witness_key_id=witness_id,
            )
            db.session.add(kept)
            db.session.commit()
            return kept
        problem = problem_here
    raise ValueError(f"the cosignature is refused: {problem}")


COSIGNATURES_SQL = (
    "SELECT seq, root, statement, minisig, witness_key_id FROM custody_cosignatures"
    " WHERE investigation_id = ? ORDER BY seq, id"
)


def check_cosignatures(
    rows: list[tuple], reference: str, last: int, roots: dict[int, bytes], problems
) -> int:
    """Check kept cosignatures (COSIGNATURES_SQL rows) against the configured cosigner keys
    and the verified tree (``roots``: the root at each size, recomputed from the bodies, for
    entries 1..``last``). Adds each problem to ``problems``; returns how many were checked."""
    keys = cosigner_keys()
    for seq, root, statement, minisig, witness_id in rows:
        statement = bytes(statement)
        where = f"cosignature by witness {witness_id} of entries 1..{seq}"
        problem = cosignature_problem(statement, minisig, keys)
        if problem is None:
            signed = read_statement(statement)
            if (signed["investigation"], signed["seq"], signed["root"]) != (reference, seq, root):
                problem = "it is about another checkpoint than its row says"
        if problem is not None:
            problems.add(min(seq, last + 1), f"{where}: {problem}")
        elif seq > last:
            problems.add(
                last + 1,
                f"{where}: the ledger ends at entry {last}, the witness saw it reach {seq}"
                " (deleted or truncated after cosigning)",
            )
        elif roots.get(seq) != bytes.fromhex(root):
            problems.add(
                seq,
                f"{where}: the tree recomputed from the bodies is not the one the witness"
                " cosigned (rewritten after cosigning)",
            )
    return len(rows)
