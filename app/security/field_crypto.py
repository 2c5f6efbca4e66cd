"""Authenticated encryption of single text fields, bound to where they live, with rotating keys."""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security.master_key import derive_key

# Wire format, version 1:
#
#   0x01 | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext | tag (16 bytes)
#
# The associated data is version || key id || context, where the context names the table,
# column and row ("witnesses.name.<row id>"). A ciphertext copied to another row, column or
# table therefore fails authentication instead of decrypting to the wrong person's data, and a
# tampered version byte or key id fails too.
#
# Nonces are random (96 bits, NIST SP 800-38D section 8.2.2). One master key should not seal
# more than 2**32 values; rotate long before that (a few million values a year is typical here).
FORMAT_VERSION = b"\x01"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(FORMAT_VERSION) + KEY_ID_BYTES + NONCE_BYTES


class FieldDecryptionError(Exception):
    """A sealed field cannot be opened. The message names the field, never its content."""


def key_id_for(master: bytes) -> bytes:
    """Public 4-byte name of a master key: an HKDF output, so it reveals nothing of the key."""
    return derive_key(master, "key-id", KEY_ID_BYTES)


def key_id_of(blob: bytes) -> bytes:
    """The key id a sealed value was made with (format checked, nothing decrypted)."""
    _check_format(blob, context=None)
    return bytes(blob[1 : 1 + KEY_ID_BYTES])


class FieldKeyring:
    """Seals with the current master key; opens with the current or any previous one."""

    def __init__(self, current_master: bytes, previous_masters: Sequence[bytes] = ()) -> None:
        self._key_id = key_id_for(current_master)
        self._ciphers: dict[bytes, AESGCM] = {}
        masters_by_id: dict[bytes, bytes] = {}  # local only: the keyring keeps no raw master
        for master in (current_master, *previous_masters):
            key_id = key_id_for(master)
            if key_id in masters_by_id:
                # The same key listed twice is harmless; two different keys sharing a 32-bit id
                # would make one of them unreachable, so refuse rather than guess.
                if hmac.compare_digest(masters_by_id[key_id], master):
                    continue
                raise ValueError(f"two master keys share key id {key_id.hex()}; replace one")
            masters_by_id[key_id] = master
            self._ciphers[key_id] = AESGCM(derive_key(master, "field"))

    @property
    def key_id(self) -> bytes:
        """Id of the key new values are sealed with."""
        return self._key_id

    @property
    def known_key_ids(self) -> frozenset[bytes]:
        """Ids of every key this keyring can open values with."""
        return frozenset(self._ciphers)

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """Seal `plaintext` for the place named by `context` (e.g. "witnesses.name.<row id>")."""
        if not isinstance(plaintext, str):
            raise TypeError("field encryption takes str plaintext")
        header = FORMAT_VERSION + self._key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._key_id].encrypt(
            nonce, plaintext.encode("utf-8"), header + context.encode("utf-8")
        )
        return header + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        """Open a value sealed for `context`; FieldDecryptionError if it is not exactly that."""
        _check_format(blob, context)
        blob = bytes(blob)
        header = blob[: 1 + KEY_ID_BYTES]
        key_id = blob[1 : 1 + KEY_ID_BYTES]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise FieldDecryptionError(
                f"encrypted with key {key_id.hex()}, which this server does not hold "
                f"(field {context})"
            )
        try:
            plaintext = cipher.decrypt(
                blob[1 + KEY_ID_BYTES : HEADER_BYTES],
                blob[HEADER_BYTES:],
                header + context.encode("utf-8"),
            )
        except InvalidTag:
            raise FieldDecryptionError(
                f"field {context} failed authentication: the value was altered, "
                "moved from another row, column or table, or sealed with a different key "
                "under the same key id"
            ) from None
        return plaintext.decode("utf-8")

    def needs_rotation(self, blob: bytes) -> bool:
        """True when `blob` was sealed with a key other than the current one."""
        return key_id_of(blob) != self._key_id


def _check_format(blob: bytes, context: str | None) -> None:
    where = f" (field {context})" if context else ""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise FieldDecryptionError(f"sealed value is {type(blob).__name__}, not bytes{where}")
    if len(blob) < HEADER_BYTES + TAG_BYTES:
        raise FieldDecryptionError(f"sealed value is truncated ({len(blob)} bytes){where}")
    if bytes(blob[:1]) != FORMAT_VERSION:
        raise FieldDecryptionError(f"unknown sealed-value format {blob[0]:#04x}{where}")
