"""Checkpoints as C2SP tlog-checkpoint signed notes with Ed25519 (pure bytes; no Flask, no DB).

A checkpoint body (https://c2sp.org/tlog-checkpoint) is, each line ending in LF:

    <origin>                      e.g. custos.example.org/custody/INV-2024-0001
    <tree size, decimal>
    <root hash, standard base64>
    custos-chain <entry hash of the last entry, 64 lowercase hex>
    custos-time <YYYY-MM-DDTHH:MM:SS.ffffffZ>

The signed note (https://c2sp.org/signed-note) is the body, an empty line, and one line
"— <key name> base64(key hash || Ed25519 signature of the body)" where the key hash is the
first 4 bytes of SHA-256(<key name> || LF || 0x01 || public key). The same body bytes are
what the minisign signature covers, so `minisign -V` checks them too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_TYPE_ED25519 = b"\x01"
_DASH = "\u2014 "
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_NAME = re.compile(r"[^\s+]+")


class NoteError(ValueError):
    """A checkpoint body or signed note that is malformed or does not verify."""


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes
    chain_head: str
    time: str

    def encode(self) -> bytes:
        return checkpoint_body(self.origin, self.size, self.root, self.chain_head, self.time)


def checkpoint_body(origin: str, size: int, root: bytes, chain_head: str, time: str) -> bytes:
    """The exact bytes of a checkpoint body (what both signatures cover)."""
    if not origin or any(c.isspace() for c in origin):
        raise NoteError("the origin is one non-empty line without spaces")
    if type(size) is not int or size < 0 or len(root) != 32:
        raise NoteError("a checkpoint needs a size >= 0 and a 32-byte root")
    if not _HEX64.fullmatch(chain_head) or not _TIME.fullmatch(time):
        raise NoteError("the chain head is 64 lowercase hex and the time ...ffffffZ")
    root64 = base64.b64encode(root).decode("ascii")
    return f"{origin}\n{size}\n{root64}\ncustos-chain {chain_head}\ncustos-time {time}\n".encode()


def parse_checkpoint_body(body: bytes) -> CheckpointBody:
    """Parse a body strictly: exactly the five lines above, nothing else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("a checkpoint is UTF-8 text") from None
    lines = text.split("\n")
    if len(lines) != 6 or lines[-1] != "":
        raise NoteError("a checkpoint is five lines, each ending in a line feed")
    origin, size, root64, chain, time, _ = lines
    if not origin or any(c.isspace() for c in origin) or not _SIZE.fullmatch(size):
        raise NoteError("malformed checkpoint origin or size")
    try:
        root = base64.b64decode(root64, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("the checkpoint root is not base64") from None
    if len(root) != 32 or base64.b64encode(root).decode() != root64:
        raise NoteError("the checkpoint root is not a 32-byte hash in standard base64")
    if not chain.startswith("custos-chain ") or not _HEX64.fullmatch(chain[13:]):
        raise NoteError("the fourth line must be 'custos-chain <64 hex>'")
    if not time.startswith("custos-time ") or not _TIME.fullmatch(time[12:]):
        raise NoteError("the fifth line must be 'custos-time <YYYY-MM-DDTHH:MM:SS.ffffffZ>'")
    return CheckpointBody(origin, int(size), root, chain[13:], time[12:])


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key hash of a signed-note Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + SIGNATURE_TYPE_ED25519 + public_key).digest()[:4]


def sign_note(body: bytes, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """The signed note: ``body``, an empty line, and the signature line of key ``name``."""
    if not _NAME.fullmatch(name):
        raise NoteError("a key name has no spaces or '+'")
    signature = key_hash(name, public_key) + sign(body)
    line = f"{_DASH}{name} {base64.b64encode(signature).decode('ascii')}\n"
    return body + b"\n" + line.encode()


def verify_note(note: bytes, name: str, public_key: bytes) -> bytes:
    """Return the body of ``note`` if key ``name`` signed it; NoteError otherwise."""
    body, sep, signatures = note.rpartition(b"\n\n")
    if not sep or not signatures.endswith(b"\n"):
        raise NoteError("a signed note is the text, an empty line and signature lines")
    body += b"\n"
    wanted = key_hash(name, public_key)
    key = Ed25519PublicKey.from_public_bytes(public_key)
    for line in signatures.decode("utf-8", "replace").split("\n")[:-1]:
        if not line.startswith(_DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        signer, _, encoded = line[len(_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("a signature is not base64") from None
        if signer != name or raw[:4] != wanted or len(raw) != 68:
            continue
        try:
            key.verify(raw[4:], body)
        except InvalidSignature:
            raise NoteError(f"the signature of {name} does not verify") from None
        return body
    raise NoteError(f"the note carries no signature by {name}")
