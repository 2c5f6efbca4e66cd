"""Hash chain of a custody ledger: entry hashes, the fast chain verifier, checkpoint statements."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from app.crypto.canonical import canonical_json, utc_timestamp

# docs/custody-format.md is the specification of everything below; change both together.
GENESIS_HASH = "0" * 64
CHECKPOINT_TYPE = "custos-checkpoint-v1"  # entries 1..seq end in head
CHECKPOINT_TYPE_V2 = "custos-checkpoint-v2"  # ...and the Merkle tree of 1..seq has root
STATEMENT_FIELDS = {
    CHECKPOINT_TYPE: frozenset({"type", "investigation", "seq", "head", "time"}),
    CHECKPOINT_TYPE_V2: frozenset({"type", "investigation", "seq", "head", "root", "time"}),
}

# The "custos-ledger-v1" line separates entry hashes from every other SHA-256 the
# application computes, and names the format version (custody-format.md, "Entry hash").
_ENTRY_PREIMAGE = "custos-ledger-v1\n%d\n%s\n%s"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")

# How far from its position the diagnosis looks for the seq an entry was originally
# written at (a renumbered entry's hash still commits to its original seq).
_RENUMBER_WINDOW = 1024

# (seq, prev, body_sha256, hash, body): body is None for a redacted entry, and
# body_sha256 may be None when the store keeps only the body (it is then computed).
Row = tuple[int, str, str | None, str, bytes | None]


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of verify_chain: how far the chain verified and, if it broke, where and why."""

    ok: bool
    verified: int  # entries that verified in this run
    last_seq: int  # seq of the last verified entry (the starting seq if none did)
    head: str  # entry hash of last_seq: what a signed checkpoint must name
    redacted: int  # verified entries whose body was absent
    bad_seq: int | None = None  # first position where verification failed
    reason: str | None = None  # "entry 17: body hash mismatch (modified)"


def body_digest(body_bytes: bytes) -> str:
    """SHA-256 of an entry's canonical body bytes, lowercase hex."""
    return hashlib.sha256(body_bytes).hexdigest()


def entry_hash(seq: int, prev_hash: str, body_sha256: str) -> str:
    """Hash of ledger entry ``seq`` linking to ``prev_hash`` and committing to its body digest."""
    if type(seq) is not int or seq < 1:
        raise ValueError(f"seq must be an integer >= 1, not {seq!r}")
    for name, value in (("prev_hash", prev_hash), ("body_sha256", body_sha256)):
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise ValueError(f"{name} must be 64 lowercase hex characters")
    return hashlib.sha256((_ENTRY_PREIMAGE % (seq, prev_hash, body_sha256)).encode()).hexdigest()


def head_statement(ref: str, seq: int, head: str, time: datetime | str) -> bytes:
    """Canonical bytes of the checkpoint statement that the organisation key signs.

    ``time`` is an aware datetime or an already formatted ``...ffffffZ`` timestamp.
    """
    if not isinstance(ref, str) or not ref:
        raise ValueError("the investigation reference must be a non-empty string")
    if type(seq) is not int or seq < 1:
        raise ValueError(f"a checkpoint covers entries 1..seq with seq >= 1, not {seq!r}")
    if not isinstance(head, str) or not _HEX64.fullmatch(head):
        raise ValueError("head must be an entry hash (64 lowercase hex characters)")
    if isinstance(time, datetime):
        time = utc_timestamp(time)
    elif not isinstance(time, str) or not _TIMESTAMP.fullmatch(time):
        raise ValueError("time must be an aware datetime or YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return canonical_json(
        {"type": CHECKPOINT_TYPE, "investigation": ref, "seq": seq, "head": head, "time": time}
    )


def tree_statement(ref: str, seq: int, head: str, root: str, time: datetime | str) -> bytes:
    """Canonical bytes of a v2 checkpoint statement: the v1 fields and the tree root (hex)."""
    v1 = json.loads(head_statement(ref, seq, head, time))
    if not isinstance(root, str) or not _HEX64.fullmatch(root):
        raise ValueError("root must be a tree hash (64 lowercase hex characters)")
    return canonical_json({**v1, "type": CHECKPOINT_TYPE_V2, "root": root})


def read_statement(statement: bytes) -> dict:
    """A signed statement's fields, checked for shape; ValueError naming what is wrong."""
    try:
        signed = json.loads(statement)
    except ValueError:
        raise ValueError("the signed statement is not JSON") from None
    if not isinstance(signed, dict) or set(signed) != STATEMENT_FIELDS.get(signed.get("type")):
        raise ValueError(f"the signed statement is not a {CHECKPOINT_TYPE}(-v2) statement")
    if (
        type(signed["seq"]) is not int
        or not isinstance(signed["head"], str)
        or not isinstance(signed["investigation"], str)
        or not isinstance(signed["time"], str)
        or not isinstance(signed.get("root", ""), str)
    ):
        raise ValueError("the signed statement's fields have the wrong types")
    return signed


