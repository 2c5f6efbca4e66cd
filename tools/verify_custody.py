#!/usr/bin/env python3
"""Verify an exported Custos custody ledger against its signed checkpoint, trusting nothing else.

Ships inside case-file exports. Needs only Python 3.11+ and the `cryptography` package, and
imports nothing from Custos on purpose: it is a second, independent implementation of the
format in docs/custody-format.md, so a bug in the application cannot vouch for itself.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
CHECKPOINT_TYPE = "custos-checkpoint-v1"
ENTRY_FIELDS = frozenset({"seq", "prev", "body_sha256", "hash", "body"})
STATEMENT_FIELDS = frozenset({"type", "investigation", "seq", "head", "time"})
_HEX64 = re.compile(r"[0-9a-f]{64}")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Verify a Custos chain-of-custody ledger export (JSON Lines, one entry per line).

Checks, and stops at the first problem:
  1. the checkpoint signature (minisign format, Ed25519) against the organisation's
     public key, including its trusted comment;
  2. every ledger entry: numbered 1, 2, 3... without gaps, each linked to the previous
     entry's hash, each body (when present) hashing to its body_sha256, each entry
     hash recomputed; a redacted entry (body null) still counts by its body_sha256;
  3. every present body names the investigation that the checkpoint names;
  4. the signed checkpoint names exactly the last entry (same seq, same hash), so no
     entry was added, removed or rewritten after the organisation signed it.
"""

EPILOG = """\
example:
  python3 verify_custody.py custody-ledger.jsonl --public-key RW...

Take the public key from the organisation's published channel, not from the export
being checked: whoever could alter the export could also swap a key inside it.
The signature alone can be cross-checked with the standard tool:
  minisign -Vm checkpoint.json -P RW...

exit status: 0 verified; 1 verification failed (the first problem is printed on
stderr); 2 usage error or unreadable file.
"""


class VerificationError(Exception):
    """The export does not verify; the message names the first problem found."""


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def entry_hash(seq: int, prev: str, body_sha256: str) -> str:
    preimage = b"custos-ledger-v1\n%d\n%s\n%s" % (seq, prev.encode(), body_sha256.encode())
    return hashlib.sha256(preimage).hexdigest()


