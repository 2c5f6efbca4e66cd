"""FieldSealer alone: sealed to a recipient, bound to its place, opened with the identity only."""

from __future__ import annotations

import pytest

from app.crypto.age import Identity
from app.security.field_crypto import FieldDecryptionError, FieldKeyring
from app.security.field_sealing import (
    UNREADABLE_MESSAGE,
    FieldSealer,
    SealedKeyAbsent,
    UnreadableText,
    recipient_id,
    unreadable,
)

CONTEXT = "witnesses.full_name.2b1f0c9e-0000-4000-8000-000000000001"
MARKER = "Amal Marker-7731 of Kafr Nabl"


def sealer(identity: Identity, held: list[Identity], legacy: FieldKeyring | None = None):
    return FieldSealer(lambda: identity.recipient, lambda: held, legacy=legacy)


def test_a_sealed_value_holds_no_plaintext_and_opens_with_the_identity():
    identity = Identity.generate()
    blob = sealer(identity, [identity]).encrypt(MARKER, CONTEXT)
    assert MARKER.encode() not in blob and b"Marker-7731" not in blob
    assert blob[:1] == b"\x02" and blob[1:5] == recipient_id(identity.recipient)
    assert sealer(identity, [identity]).decrypt(blob, CONTEXT) == MARKER


def test_a_node_with_only_the_recipient_writes_and_cannot_read():
    identity = Identity.generate()
    intake = sealer(identity, [])
    blob = intake.encrypt(MARKER, CONTEXT)
    with pytest.raises(SealedKeyAbsent) as refused:
        intake.decrypt(blob, CONTEXT)
    assert MARKER not in str(refused.value)
    assert sealer(identity, [identity]).decrypt(blob, CONTEXT) == MARKER


def test_a_value_sealed_to_another_organisation_is_absent_here_not_corrupt():
    ours, theirs = Identity.generate(), Identity.generate()
    blob = sealer(theirs, [theirs]).encrypt(MARKER, CONTEXT)
    with pytest.raises(SealedKeyAbsent):
        sealer(ours, [ours]).decrypt(blob, CONTEXT)


def test_a_value_moved_to_another_row_column_or_table_is_refused():
    identity = Identity.generate()
    both = sealer(identity, [identity])
    blob = both.encrypt(MARKER, CONTEXT)
    for elsewhere in (
        CONTEXT.replace("0001", "0002"),
        CONTEXT.replace("full_name", "contact"),
        CONTEXT.replace("witnesses", "incidents"),
        CONTEXT + "0",
    ):
        with pytest.raises(FieldDecryptionError) as refused:
            both.decrypt(blob, elsewhere)
        assert not isinstance(refused.value, SealedKeyAbsent)


def test_a_flipped_byte_fails_authentication():
    identity = Identity.generate()
    both = sealer(identity, [identity])
    blob = bytearray(both.encrypt(MARKER, CONTEXT))
    blob[-5] ^= 0x01
    with pytest.raises(FieldDecryptionError) as refused:
        both.decrypt(bytes(blob), CONTEXT)
    assert not isinstance(refused.value, SealedKeyAbsent)


def test_legacy_aes_values_open_and_need_resealing():
    identity = Identity.generate()
    keyring = FieldKeyring(b"k" * 32)
    legacy = keyring.encrypt(MARKER, CONTEXT)
    both = sealer(identity, [identity], legacy=keyring)
    assert both.decrypt(legacy, CONTEXT) == MARKER
    assert both.needs_rotation(legacy)
    assert not both.needs_rotation(both.encrypt(MARKER, CONTEXT))


def test_a_value_sealed_to_a_retired_recipient_needs_resealing():
    old, new = Identity.generate(), Identity.generate()
    blob = sealer(old, [old]).encrypt(MARKER, CONTEXT)
    assert sealer(new, [new, old]).needs_rotation(blob)
    assert sealer(new, [new, old]).decrypt(blob, CONTEXT) == MARKER


def test_the_placeholder_outside_an_app_is_the_english_sentence():
    text = unreadable()
    assert isinstance(text, UnreadableText) and text == UNREADABLE_MESSAGE
