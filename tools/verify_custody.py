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
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
CHECKPOINT_TYPE = "custos-checkpoint-v1"
CHECKPOINT_TYPE_V2 = "custos-checkpoint-v2"
ENTRY_FIELDS = frozenset({"seq", "prev", "body_sha256", "hash", "body"})
DISCLOSED_FIELDS = frozenset({"seq", "body"})  # a line of an export that withholds entries
DISCLOSURE_TYPE = "custos-disclosure-v1"
DISCLOSURE_FIELDS = frozenset(
    {"type", "investigation", "tree_size", "root", "disclosed", "withheld", "withheld_count",
     "time"}
)  # fmt: skip
STATEMENT_FIELDS = {
    CHECKPOINT_TYPE: frozenset({"type", "investigation", "seq", "head", "time"}),
    CHECKPOINT_TYPE_V2: frozenset({"type", "investigation", "seq", "head", "root", "time"}),
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
BODY_FIELDS = frozenset({"investigation", "actor", "action", "object", "time", "details"})
ACTOR_FIELDS = {
    "user": frozenset({"type", "id", "email", "role"}),
    "system": frozenset({"type", "id"}),
}
ACTIONS = frozenset(
    {
        "collected", "received", "metadata_extracted", "derivative_created", "viewed",
        "streamed", "downloaded", "annotated", "linked_to_case", "exported", "transferred",
        "fixity_verified", "fixity_failed", "access_granted", "access_revoked", "key_rotated",
        "testimony_sealed", "addendum_added", "assessed", "export_withdrawn", "export_expired",
        "consent_recorded", "consent_regrant_requested", "consent_regrant_refused",
        "signer_added", "signer_revoked", "duplicate_found", "fingerprinted",
        "duplicate_suggested", "duplicate_confirmed", "duplicate_rejected",
        "consistency_checked", "linked_to_incident", "unlinked_from_incident",
        "legal_hold_placed", "legal_hold_released",
        "disposition_blocked", "destroyed", "identity_destroyed", "web_capture_checked",
        "provenance_checked", "proofmode_key_pinned",
        "testimony_languages_recorded", "received_via_openrosa",
        "acquisition_recorded", "investigation_closed", "investigation_reopened",
        "wacz_key_pinned", "wacz_key_unpinned",
        "translation_sealed", "sealed_submission_kept", "sealed_submission_opened",
        "sealed_submission_refused",
    }
)  # fmt: skip

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Verify a Custos chain-of-custody ledger export (JSON Lines, one entry per line).

Checks, and stops at the first problem:
  1. the checkpoint signature (minisign format, Ed25519) against the organisation's
     public key, including its trusted comment;
  2. every ledger entry: numbered 1, 2, 3... without gaps, each linked to the previous
     entry's hash, each body (when present) hashing to its body_sha256, each entry
     hash recomputed; a redacted entry (body null) still counts by its body_sha256;
  3. every present body names the investigation that the checkpoint names and is a
     well-formed entry body: exactly its members, a known action, the one time format
     (YYYY-MM-DDTHH:MM:SS.ffffffZ), in RFC 8785 canonical form (--lenient-bodies skips
     all but the investigation);
  4. the signed checkpoint names exactly the last entry (same seq, same hash), so no
     entry was added, removed or rewritten after the organisation signed it.
  5. in a case-file bag (the ledger in BAG/data/custody/, or --bag BAG): every evidence
     file under data/items/ has the SHA-256 signed in its `received` entry (an original)
     or `derivative_created` entry (a redacted copy).
  With custody-withheld.json beside the ledger (an export about some items), 2 and 4
  become: the signed list of withheld entries (its minisign signature, its trusted
  comment, the checkpoint's tree) names exactly the entries the ledger carries, each
  line is {seq, body}, and each body is proved by its inclusion proof against the
  signed tree root (its leaf hashed with the salt custody-proofs.json gives for it, if
  any); of a withheld entry only its position is known.
  6. with timestamped/: its signed note states the stamped checkpoint, each RFC 3161
     token's imprint is the note's hash, and the earliest genTime is printed: the time
     a timestamp authority vouches for (its CMS signature: openssl ts -verify).
  7. with --cosigner-key (repeat for each witness): cosigned/ holds a cosignature by
     each given key whose signature verifies, whose trusted comment states the cosigned
     checkpoint and the key that signed this export, and whose tree the exported
     checkpoint extends (its consistency proof); the time each witness vouches for is
     printed. Cosignatures by keys not given are not trusted.
"""

EPILOG = """\
example:
  python3 verify_custody.py custody-ledger.jsonl --public-key RW...

Take the public key from the organisation's published channel, not from the export
being checked: whoever could alter the export could also swap a key inside it. A
checkpoint signed by one of the organisation's intake nodes needs that node's key too
(the organisation publishes them: `flask custody signers list`); give each with
--public-key.
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


def read_ledger(data: bytes, fields: frozenset[str] = ENTRY_FIELDS) -> list[dict]:
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
        if not isinstance(entry, dict) or set(entry) != fields:
            raise VerificationError(f"ledger line {number}: fields must be {sorted(fields)}")
        seq = entry["seq"]
        if type(seq) is not int or seq < 1:
            raise VerificationError(f"ledger line {number}: seq must be an integer >= 1")
        if not all(_is_hex64(entry[k]) for k in ("prev", "body_sha256", "hash") if k in fields):
            raise VerificationError(f"ledger line {number}: hashes must be 64 lowercase hex")
        if entry["body"] is not None and not isinstance(entry["body"], str):
            raise VerificationError(f"ledger line {number}: body must be a string or null")
        entries.append(entry)
    return entries


def verify_entries(
    entries: list[dict], investigation: str | None = None, strict: bool = True
) -> tuple[int, str, int]:
    """Verify the chain from entry 1; return (last seq, head hash, redacted count).

    ``strict``: every present body must also be a well-formed entry body (section 1),
    in canonical form; without it only its investigation is checked.
    """
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
        if strict and entry["body"] is not None:
            _check_body(where, entry["body"])
        head = entry["hash"]
    return len(entries), head, redacted


def _check_investigation(where: str, body: str, investigation: str) -> None:
    try:
        named = _load_json(body)
    except ValueError:
        raise VerificationError(f"{where}: body is not JSON") from None
    if not isinstance(named, dict) or named.get("investigation") != investigation:
        raise VerificationError(f"{where}: body does not belong to investigation {investigation}")


def _check_body(where: str, body: str) -> None:
    """Section 1: exact members, known action, one time format, canonical (JCS) bytes."""
    try:
        parsed = _load_json(body)
    except ValueError:
        raise VerificationError(f"{where}: body is not JSON") from None
    problem = _body_problem(parsed)
    if problem is None and jcs(parsed) != body.encode("utf-8"):
        problem = "it is not in canonical form (RFC 8785): re-serialised, it differs"
    if problem is not None:
        raise VerificationError(f"{where}: malformed body, {problem}")


def _body_problem(body: object) -> str | None:
    if not isinstance(body, dict) or set(body) != BODY_FIELDS:
        return f"members must be exactly {sorted(BODY_FIELDS)}"
    actor, obj = body["actor"], body["object"]
    if not isinstance(actor, dict) or set(actor) != ACTOR_FIELDS.get(actor.get("type")):
        return "actor must be {type: user, id, email, role} or {type: system, id}"
    if not all(isinstance(value, str) for value in actor.values()):
        return "actor members must be strings"
    if actor["type"] == "system" and not actor["id"].startswith("system"):
        return "a system actor's id is 'system' or 'system:<what>'"
    if body["action"] not in ACTIONS:
        return f"unknown action {body['action']!r}"
    if (
        not isinstance(obj, dict)
        or set(obj) != {"type", "id"}
        or not all(isinstance(value, str) and value for value in obj.values())
    ):
        return "object must be {type: string, id: string}"
    if not isinstance(body["time"], str) or not _valid_time(body["time"]):
        return "time must be a real UTC instant written YYYY-MM-DDTHH:MM:SS.ffffffZ"
    if not isinstance(body["details"], dict):
        return "details must be an object"
    return None


def _valid_time(text: str) -> bool:
    if _TIME.fullmatch(text) is None:
        return False
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


def jcs(value: object) -> bytes:
    """RFC 8785 serialization of a parsed JSON value (what the ledger hashes)."""
    return _jcs_text(value).encode("utf-8")


def _jcs_text(value: object) -> str:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        members = (f"{_jcs_text(key)}:{_jcs_text(value[key])}" for key in keys)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs_text(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # escapes exactly as RFC 8785 s.3.2.2.2
    if isinstance(value, float):
        return _es_number(value)
    return json.dumps(value)  # true, false, null, integers


def _es_number(value: float) -> str:
    """ECMAScript Number::toString (RFC 8785 s.3.2.2.3) from Python's shortest repr."""
    if value == 0:
        return "0"
    sign, value = ("-", -value) if value < 0 else ("", value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") or "0"
    # value = 0.digits * 10**point
    point = len(whole.lstrip("0")) + int(exponent or 0) if whole != "0" else 0
    if whole == "0":
        point = -(len(fraction) - len(fraction.lstrip("0"))) + int(exponent or 0)
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        shown = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{shown}e{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"
    return sign + text


def verify_minisign(
    message: bytes, signature_text: str, public_key: str, what: str = "checkpoint"
) -> tuple[str, str]:
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
            f"{what} signed by key {_key_id_hex(packed[2:10])}, not by the given key "
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
        raise VerificationError(f"{what} signature does not verify") from None
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
        or set(statement) != STATEMENT_FIELDS.get(statement.get("type"))
        or not isinstance(statement["investigation"], str)
        or type(statement["seq"]) is not int
        or not _is_hex64(statement["head"])
        or not _is_hex64(statement.get("root", "0" * 64))
        or not isinstance(statement["time"], str)
    ):
        raise VerificationError("checkpoint is not a custos-checkpoint-v1 or -v2 statement")
    return statement


def expected_comment(statement: dict) -> str:
    """The trusted comment the statement must carry: what `minisign -V` shows a person."""
    words = (
        f"{statement['type']} {statement['investigation']} entries 1..{statement['seq']}"
        f" head {statement['head']}"
    )
    if "root" in statement:
        words += f" root {statement['root']}"
    return f"{words} at {statement['time']}"


# -- RFC 9162 section 2.1: the Merkle tree the v2 checkpoints sign ---------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


LEAF_V2_LABEL = b"custos-leaf-v2\n"  # a salted leaf's data: this, the 32-byte salt, the body


def entry_leaf(body: bytes, salt: bytes | None) -> bytes:
    """An entry's leaf hash: format v2 with its salt, v1 (the body alone) without one."""
    return leaf_hash(body if salt is None else LEAF_V2_LABEL + salt + body)


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def check_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def check_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def _hashes(value: object, what: str) -> list[bytes]:
    if not isinstance(value, list) or not all(_is_hex64(item) for item in value):
        raise VerificationError(f"{what} must be a list of 64-hex hashes")
    return [bytes.fromhex(item) for item in value]


def verify_proofs(entries: list[dict], statement: dict, proofs: dict) -> int:
    """Check each disclosed body's inclusion proof against the signed root; return how many."""
    if "root" not in statement:
        raise VerificationError("inclusion proofs need a v2 checkpoint (it signs the tree root)")
    size, root = statement["seq"], bytes.fromhex(statement["root"])
    if not isinstance(proofs, dict) or set(proofs) - {"salts"} != {
        "tree_size",
        "root",
        "inclusion",
    }:
        raise VerificationError("proofs file must hold tree_size, root, inclusion (and salts)")
    if (proofs["tree_size"], proofs["root"]) != (size, statement["root"]):
        raise VerificationError("proofs are for another tree than the signed checkpoint")
    inclusion = proofs["inclusion"]
    if not isinstance(inclusion, dict):
        raise VerificationError("inclusion must map entry numbers to proofs")
    disclosed = {entry["seq"]: entry for entry in entries if entry["body"] is not None}
    if set(inclusion) != {str(seq) for seq in disclosed}:
        raise VerificationError("there must be one inclusion proof per disclosed entry")
    salts = proofs.get("salts", {})
    if not isinstance(salts, dict) or not set(salts) <= set(inclusion):
        raise VerificationError("salts must map disclosed entry numbers to their leaf salts")
    for seq, entry in disclosed.items():
        proof = _hashes(inclusion[str(seq)], f"the inclusion proof of entry {seq}")
        salt = salts.get(str(seq))
        if salt is not None:
            if not _is_hex64(salt):
                raise VerificationError(f"the leaf salt of entry {seq} must be 64 lowercase hex")
            salt = bytes.fromhex(salt)
        leaf = entry_leaf(entry["body"].encode(), salt)
        if not check_inclusion(leaf, seq - 1, size, proof, root):
            raise VerificationError(
                f"entry {seq}: its body is not in the signed Merkle tree (rewritten)"
            )
    return len(disclosed)


def verify_consistency_file(statement: dict, older: dict, proof_data: object) -> str:
    """Check that this checkpoint's tree extends an older checkpoint's (not rolled back)."""
    if "root" not in statement or "root" not in older:
        raise VerificationError("consistency needs two v2 checkpoints (they sign tree roots)")
    if older["investigation"] != statement["investigation"]:
        raise VerificationError("the older checkpoint is about another investigation")
    old, new = older["seq"], statement["seq"]
    if new < old:
        raise VerificationError(
            f"this checkpoint covers entries 1..{new}, fewer than the older one's 1..{old}"
            " (rolled back or truncated)"
        )
    if not isinstance(proof_data, dict) or (
        proof_data.get("old_size"),
        proof_data.get("new_size"),
    ) != (old, new):
        raise VerificationError("the consistency proof is not between these two checkpoints")
    proof = _hashes(proof_data.get("proof"), "the consistency proof")
    if not check_consistency(
        old, new, bytes.fromhex(older["root"]), bytes.fromhex(statement["root"]), proof
    ):
        raise VerificationError(
            f"entries 1..{old} are not the same as when the older checkpoint signed them"
            " (rewritten, deleted, inserted or reordered)"
        )
    return f"extends the checkpoint of entries 1..{old}"


def verify_signed_statement(
    statement_bytes: bytes, signature: bytes, public_key: str
) -> tuple[dict, str]:
    """Check the signature and that the trusted comment says what the statement says."""
    try:
        signature_text = signature.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("signature file is not in the minisign format") from None
    comment, key_id = verify_minisign(statement_bytes, signature_text, public_key)
    statement = read_statement(statement_bytes)
    if comment != expected_comment(statement):
        raise VerificationError(
            f"the signature's trusted comment ({comment!r}) does not say what the signed"
            f" checkpoint says ({expected_comment(statement)!r})"
        )
    return statement, key_id


def _looks_disclosed(line: bytes) -> bool:
    """Whether a ledger line is {seq, body}: an export that withholds entries."""
    try:
        first = json.loads(line)
    except ValueError:
        return False
    return isinstance(first, dict) and set(first) == DISCLOSED_FIELDS


def verify_export(
    ledger: bytes,
    statement_bytes: bytes,
    signature: bytes,
    public_key: str,
    proofs: dict | None = None,
    strict: bool = True,
) -> str:
    """Verify everything; return the one-line summary or raise VerificationError."""
    statement, key_id = verify_signed_statement(statement_bytes, signature, public_key)
    ref, signed_seq, signed_head = statement["investigation"], statement["seq"], statement["head"]
    if _looks_disclosed(ledger.split(b"\n", 1)[0]):
        raise VerificationError(
            "the ledger withholds entries (its lines are {seq, body}) but the signed list"
            " of what it withholds (custody-withheld.json) is missing"
        )
    entries = read_ledger(ledger)
    if not entries:
        raise VerificationError("ledger has no entries")
    last_seq, head, _redacted = verify_entries(entries, ref, strict)
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
    summary = f"OK: {ref} entries 1..{last_seq}, head {head}, checkpoint signed by key {key_id}"
    if "root" in statement and proofs is None:
        raise VerificationError(
            "a v2 checkpoint comes with the inclusion proofs of the disclosed entries"
            " (custody-proofs.json): they are missing"
        )
    if proofs is not None:
        proved = verify_proofs(entries, statement, proofs)
        summary += f", {proved} inclusion proofs verified"
    return summary


# -- an export about some items: disclosed entries, inclusion proofs, the withheld list ------


def _ascending_positions(value: object, size: int) -> bool:
    return (
        isinstance(value, list)
        and all(type(seq) is int and 0 < seq <= size for seq in value)
        and all(a < b for a, b in zip(value, value[1:], strict=False))
    )


def withheld_ranges(disclosed: list[int], size: int) -> list[list[int]]:
    """The positions 1..size not disclosed, as [first, last] runs (section 4)."""
    ranges, expected = [], 1
    for seq in [*disclosed, size + 1]:
        if seq > expected:
            ranges.append([expected, seq - 1])
        expected = seq + 1
    return ranges


def disclosure_comment(disclosure: dict) -> str:
    return (
        f"{DISCLOSURE_TYPE} {disclosure['investigation']} entries 1..{disclosure['tree_size']}"
        f" root {disclosure['root']}: {len(disclosure['disclosed'])} disclosed,"
        f" {disclosure['withheld_count']} withheld at {disclosure['time']}"
    )


def read_disclosure(data: bytes, signature: bytes, public_key: str) -> dict:
    """Check the withheld list's signature, shape and trusted comment; return it."""
    try:
        comment, _key_id = verify_minisign(
            data, signature.decode("utf-8"), public_key, "withheld list"
        )
    except (VerificationError, UnicodeDecodeError) as exc:
        raise VerificationError(
            f"custody-withheld.json: its signature does not verify ({exc}): forged or altered"
        ) from None
    try:
        disclosure = _load_json(data.decode("utf-8"))
    except ValueError:
        raise VerificationError("custody-withheld.json is not a JSON object") from None
    if (
        not isinstance(disclosure, dict)
        or set(disclosure) != DISCLOSURE_FIELDS
        or disclosure["type"] != DISCLOSURE_TYPE
        or not isinstance(disclosure["investigation"], str)
        or type(disclosure["tree_size"]) is not int
        or not _is_hex64(disclosure["root"])
        or not isinstance(disclosure["time"], str)
        or not _ascending_positions(disclosure["disclosed"], disclosure["tree_size"])
    ):
        raise VerificationError(f"custody-withheld.json is not a {DISCLOSURE_TYPE} statement")
    size, disclosed = disclosure["tree_size"], disclosure["disclosed"]
    if (disclosure["withheld"], disclosure["withheld_count"]) != (
        withheld_ranges(disclosed, size),
        size - len(disclosed),
    ):
        raise VerificationError(
            "custody-withheld.json: its withheld positions and count are not the complement"
            " of the disclosed ones"
        )
    if comment != disclosure_comment(disclosure):
        raise VerificationError(
            f"custody-withheld.json: the signature's trusted comment ({comment!r}) does not say"
            f" what the list says ({disclosure_comment(disclosure)!r})"
        )
    return disclosure


def verify_disclosed_export(
    ledger: bytes,
    statement_bytes: bytes,
    signature: bytes,
    withheld: tuple[bytes, bytes],
    public_key: str,
    proofs: dict | None,
    strict: bool = True,
) -> str:
    """Verify an export that carries only some entries; return the summary line."""
    statement, key_id = verify_signed_statement(statement_bytes, signature, public_key)
    if "root" not in statement:
        raise VerificationError("an export that withholds entries needs a v2 checkpoint")
    disclosure = read_disclosure(*withheld, public_key)
    ref, size = statement["investigation"], statement["seq"]
    if (disclosure["investigation"], disclosure["tree_size"], disclosure["root"]) != (
        ref,
        size,
        statement["root"],
    ):
        raise VerificationError(
            "custody-withheld.json is about another tree than the signed checkpoint"
        )
    entries = read_ledger(ledger, DISCLOSED_FIELDS)
    listed, carried = disclosure["disclosed"], [entry["seq"] for entry in entries]
    missing = sorted(set(listed) - set(carried))
    if missing:
        raise VerificationError(
            f"entry {missing[0]}: the signed list says it is disclosed, but the ledger lacks"
            " it (deleted)"
        )
    extra = sorted(set(carried) - set(listed))
    if extra:
        raise VerificationError(
            f"entry {extra[0]}: the signed list does not disclose it (inserted)"
        )
    if carried != listed:
        raise VerificationError("the ledger's entries are repeated or out of order (reordered)")
    for entry in entries:
        where = f"entry {entry['seq']}"
        if entry["body"] is None:
            raise VerificationError(f"{where}: a disclosed entry has no body")
        _check_investigation(where, entry["body"], ref)
        if strict:
            _check_body(where, entry["body"])
    if proofs is None:
        raise VerificationError(
            "the inclusion proofs of the disclosed entries (custody-proofs.json) are missing"
        )
    proved = verify_proofs(entries, statement, proofs)
    return (
        f"OK: {ref} entries 1..{size}, {disclosure['withheld_count']} withheld (signed list),"
        f" checkpoint signed by key {key_id}, {proved} inclusion proofs verified"
    )


# -- RFC 3161 tokens: the time a timestamp authority vouches for ----------------------------
# A minimal DER reader for just the path to TSTInfo.genTime (RFC 3161 s.2.4.2, RFC 5652
# s.5.1): the tool needs no ASN.1 library. The token's CMS signature is not checked here;
# `openssl ts -verify` checks it against the TSA's root certificate (section 11).

_OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
_OID_TST_INFO = bytes.fromhex("2a864886f70d0109100104")
_IMPRINT_HASHES = {
    bytes.fromhex("608648016503040201"): "sha256",
    bytes.fromhex("608648016503040202"): "sha384",
    bytes.fromhex("608648016503040203"): "sha512",
}
_GEN_TIME = re.compile(r"(\d{14})(?:\.(\d{1,6}))?Z")


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each DER element in ``data``, in order."""
    items, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data) or data[pos] & 0x1F == 0x1F:
            raise ValueError("not DER")
        tag, length, pos = data[pos], data[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or pos + count > len(data):
                raise ValueError("not DER")
            length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
        if pos + length > len(data):
            raise ValueError("not DER")
        items.append((tag, data[pos : pos + length]))
        pos += length
    return items


def _der_expect(data: bytes, *tags: int) -> list[bytes]:
    """The contents of the first len(tags) elements of ``data``, which must carry ``tags``."""
    items = _der_items(data)
    if [tag for tag, _content in items[: len(tags)]] != list(tags):
        raise ValueError("unexpected structure")
    return [content for _tag, content in items[: len(tags)]]


def token_time(reply: bytes, message: bytes) -> datetime:
    """genTime of an RFC 3161 reply (or bare token) whose imprint is the hash of ``message``."""
    try:
        (top,) = _der_expect(reply, 0x30)
        first = _der_items(top)[0]
        if first[0] == 0x30:  # TimeStampResp: status, then the token
            status, top = _der_expect(top, 0x30, 0x30)
            (code,) = _der_expect(status, 0x02)
            if int.from_bytes(code, "big") not in (0, 1):
                raise VerificationError("a timestamp reply is a refusal, not a token")
        oid, signed = _der_expect(top, 0x06, 0xA0)
        if oid != _OID_SIGNED_DATA:
            raise ValueError("not CMS SignedData")
        (signed_data,) = _der_expect(signed, 0x30)
        _version, _algorithms, encap = _der_expect(signed_data, 0x02, 0x31, 0x30)
        content_type, wrapped = _der_expect(encap, 0x06, 0xA0)
        if content_type != _OID_TST_INFO:
            raise ValueError("not a TSTInfo")
        (octets,) = _der_expect(wrapped, 0x04)
        (tst_info,) = _der_expect(octets, 0x30)
        *_, imprint, _serial, gen_time = _der_expect(tst_info, 0x02, 0x06, 0x30, 0x02, 0x18)
        algorithm, hashed = _der_expect(imprint, 0x30, 0x04)
        name = _IMPRINT_HASHES.get(_der_expect(algorithm, 0x06)[0])
        match = _GEN_TIME.fullmatch(gen_time.decode("ascii"))
    except (ValueError, IndexError, UnicodeDecodeError):
        raise VerificationError("a timestamp token cannot be read (not RFC 3161)") from None
    if name is None or hashlib.new(name, message).digest() != hashed:
        raise VerificationError("a timestamp token is for another message than checkpoint.note")
    if match is None:
        raise VerificationError("a timestamp token's genTime is not YYYYMMDDHHMMSS[.f]Z")
    moment = datetime.strptime(match[1], "%Y%m%d%H%M%S")
    return moment.replace(microsecond=int((match[2] or "0").ljust(6, "0")))


def note_matches(note: bytes, statement: dict) -> bool:
    """Whether a signed note's text states what the signed v2 statement states (section 7)."""
    lines = note.decode("utf-8", "replace").split("\n")
    return (
        len(lines) > 5
        and lines[0].endswith(f"/custody/{statement['investigation']}")
        and (
            lines[1:5]
            == [
                str(statement["seq"]),
                base64.b64encode(bytes.fromhex(statement["root"])).decode(),
                f"custos-chain {statement['head']}",
                f"custos-time {statement['time']}",
            ]
        )
    )


def vouched_time(folder: Path, stamped: dict) -> str:
    """', entries 1..M existed by T (RFC 3161)': the earliest time a token vouches for."""
    note = (folder / "checkpoint.note").read_bytes()
    if "root" not in stamped or not note_matches(note, stamped):
        raise VerificationError(
            "timestamped/checkpoint.note does not state the timestamped checkpoint"
        )
    tokens = sorted(folder.glob("checkpoint.note.*.tsr"))
    if not tokens:
        raise VerificationError("timestamped/ holds no timestamp token (checkpoint.note.1.tsr)")
    earliest = min(token_time(token.read_bytes(), note) for token in tokens)
    return (
        f", entries 1..{stamped['seq']} existed by {earliest:%Y-%m-%dT%H:%M:%S.%fZ} per"
        f" {len(tokens)} RFC 3161 token(s) (check their TSA signature: openssl ts -verify)"
    )


# -- cosignatures by witnesses (section 10.2): someone else saw this history -------------------

COSIGNED_DIR = "cosigned"


def signature_key_id(signature: bytes) -> str | None:
    """The key id a minisign signature names, as minisign prints it (None if unreadable)."""
    try:
        packed = base64.b64decode(signature.decode("utf-8").split("\n")[1].strip(), validate=True)
    except (IndexError, UnicodeDecodeError, binascii.Error, ValueError):
        return None
    return _key_id_hex(packed[2:10]) if len(packed) == 74 else None


def cosigner_key_ids(keys: list[str]) -> dict[str, str]:
    """The given --cosigner-key values by key id."""
    by_id = {}
    for key in keys:
        raw = _b64(key.strip().splitlines()[-1].strip() if key.strip() else "", "cosigner key")
        if len(raw) != 42 or raw[:2] != b"Ed":
            raise VerificationError("a --cosigner-key is not a minisign Ed25519 key (RW...)")
        by_id[_key_id_hex(raw[2:10])] = key
    return by_id


def verify_cosignatures(
    folder: Path, statement: dict, log_key_id: str | None, keys: dict[str, str]
) -> str:
    """Check every cosigned/WITNESS/ against the given cosigner keys; a summary to print.

    Each holds a checkpoint statement, a witness's minisign signature of it
    (checkpoint.json.cosig) and the consistency proof from its tree to the exported one.
    Every given key must have cosigned; cosignatures by keys not given are not trusted.
    """
    found = sorted(path for path in folder.glob("*") if path.is_dir()) if folder.is_dir() else []
    if not keys:
        return f", {len(found)} cosignature(s) not checked (no --cosigner-key)" if found else ""
    summary, seen = "", set()
    for witness in found:
        where = f"{COSIGNED_DIR}/{witness.name}"
        try:
            cosigned = (witness / "checkpoint.json").read_bytes()
            signature = (witness / "checkpoint.json.cosig").read_bytes()
            proof = _read_json(witness / "consistency.json")
        except OSError:
            raise VerificationError(
                f"{where} lacks checkpoint.json, checkpoint.json.cosig or consistency.json"
            ) from None
        key_id = signature_key_id(signature)
        if key_id not in keys:
            continue  # a witness the reader does not trust vouches for nothing
        try:
            summary += _check_cosignature(
                cosigned, signature, keys[key_id], (statement, log_key_id), proof
            )
        except VerificationError as exc:
            raise VerificationError(f"{where}: {exc}") from None
        seen.add(key_id)
    missing = sorted(set(keys) - seen)
    if missing:
        raise VerificationError(
            f"the export carries no cosignature by witness key {', '.join(missing)}"
            " (not cosigned, or a cosignature by another key stands in for it)"
        )
    return summary


_COSIGNED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _check_cosignature(
    cosigned: bytes, signature: bytes, key: str, exported: tuple[dict, str | None], proof: object
) -> str:
    """One cosignature: its signature, its comment, the log it names, the proof to the export."""
    statement, log_key_id = exported
    try:
        text = signature.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("the cosignature is not in the minisign format") from None
    comment, key_id = verify_minisign(cosigned, text, key, what="cosignature")
    older = read_statement(cosigned)
    if "root" not in older:
        raise VerificationError("the cosigned checkpoint signs no tree root (v1)")
    prefix = (
        f"custos-cosignature-v1 {older['investigation']} entries 1..{older['seq']}"
        f" root {older['root']} log "
    )
    words = comment.removeprefix(prefix).split(" ")
    if (
        not comment.startswith(prefix)
        or len(words) != 3
        or words[1] != "cosigned"
        or not _COSIGNED_AT.fullmatch(words[2])
    ):
        raise VerificationError(
            f"the cosignature's trusted comment ({comment!r}) does not say what the cosigned"
            " checkpoint says"
        )
    if words[0] != log_key_id:
        raise VerificationError(
            f"the witness cosigned a checkpoint of log key {words[0]}, not of the key"
            f" {log_key_id} that signed this export"
        )
    if older["investigation"] != statement["investigation"]:
        raise VerificationError("the cosigned checkpoint is about another investigation")
    try:
        verify_consistency_file(statement, older, proof)
    except VerificationError as exc:
        raise VerificationError(
            f"the exported checkpoint is not the one the cosigned tree leads to ({exc})"
        ) from None
    return f", entries 1..{older['seq']} cosigned by witness {key_id} at {words[2]}"


# -- a BagIt case-file export: each evidence file against the ledger's signed hashes ---------


def bag_of(ledger: Path) -> Path | None:
    """The bag a ledger at BAG/data/custody/custody-ledger.jsonl belongs to, if any."""
    bag = ledger.resolve().parent.parent.parent
    if ledger.resolve().parent.parent.name == "data" and (bag / "bagit.txt").is_file():
        return bag
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def signed_file_hashes(entries: list[dict]) -> dict[tuple[str, str], tuple[str, int]]:
    """(kind, id) -> (SHA-256, entry seq) from the disclosed `received` and
    `derivative_created` entries: the hashes the organisation recorded and signed."""
    hashes: dict[tuple[str, str], tuple[str, int]] = {}
    for entry in entries:
        if entry["body"] is None:
            continue
        body = _load_json(entry["body"])
        details = body.get("details") if isinstance(body, dict) else None
        if not isinstance(details, dict):
            continue
        if body.get("action") == "received" and _is_hex64(details.get("sha256")):
            hashes["original", body["object"]["id"]] = details["sha256"], entry["seq"]
        elif body.get("action") == "derivative_created" and _is_hex64(details.get("child_sha256")):
            key = "redacted", str(details.get("derivative_id"))
            hashes[key] = details["child_sha256"], entry["seq"]
    return hashes


def verify_bag_files(bag: Path, entries: list[dict]) -> int:
    """Hash every evidence file under data/items/ and compare it with its signed entry."""
    signed = signed_file_hashes(entries)
    checked = 0
    items = bag / "data" / "items"
    for folder in sorted(items.iterdir()) if items.is_dir() else ():
        on_disk = sorted(
            path for kind in ("original", "redacted") for path in (folder / kind).glob("**/*")
        )
        if not on_disk:
            continue
        expected = _files_of(folder)
        for path in on_disk:
            name = path.relative_to(bag).as_posix()
            if path.is_dir():
                continue
            if path.relative_to(folder).as_posix() not in expected:
                raise VerificationError(f"{name}: not an evidence file its metadata.json lists")
            key = expected[path.relative_to(folder).as_posix()]
            if key not in signed:
                action = "received" if key[0] == "original" else "derivative_created"
                raise VerificationError(
                    f"{name}: no disclosed `{action}` entry records its hash"
                    " (the ledger does not vouch for it)"
                )
            digest, seq = signed[key]
            if file_sha256(path) != digest:
                raise VerificationError(
                    f"{name}: its SHA-256 differs from the one signed in entry {seq} (modified)"
                )
            checked += 1
    return checked


def _files_of(folder: Path) -> dict[str, tuple[str, str]]:
    """file (relative to the item folder) -> (kind, id) as the item's metadata.json lists it."""
    try:
        metadata = _load_json((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise VerificationError(f"{folder.name}/metadata.json is missing or not JSON") from None
    files: dict[str, tuple[str, str]] = {}
    if isinstance(metadata, dict) and metadata.get("item_type") == "evidence":
        for name in metadata.get("files") or ():
            if isinstance(name, str) and name.startswith("original/"):
                files[name] = "original", str(metadata.get("id"))
        for copy in metadata.get("redacted_copies") or ():
            if isinstance(copy, dict) and isinstance(copy.get("file"), str):
                files[copy["file"]] = "redacted", str(copy.get("id"))
    return files


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
    parser.add_argument(
        "--proofs",
        type=Path,
        metavar="PATH",
        help="inclusion proofs of the disclosed entries (default: custody-proofs.json beside"
        " the ledger, checked when present; required with a v2 checkpoint)",
    )
    parser.add_argument(
        "--withheld",
        type=Path,
        metavar="PATH",
        help="the signed list of the entries the export withholds (default:"
        " custody-withheld.json beside the ledger, checked when present; its signature is"
        " PATH.minisig)",
    )
    parser.add_argument(
        "--since",
        type=Path,
        metavar="OLDER.json",
        help="an older signed checkpoint (with OLDER.json.minisig): check that this one extends"
        " it, so the ledger was not rolled back or rewritten since",
    )
    parser.add_argument(
        "--consistency",
        type=Path,
        metavar="PATH",
        help="the consistency proof from --since to this checkpoint (`flask custody consistency`)",
    )
    parser.add_argument(
        "--bag",
        type=Path,
        metavar="DIR",
        help="a case-file bag: hash each evidence file under DIR/data/items and compare it"
        " with its signed `received` (original) or `derivative_created` (redacted copy)"
        " entry (default: the bag the ledger lies in, when it lies in DATA/custody/)",
    )
    parser.add_argument(
        "--lenient-bodies",
        action="store_true",
        help="check only that each present body hashes right and names the investigation,"
        " not its members, action, time format and canonical form (section 1)",
    )
    parser.add_argument(
        "--cosigner-key",
        metavar="RW...",
        action="append",
        default=[],
        help="a witness's minisign key (repeat for each): the export must carry a cosignature"
        " by it (cosigned/), over a checkpoint the exported one extends",
    )
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument(
        "--public-key",
        metavar="RW...",
        action="append",
        help="a trusted minisign key: the organisation's, or one of its intake nodes' "
        "(repeat for each); a checkpoint signed by any of them is accepted",
    )
    key.add_argument(
        "--public-key-file",
        type=Path,
        metavar="PATH",
        help="a minisign .pub file holding the key (or several RW... lines, one per key)",
    )
    return parser.parse_args(argv)


def trusted_keys(args: argparse.Namespace) -> list[str]:
    """Every RW... key given, in order (comment lines of .pub files skipped)."""
    if args.public_key:
        return [key.strip() for key in args.public_key]
    text = args.public_key_file.read_text(encoding="utf-8")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("untrusted comment:")
    ]


def key_for_signature(signature_bytes: bytes, keys: list[str]) -> str:
    """The given key whose id the minisign signature names; the first one if none does (its
    check then says which key signed)."""
    try:
        packed = _b64(signature_bytes.decode("utf-8").split("\n")[1].strip(), "signature")
    except (IndexError, UnicodeDecodeError, VerificationError):
        return keys[0]
    for key in keys:
        try:
            if _b64(key, "public key")[2:10] == packed[2:10]:
                return key
        except VerificationError:
            continue
    return keys[0]


def _read_json(path: Path) -> object:
    try:
        return _load_json(path.read_text(encoding="utf-8"))
    except ValueError:
        raise VerificationError(f"{path.name} is not JSON") from None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    checkpoint = args.checkpoint or args.ledger.parent / "checkpoint.json"
    signature = args.signature or checkpoint.with_name(checkpoint.name + ".minisig")
    proofs_path = args.proofs or args.ledger.parent / "custody-proofs.json"
    withheld_path = args.withheld or args.ledger.parent / "custody-withheld.json"
    withheld_signature = withheld_path.with_name(withheld_path.name + ".minisig")
    if (args.since is None) != (args.consistency is None):
        print("error: --since and --consistency go together", file=sys.stderr)
        return EXIT_USAGE
    try:
        ledger_bytes = args.ledger.read_bytes()
        statement_bytes = checkpoint.read_bytes()
        signature_bytes = signature.read_bytes()
        keys = trusted_keys(args)
        if not keys:
            print("error: no public key given", file=sys.stderr)
            return EXIT_USAGE
        public_key = key_for_signature(signature_bytes, keys)
        have_proofs = args.proofs is not None or proofs_path.exists()
        withheld = None
        if args.withheld is not None or withheld_path.exists():
            # A missing signature fails verification below; it is not a usage error.
            signed = withheld_signature.read_bytes() if withheld_signature.exists() else b""
            withheld = (withheld_path.read_bytes(), signed)
        if args.since is not None:
            older_bytes = args.since.read_bytes()
            older_signature = args.since.with_name(args.since.name + ".minisig").read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read input: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        proofs = _read_json(proofs_path) if have_proofs else None
        if withheld is None:
            summary = verify_export(
                ledger_bytes,
                statement_bytes,
                signature_bytes,
                public_key,
                proofs,
                strict=not args.lenient_bodies,
            )
        else:
            summary = verify_disclosed_export(
                ledger_bytes,
                statement_bytes,
                signature_bytes,
                withheld,
                public_key,
                proofs,
                strict=not args.lenient_bodies,
            )
        timestamped = args.ledger.parent / "timestamped" / "checkpoint.json"
        if args.since is None and timestamped.exists():
            # The newest checkpoint a timestamp authority stamped: this one must extend it.
            args.since, args.consistency = timestamped, timestamped.with_name("consistency.json")
            older_bytes = timestamped.read_bytes()
            older_signature = timestamped.with_name("checkpoint.json.minisig").read_bytes()
        if args.since is not None:
            statement = read_statement(statement_bytes)
            older, _key = verify_signed_statement(
                older_bytes, older_signature, key_for_signature(older_signature, keys)
            )
            summary += ", " + verify_consistency_file(
                statement, older, _read_json(args.consistency)
            )
            if args.since == timestamped:
                summary += vouched_time(timestamped.parent, older)
        summary += verify_cosignatures(
            args.ledger.parent / COSIGNED_DIR,
            read_statement(statement_bytes),
            signature_key_id(signature_bytes),
            cosigner_key_ids(args.cosigner_key),
        )
        bag = args.bag or bag_of(args.ledger)
        if bag is not None:
            fields = ENTRY_FIELDS if withheld is None else DISCLOSED_FIELDS
            checked = verify_bag_files(bag, read_ledger(ledger_bytes, fields))
            summary += f", {checked} evidence files match their signed hashes"
    except VerificationError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(summary)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