def verify_chain(
    rows: Iterable[Row], *, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> ChainReport:
    """Verify ledger rows in order and report the first break.

    Checks that seqs run on from ``after_seq`` without gaps, that each ``prev`` is the
    previous entry's hash (``after_hash`` for the first), that a present body hashes to
    ``body_sha256``, and that ``hash`` is the entry hash. Pass ``after_seq``/``after_hash``
    of an already verified (e.g. checkpointed) entry to verify only what follows it.

    Hashes are ``str`` and bodies ``bytes``, as sqlite3 and psycopg return TEXT and
    BLOB/bytea columns, so a cursor can be passed straight in.

    Its budget is a fixed fraction of two bare SHA-256 calls per row
    (benchmarks/bench_chain_verify.py), so the loop binds its functions to locals,
    creates no objects beyond the hash strings, and leaves every explanation to
    _diagnose_break once something has already failed. ``flask custody verify`` runs
    the same checks in verify_pass.LedgerPass (with the filter columns and the Merkle
    tree, in one loop) and hands this function the first row that fails, so the verdict
    and its explanation are the ones given here.
    """
    sha256 = hashlib.sha256
    is_hex64 = _HEX64.fullmatch
    expected = after_seq + 1
    head = after_hash
    redacted = 0
    remaining = iter(rows)
    for seq, prev, body_sha256, claimed, body in remaining:
        if seq != expected or prev != head:
            row = (seq, prev, body_sha256, claimed, body)
            return _diagnose_break(row, expected, head, redacted, after_seq, remaining)
        if body is not None:
            digest = sha256(body).hexdigest()
            if body_sha256 is None:
                body_sha256 = digest
            elif digest != body_sha256:
                return _failed(expected, head, redacted, after_seq, "body hash mismatch (modified)")
        elif body_sha256 is None or not is_hex64(body_sha256):
            return _failed(
                expected, head, redacted, after_seq, "redacted entry has no valid body_sha256"
            )
        else:
            redacted += 1
        # The bytes of _ENTRY_PREIMAGE, spelled as an f-string: twice as fast as % here.
        if (
            sha256(f"custos-ledger-v1\n{seq}\n{prev}\n{body_sha256}".encode()).hexdigest()
            != claimed
        ):
            return _failed(expected, head, redacted, after_seq, "entry hash mismatch (modified)")
        head = claimed
        expected += 1
    return ChainReport(
        ok=True,
        verified=expected - 1 - after_seq,
        last_seq=expected - 1,
        head=head,
        redacted=redacted,
    )


def _failed(bad_seq: int, head: str, redacted: int, after_seq: int, why: str) -> ChainReport:
    return ChainReport(
        ok=False,
        verified=bad_seq - 1 - after_seq,
        last_seq=bad_seq - 1,
        head=head,
        redacted=redacted,
        bad_seq=bad_seq,
        reason=f"entry {bad_seq}: {why}",
    )


def _diagnose_break(
    row: Row, expected: int, head: str, redacted: int, after_seq: int, remaining: Iterator[Row]
) -> ChainReport:
    """Name the likeliest cause of a sequence or link break (runs once, off the hot path).

    An entry hash commits to the seq the entry was written at, so an entry that was
    renumbered still tells where it came from; that separates deletion (it came from
    further on), insertion (from earlier) and rewriting of the previous entry (from here).
    """
    seq, prev, body_sha256, claimed, body = row
    if type(seq) is not int:
        why = f"sequence number {seq!r} is not an integer (malformed)"
    elif seq > expected:
        if any(later[0] == expected for later in remaining):
            why = f"out of order, found entry {seq} in its place (reordered)"
        else:
            why = f"sequence gap, expected {expected} got {seq} (deleted)"
    elif seq < expected:
        duplicate = seq == expected - 1 and claimed == head
        why = f"sequence goes back, expected {expected} got {seq} " + (
            "(duplicated)" if duplicate else "(inserted)"
        )
    else:
        why = _explain_link_break(row, expected, head, remaining)
    return _failed(expected, head, redacted, after_seq, why)


def _explain_link_break(row: Row, expected: int, head: str, remaining: Iterator[Row]) -> str:
    seq, prev, body_sha256, claimed, body = row
    predecessor = "the genesis hash" if expected == 1 else f"entry {expected - 1}"
    mismatch = f"prev hash does not match {predecessor}"
    if body_sha256 is None:
        if body is None:
            return f"{mismatch} and the entry has neither body nor body_sha256"
        body_sha256 = body_digest(body)
    if _hash_at(expected, head, body_sha256) == claimed:
        return f"{mismatch} (prev field modified)"
    written_at = _seq_written_at(row, expected)
    if written_at is None:
        return f"{mismatch} (modified, inserted or reordered)"
    if written_at == expected:
        if expected == 1:
            return f"{mismatch} (modified)"
        return f"{mismatch} (entry {expected - 1} modified and rehashed, or replaced)"
    written = f"{mismatch}; it was written as entry {written_at}"
    if written_at < expected:
        return f"{written}, so entries were inserted before it (inserted)"
    # Written further on: either what stood here was deleted and the rest renumbered,
    # or entries swapped places; the original of this position turning up later decides.
    for later in remaining:
        if _seq_written_at(later, expected, window=0) == expected:
            return f"{written} (reordered)"
    return f"{written}, so entries before it were deleted (deleted)"


def _hash_at(seq: int, prev: str, body_sha256: str) -> str:
    return hashlib.sha256((_ENTRY_PREIMAGE % (seq, prev, body_sha256)).encode()).hexdigest()


def _seq_written_at(row: Row, near: int, window: int = _RENUMBER_WINDOW) -> int | None:
    """The seq whose entry hash matches this row's claimed hash, searched around ``near``."""
    _seq, prev, body_sha256, claimed, body = row
    if body_sha256 is None:
        if body is None:
            return None
        body_sha256 = body_digest(body)
    if not isinstance(prev, str) or not isinstance(body_sha256, str):
        return None
    for distance in range(window + 1):
        for candidate in (near - distance, near + distance) if distance else (near,):
            if candidate >= 1 and _hash_at(candidate, prev, body_sha256) == claimed:
                return candidate
    return None
