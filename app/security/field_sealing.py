"""Public-key sealing of single text fields to the organisation's age recipient, bound to place."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from flask import has_app_context
from flask_babel import gettext as _

from app.crypto.age import (
    AgeError,
    Identity,
    NoMatchingIdentity,
    Recipient,
    decrypt_bytes,
    encrypt_bytes,
)
from app.security.field_crypto import FORMAT_VERSION as LEGACY_VERSION
from app.security.field_crypto import FieldDecryptionError, FieldKeyring
from app.service_errors import ServiceError

# Wire format, version 2:
#
#   0x02 | recipient id (4 bytes) | age v1 file (binary) to that one X25519 recipient
#
# The age plaintext is FRAME_MAGIC | context | 0x00 | UTF-8 text, where the context names the
# table, column and row ("witnesses.full_name.<row id>"). age has no associated data, so the
# place is sealed inside the plaintext and compared on open: a value copied to another row,
# column or table opens but is refused. The recipient id (first 4 bytes of SHA-256 of the
# `age1...` string) is public, like the recipient: it tells rotation which values still name a
# retired key without trying to open them.
#
# What this does not give: anyone holding the public recipient can seal a value of their own.
# Sealing keeps testimony secret from whoever holds only public keys (an intake node, a seized
# database); that a value is the one recorded is shown by the interview's content hash in the
# custody ledger, not by the sealing.
SEALED_VERSION = b"\x02"
RECIPIENT_ID_BYTES = 4
FRAME_MAGIC = b"custos-sealed-field/v1\n"
UNREADABLE_MESSAGE = "sealed to a key this node does not hold"


class SealedKeyAbsent(FieldDecryptionError):
    """The value is intact but this node holds no identity that opens it (an intake node)."""


class UnreadableValueRefused(ServiceError, ValueError):
    """A write that would store the placeholder, or replace a value this node cannot read (409).

    Raised at flush; the message names the field and says where to change it.
    """

    status = 409
    code = "sealed_elsewhere"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(
            _(
                "This node cannot read this field, so it cannot change it: it is sealed to a "
                "key this node does not hold. Change it on the reading node."
            )
            if has_app_context()
            else detail,
            field,
        )
        self.detail = detail


class UnreadableText(str):
    """What a sealed field reads as on a node without the identity: the sentence saying so.

    A str, so pages and API views render it like any text; its own type, so the column wiring
    refuses to store it back over the sealed value it stands for.
    """

    __slots__ = ()


def unreadable() -> UnreadableText:
    """The sentence in the request's language (English outside an app)."""
    if not has_app_context():
        return UnreadableText(UNREADABLE_MESSAGE)
    return UnreadableText(_("sealed to a key this node does not hold"))


def recipient_id(recipient: Recipient) -> bytes:
    return hashlib.sha256(str(recipient).encode("ascii")).digest()[:RECIPIENT_ID_BYTES]


def is_sealed_value(blob: bytes) -> bool:
    return bytes(blob[:1]) == SEALED_VERSION


class FieldSealer:
    """Seals to the current organisation recipient; opens with the organisation identities.

    `recipient` and `identities` are called at each use, so a rotation (a new recipient made
    current) takes effect without a restart. `identities` returns nothing on a node
    that holds none: such a node writes sealed values and reads none back. `legacy` opens values
    written before sealing (AES-GCM under the master key, format 1) until they are re-sealed.
    """

    def __init__(
        self,
        recipient: Callable[[], Recipient],
        identities: Callable[[], Sequence[Identity]],
        legacy: FieldKeyring | None = None,
    ) -> None:
        self._recipient = recipient
        self._identities = identities
        self._legacy = legacy

    def encrypt(self, plaintext: str, context: str) -> bytes:
        if not isinstance(plaintext, str):
            raise TypeError("field sealing takes str plaintext")
        recipient = self._recipient()
        framed = FRAME_MAGIC + context.encode("utf-8") + b"\x00" + plaintext.encode("utf-8")
        return SEALED_VERSION + recipient_id(recipient) + encrypt_bytes(framed, [recipient])

    def decrypt(self, blob: bytes, context: str) -> str:
        blob = bytes(blob) if isinstance(blob, bytes | bytearray | memoryview) else blob
        if isinstance(blob, bytes) and blob[:1] == LEGACY_VERSION and self._legacy is not None:
            return self._legacy.decrypt(blob, context)
        if not isinstance(blob, bytes) or not is_sealed_value(blob):
            raise FieldDecryptionError(f"field {context} is not a sealed value")
        framed = self._open(blob, context)
        expected = FRAME_MAGIC + context.encode("utf-8") + b"\x00"
        if not framed.startswith(expected):
            raise FieldDecryptionError(
                f"field {context} holds a value sealed for another row, column or table"
            )
        return framed[len(expected) :].decode("utf-8")

    def needs_rotation(self, blob: bytes) -> bool:
        """True for a legacy value, or one sealed to a recipient other than the current one."""
        blob = bytes(blob)
        if not is_sealed_value(blob):
            return True
        return blob[1 : 1 + RECIPIENT_ID_BYTES] != recipient_id(self._recipient())

    def _open(self, blob: bytes, context: str) -> bytes:
        identities = list(self._identities())
        if not identities:
            raise SealedKeyAbsent(f"field {context}: {UNREADABLE_MESSAGE}")
        try:
            return decrypt_bytes(blob[1 + RECIPIENT_ID_BYTES :], identities)
        except NoMatchingIdentity:
            raise SealedKeyAbsent(f"field {context}: {UNREADABLE_MESSAGE}") from None
        except AgeError:
            raise FieldDecryptionError(
                f"field {context} failed authentication: the sealed value was altered"
            ) from None
