"""The signed list of what an export withholds (custody-format.md s.4): positions, counts, root.

An export about some items carries only the entries about them, each with an inclusion
proof against the signed tree root. This statement, signed with the organisation key, says
which positions of the tree of that size are disclosed and which are withheld, so nothing
can be dropped from an export (or added to it) unnoticed, and a reader learns of a withheld
entry only that it exists at its position.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.crypto.canonical import canonical_json, utc_timestamp
from app.crypto.minisign import SigningKey

DISCLOSURE_TYPE = "custos-disclosure-v1"
UNTRUSTED_COMMENT = "signature from custos export key"


def withheld_ranges(disclosed: list[int], tree_size: int) -> list[list[int]]:
    """The positions 1..tree_size not in ``disclosed`` (ascending), as [first, last] runs."""
    ranges: list[list[int]] = []
    expected = 1
    for seq in [*disclosed, tree_size + 1]:
        if seq > expected:
            ranges.append([expected, seq - 1])
        expected = seq + 1
    return ranges


def disclosure_statement(
    reference: str, tree_size: int, root: str, disclosed: list[int], moment: datetime
) -> bytes:
    """Canonical bytes of the statement: which entries of the signed tree an export carries."""
    if disclosed != sorted(set(disclosed)) or not all(0 < s <= tree_size for s in disclosed):
        raise ValueError("disclosed positions must be ascending, unique and within the tree")
    ranges = withheld_ranges(disclosed, tree_size)
    return canonical_json(
        {
            "type": DISCLOSURE_TYPE,
            "investigation": reference,
            "tree_size": tree_size,
            "root": root,
            "disclosed": disclosed,
            "withheld": ranges,
            "withheld_count": tree_size - len(disclosed),
            "time": utc_timestamp(moment.astimezone(UTC)),
        }
    )


def disclosure_comment(statement: dict) -> str:
    """The trusted comment: what `minisign -V` shows a person, which a verifier compares."""
    return (
        f"{DISCLOSURE_TYPE} {statement['investigation']} entries 1..{statement['tree_size']}"
        f" root {statement['root']}: {len(statement['disclosed'])} disclosed,"
        f" {statement['withheld_count']} withheld at {statement['time']}"
    )


def sign_disclosure(
    key: SigningKey, reference: str, tree_size: int, root: str, disclosed: list[int]
) -> tuple[bytes, str]:
    """(statement bytes, minisign signature text) for an export disclosing ``disclosed``."""
    statement = disclosure_statement(reference, tree_size, root, disclosed, datetime.now(UTC))
    comment = disclosure_comment(json.loads(statement))
    return statement, key.sign(statement, comment, UNTRUSTED_COMMENT)
