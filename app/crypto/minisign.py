"""Minisign keys and signatures (Ed25519) for ledger checkpoints, compatible with minisign 0.11.

Format: https://jedisct1.github.io/minisign/ ("Signature format", "Public key format").
A signature file is four lines:

    untrusted comment: <text>
    base64(signature_algorithm || key_id || signature)
    trusted comment: <text>
    base64(global_signature)

where signature = Ed25519(BLAKE2b-512(message)) for algorithm "ED" (what minisign 0.11
writes by default) or Ed25519(message) for the legacy "Ed", and global_signature =
Ed25519(signature || trusted comment), which is what makes the trusted comment trusted.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_ALGORITHM = b"Ed"
PREHASHED = b"ED"
LEGACY = b"Ed"
KEY_ID_BYTES = 8

_UNTRUSTED_PREFIX = "untrusted comment: "
_TRUSTED_PREFIX = "trusted comment: "
# minisign reads each comment line with fgets() into a fixed buffer (minisign.h:
# COMMENTMAXBYTES 1024, TRUSTEDCOMMENTMAXBYTES 8192); a longer line would be split and
# the signature rejected by the real tool, so we refuse to write one.
_UNTRUSTED_MAX = 1024 - 1 - len(_UNTRUSTED_PREFIX) - 1
_TRUSTED_MAX = 8192 - 1 - len(_TRUSTED_PREFIX) - 1


class SignatureError(Exception):
    """A minisign signature or public key is malformed, from another key, or does not verify."""


class SigningKey:
    """The organisation's Ed25519 checkpoint key with its 8-byte minisign key id."""

    def __init__(self, private_key: Ed25519PrivateKey, key_id: bytes) -> None:
        if len(key_id) != KEY_ID_BYTES:
            raise ValueError(f"a minisign key id is {KEY_ID_BYTES} bytes")
        self._private_key = private_key
        self.key_id = bytes(key_id)

    @classmethod
    def generate(cls) -> SigningKey:
        # minisign picks key ids at random too; they only tell keys apart, they prove nothing.
        return cls(Ed25519PrivateKey.generate(), os.urandom(KEY_ID_BYTES))

    @classmethod
    def from_private_bytes(cls, private_bytes: bytes, key_id: bytes) -> SigningKey:
        """Load from the 32-byte raw Ed25519 private key (seed) and the key id."""
        if len(private_bytes) != 32:
            raise ValueError("an Ed25519 private key is 32 raw bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(private_bytes), key_id)

    def private_bytes(self) -> bytes:
        """The 32-byte raw private key, for storage in the key store (never in the database)."""
        return self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def public_key_bytes(self) -> bytes:
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def key_id_hex(self) -> str:
        return key_id_hex(self.key_id)

    def public_key_string(self) -> str:
        """The ``RW...`` form that ``minisign -P`` takes: base64("Ed" || key id || public key)."""
        raw = KEY_ALGORITHM + self.key_id + self.public_key_bytes()
        return base64.b64encode(raw).decode("ascii")

    def public_key_file(self, untrusted_comment: str | None = None) -> str:
        """Text of a ``minisign.pub`` file, for ``minisign -p``."""
        comment = untrusted_comment or f"minisign public key {self.key_id_hex()}"
        _check_comment(comment, _UNTRUSTED_MAX, "untrusted comment")
        return f"{_UNTRUSTED_PREFIX}{comment}\n{self.public_key_string()}\n"

    def sign_raw(self, message: bytes) -> bytes:
        """A plain Ed25519 signature of ``message`` (for the checkpoint's signed note)."""
        return self._private_key.sign(message)

    def sign(
        self,
        message: bytes,
        trusted_comment: str,
        untrusted_comment: str = "signature from custos checkpoint key",
    ) -> str:
        """The text of a prehashed ("ED") ``.minisig`` file for ``message``."""
        _check_comment(trusted_comment, _TRUSTED_MAX, "trusted comment")
        _check_comment(untrusted_comment, _UNTRUSTED_MAX, "untrusted comment")
        signature = self._private_key.sign(_blake2b_512(message))
        global_signature = self._private_key.sign(signature + trusted_comment.encode("utf-8"))
        signature_line = base64.b64encode(PREHASHED + self.key_id + signature).decode("ascii")
        return (
            f"{_UNTRUSTED_PREFIX}{untrusted_comment}\n"
            f"{signature_line}\n"
            f"{_TRUSTED_PREFIX}{trusted_comment}\n"
            f"{base64.b64encode(global_signature).decode('ascii')}\n"
        )


def key_id_hex(key_id: bytes) -> str:
    """A key id as minisign prints it: the little-endian integer in uppercase hex."""
    return format(int.from_bytes(key_id, "little"), "X")


@functools.lru_cache(maxsize=64)
def parse_public_key(public_key: str) -> tuple[bytes, Ed25519PublicKey]:
    """(key id, key) from an ``RW...`` string or the text of a ``.pub`` file.

    Cached (keys are immutable): verify checks each checkpoint against the same few keys."""
    lines = public_key.strip().splitlines()
    if len(lines) == 2 and lines[0].startswith(_UNTRUSTED_PREFIX):
        lines = lines[1:]
    if len(lines) != 1:
        raise SignatureError("a public key is one base64 line, optionally after a comment line")
    raw = _b64decode(lines[0].strip(), "public key")
    if len(raw) != 2 + KEY_ID_BYTES + 32 or raw[:2] != KEY_ALGORITHM:
        raise SignatureError("not a minisign Ed25519 public key")
    try:
        return raw[2:10], Ed25519PublicKey.from_public_bytes(raw[10:])
    except ValueError:
        raise SignatureError("not a valid Ed25519 public key") from None


def verify(message: bytes, minisig_text: str | bytes, public_key_string: str) -> str:
    """Verify a ``.minisig`` text (or file bytes) over ``message``; return its trusted comment.

    Accepts the prehashed "ED" algorithm and the legacy "Ed" one, as minisign -V does.
    Raises SignatureError on any problem, so callers never get a partial answer.
    """
    key_id, public_key = parse_public_key(public_key_string)
    if isinstance(minisig_text, bytes):
        try:
            minisig_text = minisig_text.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("the signature file is not UTF-8 text") from None
    lines = minisig_text.split("\n")
    # minisign's trim() drops the line ending; allow CRLF from files that crossed Windows.
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    while lines and lines[-1] == "":
        lines.pop()
    if len(lines) != 4:
        raise SignatureError("a minisign signature has exactly four lines")
    untrusted, signature_line, trusted, global_line = lines
    if not untrusted.startswith(_UNTRUSTED_PREFIX):
        raise SignatureError(f"the first line must start with {_UNTRUSTED_PREFIX!r}")
    if not trusted.startswith(_TRUSTED_PREFIX):
        raise SignatureError(f"the third line must start with {_TRUSTED_PREFIX!r}")
    trusted_comment = trusted[len(_TRUSTED_PREFIX) :]

    packed = _b64decode(signature_line, "signature")
    if len(packed) != 2 + KEY_ID_BYTES + 64:
        raise SignatureError("the signature line has the wrong length")
    algorithm, signature_key_id, signature = packed[:2], packed[2:10], packed[10:]
    if algorithm == PREHASHED:
        signed = _blake2b_512(message)
    elif algorithm == LEGACY:
        signed = message
    else:
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    if signature_key_id != key_id:
        raise SignatureError(
            f"signed by key {key_id_hex(signature_key_id)}, not by key {key_id_hex(key_id)}"
        )
    global_signature = _b64decode(global_line, "global signature")
    if len(global_signature) != 64:
        raise SignatureError("the global signature has the wrong length")
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        raise SignatureError("signature verification failed (message altered?)") from None
    try:
        public_key.verify(global_signature, signature + trusted_comment.encode("utf-8"))
    except (InvalidSignature, UnicodeEncodeError):
        raise SignatureError("trusted comment signature verification failed") from None
    return trusted_comment


def _blake2b_512(message: bytes) -> bytes:
    return hashlib.blake2b(message, digest_size=64).digest()


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"the {what} is not valid base64") from None


def _check_comment(comment: str, limit: int, what: str) -> None:
    # A newline would start a new line of the file; minisign handles comments as C strings.
    if any(c in comment for c in "\r\n\0"):
        raise ValueError(f"a {what} is one line without NUL characters")
    if len(comment.encode("utf-8")) > limit:
        raise ValueError(f"a {what} is at most {limit} bytes for minisign to read it")
