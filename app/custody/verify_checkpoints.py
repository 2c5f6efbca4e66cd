"""Checking signed checkpoints against a verified chain: signature, statement, note, head, root."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from app.crypto.minisign import SignatureError, key_id_hex, parse_public_key, verify
from app.crypto.note import NoteError, parse_checkpoint_body, verify_note
from app.custody.chain import CHECKPOINT_TYPE, read_statement
from app.custody.verify_reader import LedgerReader

# Checkpoints whose head is not the (verified) entry hash at their seq, or that point past it.
_MISMATCHED_CHECKPOINTS_SQL = (
    "SELECT c.id, c.seq FROM custody_checkpoints c LEFT JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? AND c.seq <= ?"
    " AND (e.entry_hash IS NULL OR e.entry_hash <> c.head)"
    " ORDER BY c.seq, c.id LIMIT 1"
)
_LAST_GOOD_CHECKPOINT_SQL = (
    "SELECT MAX(c.seq) FROM custody_checkpoints c JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? AND c.seq < ? AND e.entry_hash = c.head"
)
_ENTRY_HASH_SQL = "SELECT entry_hash FROM custody_entries WHERE investigation_id = ? AND seq = ?"


@dataclass
class Problems:
    found: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, seq: int, message: str) -> None:
        # Ties go to what was found first: chain breaks are looked for before checkpoints.
        self.found.append((seq, len(self.found), message))

    def first(self) -> tuple[int, str] | None:
        if not self.found:
            return None
        seq, _order, message = min(self.found)
        return seq, message


def find_rewritten_span(
    reader: LedgerReader, investigation_id: str, last: int, problems: Problems
) -> None:
    mismatch = reader.first(_MISMATCHED_CHECKPOINTS_SQL, (investigation_id, last))
    if mismatch is None:
        return
    _id, seq = mismatch
    good = reader.first(_LAST_GOOD_CHECKPOINT_SQL, (investigation_id, seq))
    since = (good[0] or 0) + 1 if good else 1
    span = f"entry {seq}" if since == seq else f"entries {since}..{seq}"
    problems.add(
        since,
        f"{span}: not what the checkpoint at entry {seq} recorded "
        "(rewritten and rehashed after signing, or the checkpoint was forged)",
    )


def check_checkpoint(
    reader: LedgerReader,
    ledger: tuple[str, str, dict[str, str], str | None],
    row: tuple[bytes, str, bytes | None],
    roots: dict[int, bytes],
    stored: tuple[int, str | None],
) -> tuple[int, str, str, str] | str:
    """(seq, time, key id, head) of a checkpoint that verifies and matches the chain, or why not.

    ``ledger``: (investigation id, reference, trusted keys, the signature's key id);
    ``stored``: the row's seq and the entry hash stored there (None: no such entry), read
    with the checkpoint, so only a statement naming another seq costs a query.
    """
    investigation_id, reference, keys, key_id = ledger
    statement, minisig, note = row
    statement = bytes(statement)
    if key_id is None:
        return "the signature is not in the minisign format"
    if key_id not in keys:
        return f"signed by key {key_id}, which is not a trusted signer"
    try:
        verify(statement, minisig, keys[key_id])
    except SignatureError:
        return "signature does not verify: forged or altered checkpoint"
    try:
        signed = read_statement(statement)
        check_note(signed, note, keys[key_id])
    except ValueError as exc:
        return str(exc)
    if signed["investigation"] != reference:
        return f"the signed statement is about {signed['investigation']}, not {reference}"
    if stored[0] == signed["seq"]:
        actual = stored[1]
    else:
        actual = reader.scalar(_ENTRY_HASH_SQL, investigation_id, signed["seq"])
    if actual is None:
        return f"it signs entry {signed['seq']}, which is missing (deleted)"
    if actual != signed["head"]:
        return f"entry {signed['seq']} is not the entry that was signed (rewritten after signing)"
    if "root" in signed and roots.get(signed["seq"], b"").hex() != signed["root"]:
        return (
            f"the Merkle root it signs is not the root of entries 1..{signed['seq']} "
            "(a body rewritten, inserted or reordered)"
        )
    return signed["seq"], signed["time"], key_id, signed["head"]


def check_note(signed: dict, note: bytes | None, public_key: str) -> None:
    """Check a v2 statement's C2SP signed note: signed by the key, saying the same thing."""
    if signed["type"] == CHECKPOINT_TYPE:
        return
    if note is None:
        raise ValueError("its signed note (the tlog checkpoint) is missing")
    _key_id, key = parse_public_key(public_key)
    raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        origin = parse_checkpoint_body(bytes(note).partition(b"\n\n")[0] + b"\n").origin
        name, _sep, reference = origin.rpartition("/custody/")
        body = parse_checkpoint_body(verify_note(bytes(note), name, raw_key))
    except NoteError as exc:
        raise ValueError(f"its signed note does not verify ({exc})") from None
    if (reference, body.size, body.root.hex(), body.chain_head, body.time) != (
        signed["investigation"],
        signed["seq"],
        signed["root"],
        signed["head"],
        signed["time"],
    ):
        raise ValueError("its signed note and its statement disagree")


def signature_key_id(minisig: str) -> str | None:
    lines = minisig.splitlines()
    if len(lines) < 2:
        return None
    try:
        packed = base64.b64decode(lines[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key_id_hex(packed[2:10]) if len(packed) == 74 else None


class TrustedKeys(dict):
    """Public keys by key id, and the ids of revoked signers: a checkpoint by one of those
    vouches for nothing (nor is it a forgery: it was trusted when made), so entries must be
    covered by another."""

    def __init__(self, keys: dict[str, str], revoked: set[str] | None = None) -> None:
        super().__init__(keys)
        self.revoked = frozenset(revoked or ())


def key_for(minisig: str, keys: dict[str, str]) -> str:
    """The trusted public key that made `minisig`; SignatureError if none of them did."""
    key_id = signature_key_id(minisig)
    if key_id is None:
        raise SignatureError("the signature is not in the minisign format")
    if key_id not in keys:
        raise SignatureError(f"signed by key {key_id}, which is not a trusted signer")
    return keys[key_id]