def _strict_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # A repeated key would let two readers see two different values in one line.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("repeated key")
    return obj


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _load_json(text: str) -> object:
    return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_no_constant)


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def read_ledger(data: bytes) -> list[dict]:
    """Parse the JSON Lines export, refusing anything that is not exactly an entry."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError(f"ledger is not UTF-8 text ({exc})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    entries = []
    for number, line in enumerate(lines, start=1):
        try:
            entry = _load_json(line)
        except ValueError as exc:
            raise VerificationError(f"ledger line {number}: not a JSON object ({exc})") from None
        if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
            raise VerificationError(f"ledger line {number}: fields must be {sorted(ENTRY_FIELDS)}")
        seq = entry["seq"]
        if type(seq) is not int or seq < 1:
            raise VerificationError(f"ledger line {number}: seq must be an integer >= 1")
        if not all(_is_hex64(entry[k]) for k in ("prev", "body_sha256", "hash")):
            raise VerificationError(f"ledger line {number}: hashes must be 64 lowercase hex")
        if entry["body"] is not None and not isinstance(entry["body"], str):
            raise VerificationError(f"ledger line {number}: body must be a string or null")
        entries.append(entry)
    return entries


def verify_entries(entries: list[dict], investigation: str | None = None) -> tuple[int, str, int]:
    """Verify the chain from entry 1; return (last seq, head hash, redacted count)."""
    head, redacted = GENESIS_HASH, 0
    for index, entry in enumerate(entries):
        expected, seq = index + 1, entry["seq"]
        where = f"entry {expected}"
        if seq > expected:
            if any(later["seq"] == expected for later in entries[index + 1 :]):
                raise VerificationError(f"{where}: out of order, found entry {seq} (reordered)")
            raise VerificationError(
                f"{where}: sequence gap, expected {expected} got {seq} (deleted)"
            )
        if seq < expected:
            raise VerificationError(
                f"{where}: sequence goes back to {seq} (inserted or duplicated)"
            )
        if entry["prev"] != head:
            previous = "the genesis hash" if expected == 1 else f"entry {expected - 1}"
            # Its own hash still verifying means it really was written as this entry: what
            # stands before it now is not what stood there when it was written.
            if entry_hash(seq, entry["prev"], entry["body_sha256"]) == entry["hash"]:
                cause = "the entry before it was rewritten or replaced"
            else:
                cause = "inserted, reordered or modified"
            raise VerificationError(f"{where}: prev hash does not match {previous} ({cause})")
        if entry["body"] is None:
            redacted += 1
        else:
            try:
                body = entry["body"].encode("utf-8")
            except UnicodeEncodeError:
                raise VerificationError(f"{where}: body is not valid text (modified)") from None
            if body_digest(body) != entry["body_sha256"]:
                raise VerificationError(f"{where}: body hash mismatch (modified)")
        if entry_hash(seq, entry["prev"], entry["body_sha256"]) != entry["hash"]:
            raise VerificationError(f"{where}: entry hash mismatch (modified)")
        if investigation is not None and entry["body"] is not None:
            _check_investigation(where, entry["body"], investigation)
        head = entry["hash"]
    return len(entries), head, redacted


def _check_investigation(where: str, body: str, investigation: str) -> None:
    try:
        named = _load_json(body)
    except ValueError:
        raise VerificationError(f"{where}: body is not JSON") from None
    if not isinstance(named, dict) or named.get("investigation") != investigation:
        raise VerificationError(f"{where}: body does not belong to investigation {investigation}")


def verify_minisign(message: bytes, signature_text: str, public_key: str) -> tuple[str, str]:
    """Check a minisign signature (https://jedisct1.github.io/minisign/, "Signature format").

    Returns (trusted comment, key id as minisign prints it).
    """
    key_lines = public_key.strip().splitlines()
    raw_key = _b64(key_lines[-1].strip() if key_lines else "", "public key")
    if len(raw_key) != 42 or raw_key[:2] != b"Ed":
        raise VerificationError("public key is not a minisign Ed25519 key (RW...)")
    try:
        key_id, key = raw_key[2:10], Ed25519PublicKey.from_public_bytes(raw_key[10:])
    except ValueError:
        raise VerificationError("public key is not a valid Ed25519 key") from None
    lines = [line.removesuffix("\r") for line in signature_text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if (
        len(lines) != 4
        or not lines[0].startswith("untrusted comment: ")
        or not lines[2].startswith("trusted comment: ")
    ):
        raise VerificationError("signature file is not in the minisign format")
    packed, global_signature = _b64(lines[1], "signature"), _b64(lines[3], "signature")
    if len(packed) != 74 or len(global_signature) != 64:
        raise VerificationError("signature file is not in the minisign format")
    algorithm, signature = packed[:2], packed[10:]
    if packed[2:10] != key_id:
        raise VerificationError(
            f"checkpoint signed by key {_key_id_hex(packed[2:10])}, not by the given key "
            f"{_key_id_hex(key_id)}"
        )
    if algorithm not in (b"ED", b"Ed"):
        raise VerificationError("unsupported minisign signature algorithm")
    # "ED": Ed25519 over the BLAKE2b-512 of the file (minisign's default); "Ed": legacy.
    signed = hashlib.blake2b(message, digest_size=64).digest() if algorithm == b"ED" else message
    trusted_comment = lines[2].removeprefix("trusted comment: ")
    try:
        key.verify(signature, signed)
        key.verify(global_signature, signature + trusted_comment.encode("utf-8"))
    except (InvalidSignature, UnicodeEncodeError):
        raise VerificationError("checkpoint signature does not verify") from None
    return trusted_comment, _key_id_hex(key_id)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64") from None


def _key_id_hex(key_id: bytes) -> str:
    return format(int.from_bytes(key_id, "little"), "X")


def read_statement(data: bytes) -> dict:
    """Parse the (already signature-checked) checkpoint statement."""
    try:
        statement = _load_json(data.decode("utf-8"))
    except ValueError:
        raise VerificationError("checkpoint is not a JSON object") from None
    if (
        not isinstance(statement, dict)
        or set(statement) != STATEMENT_FIELDS
        or statement["type"] != CHECKPOINT_TYPE
        or not isinstance(statement["investigation"], str)
        or type(statement["seq"]) is not int
        or not _is_hex64(statement["head"])
        or not isinstance(statement["time"], str)
    ):
        raise VerificationError(f"checkpoint is not a {CHECKPOINT_TYPE} statement")
    return statement


def verify_export(ledger: bytes, statement_bytes: bytes, signature: bytes, public_key: str) -> str:
    """Verify everything; return the one-line summary or raise VerificationError."""
    try:
        signature_text = signature.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("signature file is not in the minisign format") from None
    _comment, key_id = verify_minisign(statement_bytes, signature_text, public_key)
    statement = read_statement(statement_bytes)
    ref, signed_seq, signed_head = statement["investigation"], statement["seq"], statement["head"]
    entries = read_ledger(ledger)
    if not entries:
        raise VerificationError("ledger has no entries")
    last_seq, head, _redacted = verify_entries(entries, ref)
    if signed_seq > last_seq:
        raise VerificationError(
            f"checkpoint covers entries 1..{signed_seq} but the ledger ends at entry {last_seq}"
            f" (entries {last_seq + 1}..{signed_seq} deleted)"
        )
    if signed_seq < last_seq:
        raise VerificationError(
            f"ledger runs to entry {last_seq} but the checkpoint covers only 1..{signed_seq}"
            f" (entries {signed_seq + 1}..{last_seq} not covered by the signature)"
        )
    if signed_head != head:
        raise VerificationError(
            f"entry {last_seq}: hash differs from the signed checkpoint head"
            " (ledger rewritten after signing)"
        )
    return f"OK: {ref} entries 1..{last_seq}, head {head}, checkpoint signed by key {key_id}"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="verify_custody.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "ledger",
        type=Path,
        metavar="LEDGER.jsonl",
        help="the ledger export, e.g. custody-ledger.jsonl",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="the signed statement (default: checkpoint.json beside the ledger)",
    )
    parser.add_argument(
        "--signature",
        type=Path,
        metavar="PATH",
        help="its minisign signature (default: CHECKPOINT.minisig)",
    )
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--public-key", metavar="RW...", help="the organisation's minisign key")
    key.add_argument(
        "--public-key-file", type=Path, metavar="PATH", help="a minisign .pub file holding it"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    checkpoint = args.checkpoint or args.ledger.parent / "checkpoint.json"
    signature = args.signature or checkpoint.with_name(checkpoint.name + ".minisig")
    try:
        ledger_bytes = args.ledger.read_bytes()
        statement_bytes = checkpoint.read_bytes()
        signature_bytes = signature.read_bytes()
        public_key = args.public_key or args.public_key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read input: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        summary = verify_export(ledger_bytes, statement_bytes, signature_bytes, public_key)
    except VerificationError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(summary)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
