"""Cosigning another instance's checkpoints, as its witness (custody-format.md section 10.1).

A witness keeps, per log key and ledger, the last head it cosigned. It countersigns a new
checkpoint only when the log's key signed it and a consistency proof leads from that head
to the new one: so an operator who holds both the log's database and its signing key can
still not have a rewritten or shortened history cosigned. The countersignature is a
minisign signature of the checkpoint statement with the witness instance's own key, so
`minisign -Vm checkpoint.json -x checkpoint.json.cosig -P WITNESS_KEY` checks it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from app.crypto import merkle
from app.crypto.canonical import utc_timestamp
from app.crypto.minisign import SignatureError, SigningKey, key_id_hex, parse_public_key, verify
from app.custody.chain import read_statement
from app.custody.checkpoints import trusted_comment
from app.custody.cosign_format import (
    REQUEST_FIELDS,
    REQUEST_TYPE,
    UNTRUSTED_COMMENT,
    cosignature_comment,
)
from app.custody.models import CosignedHead
from app.extensions import db


class CosignRefused(ValueError):
    """The witness will not countersign this request; the message says why."""


def read_request(data: bytes) -> dict:
    """A cosign request's fields, checked for shape; CosignRefused naming what is wrong."""
    try:
        request = json.loads(data)
    except ValueError:
        raise CosignRefused("the request is not JSON") from None
    if (
        not isinstance(request, dict)
        or set(request) != REQUEST_FIELDS
        or request["type"] != REQUEST_TYPE
        or not isinstance(request["statement"], str)
        or not isinstance(request["minisig"], str)
        or type(request["old_size"]) is not int
        or request["old_size"] < 0
        or not isinstance(request["proof"], list)
    ):
        raise CosignRefused(f"the request is not a {REQUEST_TYPE}")
    try:
        request["proof"] = [bytes.fromhex(node) for node in request["proof"]]
    except (TypeError, ValueError):
        raise CosignRefused("the consistency proof is not a list of hex hashes") from None
    return request


def cosign(request_bytes: bytes, log_public_key: str, key: SigningKey) -> str:
    """Check a cosign request against the last head cosigned for that log; sign and record.

    Returns the cosignature (.minisig text). Raises CosignRefused, changing nothing, when the
    log's signature or trusted comment does not verify, the tree is smaller than the one
    cosigned before, or the consistency proof does not lead from it to the new tree.
    """
    request = read_request(request_bytes)
    statement_bytes = request["statement"].encode("utf-8")
    try:
        log_key_id = key_id_hex(parse_public_key(log_public_key)[0])
        comment = verify(statement_bytes, request["minisig"], log_public_key)
        statement = read_statement(statement_bytes)
    except (SignatureError, ValueError) as exc:
        raise CosignRefused(f"the checkpoint does not verify under the log's key ({exc})") from None
    if "root" not in statement:
        raise CosignRefused("only checkpoints that sign a tree root (v2) can be cosigned")
    root = bytes.fromhex(statement["root"])
    expected = trusted_comment(
        statement["investigation"], statement["seq"], statement["head"], statement["time"], root
    )
    if comment != expected:
        raise CosignRefused("the log's trusted comment does not say what its statement says")
    reference, size = statement["investigation"], statement["seq"]
    last = db.session.scalar(
        select(CosignedHead)
        .where(CosignedHead.log_key_id == log_key_id, CosignedHead.reference == reference)
        .with_for_update()
    )
    _check_extends(last, size, root, request)
    moment = datetime.now(UTC)
    signature = key.sign(
        statement_bytes,
        cosignature_comment(statement, log_key_id, utc_timestamp(moment)),
        UNTRUSTED_COMMENT,
    )
    if last is None:
        last = CosignedHead(log_key_id=log_key_id, reference=reference)
        db.session.add(last)
    last.size, last.root, last.cosigned_at = size, root.hex(), moment.replace(tzinfo=None)
    db.session.commit()
    return signature


def _check_extends(last: CosignedHead | None, size: int, root: bytes, request: dict) -> None:
    if last is None:  # first contact: this head becomes what later ones must extend
        if request["old_size"] != 0 or request["proof"]:
            raise CosignRefused("nothing was cosigned for this ledger yet: old_size must be 0")
        return
    if size < last.size:
        raise CosignRefused(
            f"the checkpoint covers entries 1..{size}, fewer than the 1..{last.size} cosigned"
            " before (rolled back or truncated)"
        )
    if request["old_size"] != last.size:
        raise CosignRefused(
            f"the last cosigned head is at entry {last.size}: the proof must start there"
        )
    try:
        merkle.verify_consistency(last.size, size, bytes.fromhex(last.root), root, request["proof"])
    except merkle.ProofError:
        raise CosignRefused(
            f"entries 1..{last.size} are not what was cosigned before (rewritten, deleted,"
            " inserted or reordered)"
        ) from None
