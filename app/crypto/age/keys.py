"""The age X25519 recipient type: key generation, bech32 encodings, stanza wrap and unwrap."""

from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from . import bech32
from .errors import HeaderError, KeyFormatError
from .header import FILE_KEY_SIZE, Stanza, b64decode_raw, b64encode_raw, hkdf_sha256

STANZA_TYPE = "X25519"
_LABEL = b"age-encryption.org/v1/X25519"
_IDENTITY_HRP = "AGE-SECRET-KEY-"
_RECIPIENT_HRP = "age"
_KEY_SIZE = 32
_WRAP_NONCE = bytes(12)  # each wrap key is used once, so a fixed zero nonce is safe (spec)
_WRAPPED_SIZE = FILE_KEY_SIZE + 16


def _wrap_key(shared_secret: bytes, share: bytes, recipient: bytes) -> bytes:
    return hkdf_sha256(shared_secret, share + recipient, _LABEL)


class Recipient:
    """An X25519 public key, written `age1...`; files encrypted to it open with its Identity."""

    __slots__ = ("_public",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != _KEY_SIZE:
            raise KeyFormatError("an X25519 recipient is 32 bytes")
        self._public = bytes(public_key)

    @classmethod
    def parse(cls, s: str) -> Recipient:
        """Parse `age1...`; the spec's encoding is lowercase bech32 with HRP "age"."""
        hrp, data = bech32.decode(s)
        if hrp != _RECIPIENT_HRP:
            raise KeyFormatError("not an age X25519 recipient (expected age1...)")
        return cls(data)

    @property
    def public_bytes(self) -> bytes:
        return self._public

    def __str__(self) -> str:
        return bech32.encode(_RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"Recipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def wrap(self, file_key: bytes) -> Stanza:
        """Build an X25519 stanza with a fresh ephemeral key per stanza (spec: X25519 stanza)."""
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes_raw()
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self._public))
        except ValueError:
            raise KeyFormatError("recipient is a low-order X25519 point") from None
        key = _wrap_key(shared, share, self._public)
        body = ChaCha20Poly1305(key).encrypt(_WRAP_NONCE, file_key, None)
        return Stanza(STANZA_TYPE, (b64encode_raw(share),), body)


class Identity:
    """An X25519 secret key, written `AGE-SECRET-KEY-1...`."""

    __slots__ = ("_private", "_secret", "_recipient")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != _KEY_SIZE:
            raise KeyFormatError("an X25519 identity is 32 bytes")
        self._secret = bytes(secret)
        self._private = X25519PrivateKey.from_private_bytes(self._secret)
        self._recipient = Recipient(self._private.public_key().public_bytes_raw())

    @classmethod
    def generate(cls) -> Identity:
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, s: str) -> Identity:
        """Parse `AGE-SECRET-KEY-1...`; the spec's encoding is uppercase bech32."""
        hrp, data = bech32.decode(s)
        if hrp != _IDENTITY_HRP:
            raise KeyFormatError("not an age X25519 identity (expected AGE-SECRET-KEY-1...)")
        return cls(data)

    @property
    def recipient(self) -> Recipient:
        return self._recipient

    def __str__(self) -> str:
        return bech32.encode(_IDENTITY_HRP, self._secret)

    def __repr__(self) -> str:
        # Never the secret: reprs end up in logs and tracebacks.
        return f"Identity(recipient={str(self._recipient)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and hmac.compare_digest(other._secret, self._secret)

    def __hash__(self) -> int:
        return hash(self._recipient)

    def unwrap(self, stanza: Stanza) -> bytes | None:
        """The file key if stanza is addressed to us, None if not; HeaderError if malformed."""
        if stanza.type != STANZA_TYPE:
            return None  # spec: ignore stanzas of other types
        if len(stanza.args) != 1:
            raise HeaderError("X25519 stanza must have exactly one argument after its type")
        share = b64decode_raw(stanza.args[0])
        if len(share) != _KEY_SIZE:
            raise HeaderError("X25519 stanza share is not 32 bytes")
        # Checked before decrypting, against partitioning oracle attacks (spec).
        if len(stanza.body) != _WRAPPED_SIZE:
            raise HeaderError("X25519 stanza body is not a wrapped 16-byte file key")
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(share))
        except ValueError:
            # Raised for an all-zero shared secret (low-order share): the spec says abort.
            raise HeaderError("X25519 stanza share is a low-order point") from None
        if not any(shared):
            raise HeaderError("X25519 shared secret is all zero")
        key = _wrap_key(shared, share, self._recipient.public_bytes)
        try:
            return ChaCha20Poly1305(key).decrypt(_WRAP_NONCE, stanza.body, None)
        except InvalidTag:
            return None  # wrapped for someone else


def parse_identity_file(text: str) -> list[Identity]:
    """Parse an age-keygen key file: one identity per line, `#` comments and blank lines."""
    identities = [
        Identity.parse(line.strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not identities:
        raise KeyFormatError("no identities in key file")
    return identities
