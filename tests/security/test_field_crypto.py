"""Master key loading and derivation, and the field keyring's sealing format."""

from __future__ import annotations

import base64
import secrets
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.security.field_crypto import (
    FieldDecryptionError,
    FieldKeyring,
    key_id_for,
    key_id_of,
)
from app.security.master_key import (
    MasterKeyError,
    derive_key,
    generate_master_key_file,
    load_master_key,
    load_previous_master_keys,
)

pytestmark = pytest.mark.nodb

CONTEXT = "witnesses.name.0b6f3a52-1d3e-4c1a-9a57-1f0e2b7c9d11"


@pytest.fixture
def master() -> bytes:
    return secrets.token_bytes(32)


def spellings(key: bytes) -> list[str]:
    """Every way the key could appear in an error message."""
    return [
        key.hex(),
        key.hex().upper(),
        base64.urlsafe_b64encode(key).decode().rstrip("="),
        base64.b64encode(key).decode().rstrip("="),
        repr(key),
    ]


# --- Loading the master key ----------------------------------------------------------------------


def test_env_key_in_base64url_and_hex_decode_to_the_same_bytes(tmp_path, master):
    as_base64url = base64.urlsafe_b64encode(master).decode().rstrip("=")
    missing = tmp_path / "master.key"
    assert load_master_key(as_base64url, missing) == master
    assert load_master_key(master.hex(), missing) == master
    assert load_master_key(f"  {as_base64url}\n", missing) == master


def test_key_file_is_used_when_env_is_unset_or_blank(tmp_path, master):
    key_file = tmp_path / "master.key"
    key_file.write_text(master.hex() + "\n")
    key_file.chmod(0o600)
    assert load_master_key(None, key_file) == master
    assert load_master_key("   ", key_file) == master


def test_env_key_takes_precedence_over_key_file(tmp_path, master):
    key_file = generate_master_key_file(tmp_path / "master.key")
    assert load_master_key(master.hex(), key_file) == master


def test_missing_master_key_names_both_places_to_put_one(tmp_path):
    key_file = tmp_path / "master.key"
    with pytest.raises(MasterKeyError) as raised:
        load_master_key(None, key_file)
    assert "CUSTOS_MASTER_KEY" in str(raised.value)
    assert str(key_file) in str(raised.value)


@pytest.mark.parametrize(
    ("make_text", "expected"),
    [
        (lambda key: key.hex()[:-2], "digits"),  # 31 bytes of hex
        (lambda key: key[:16].hex(), "digits"),  # a 128-bit key
        (lambda key: base64.urlsafe_b64encode(key[:24]).decode(), "24 bytes"),
        (lambda key: base64.urlsafe_b64encode(key + key).decode(), "64 bytes"),
        (lambda key: key.hex() + "!", "neither base64url nor hex"),
        (lambda key: base64.urlsafe_b64encode(key).decode().rstrip("=") + "AB", "not valid"),
    ],
    ids=["short-hex", "128-bit", "short-base64", "long-base64", "junk-character", "bad-padding"],
)
def test_malformed_env_key_is_rejected_without_echoing_it(tmp_path, master, make_text, expected):
    text = make_text(master)
    with pytest.raises(MasterKeyError) as raised:
        load_master_key(text, tmp_path / "absent.key")
    message = str(raised.value)
    assert expected in message
    assert "CUSTOS_MASTER_KEY" in message
    for secret in [text.strip(), *spellings(master)]:
        assert secret not in message
    # A chained decoding error would print in the traceback beside ours.
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None or raised.value.__suppress_context__


def test_malformed_key_file_is_rejected_without_echoing_it(tmp_path, master):
    key_file = tmp_path / "master.key"
    key_file.write_text(master[:20].hex())
    with pytest.raises(MasterKeyError) as raised:
        load_master_key(None, key_file)
    assert str(key_file) in str(raised.value)
    for secret in [master[:20].hex(), *spellings(master)]:
        assert secret not in str(raised.value)


def test_placeholder_key_is_rejected(tmp_path):
    with pytest.raises(MasterKeyError, match="placeholder"):
        load_master_key("00" * 32, tmp_path / "absent.key")


def test_previous_key_errors_name_the_entry_not_the_key(master):
    with pytest.raises(MasterKeyError) as raised:
        load_previous_master_keys([master.hex(), master.hex()[:40]])
    assert "CUSTOS_PREVIOUS_MASTER_KEYS entry 2" in str(raised.value)
    assert master.hex()[:40] not in str(raised.value)


# --- Generating a key file -----------------------------------------------------------------------


def test_generated_key_file_is_private_and_loads(tmp_path):
    key_file = generate_master_key_file(tmp_path / "instance" / "master.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(load_master_key(None, key_file)) == 32
    assert [path.name for path in key_file.parent.iterdir()] == ["master.key"]


def test_generated_keys_differ(tmp_path):
    first = load_master_key(None, generate_master_key_file(tmp_path / "a.key"))
    second = load_master_key(None, generate_master_key_file(tmp_path / "b.key"))
    assert first != second


def test_generating_refuses_to_overwrite_an_existing_key(tmp_path):
    key_file = generate_master_key_file(tmp_path / "master.key")
    before = key_file.read_bytes()
    with pytest.raises(MasterKeyError, match="refusing to overwrite"):
        generate_master_key_file(key_file)
    assert key_file.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["master.key"]


# --- Deriving keys -------------------------------------------------------------------------------


def test_derive_key_is_hkdf_sha256_with_a_versioned_purpose(master):
    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"custos/v1/field"
    ).derive(master)
    assert derive_key(master, "field") == expected


def test_each_purpose_gets_its_own_key(master):
    keys = {derive_key(master, purpose) for purpose in ("field", "key-id", "recovery-codes")}
    assert len(keys) == 3
    assert master not in keys


def test_derive_key_honours_length(master):
    assert len(derive_key(master, "key-id", 4)) == 4


def test_derive_key_refuses_a_master_of_the_wrong_size(master):
    with pytest.raises(ValueError):
        derive_key(master[:16], "field")


# --- The keyring ---------------------------------------------------------------------------------


def test_round_trip(master):
    keyring = FieldKeyring(master)
    assert keyring.decrypt(keyring.encrypt("Amal Haddad", CONTEXT), CONTEXT) == "Amal Haddad"


def test_arabic_and_empty_text_round_trip(master):
    keyring = FieldKeyring(master)
    for text in ("أمل حداد، شاهدة من حلب", ""):
        assert keyring.decrypt(keyring.encrypt(text, CONTEXT), CONTEXT) == text


def test_wire_format_is_version_key_id_nonce_ciphertext_tag(master):
    keyring = FieldKeyring(master)
    blob = keyring.encrypt("Amal", CONTEXT)
    assert blob[:1] == b"\x01"
    assert blob[1:5] == keyring.key_id == key_id_for(master) == key_id_of(blob)
    assert len(blob) == 1 + 4 + 12 + len(b"Amal") + 16


def test_key_id_is_derived_not_a_slice_of_the_key(master):
    key_id = FieldKeyring(master).key_id
    assert key_id == derive_key(master, "key-id", 4)
    assert key_id not in master
    assert key_id not in derive_key(master, "field")


def test_same_plaintext_seals_differently_each_time(master):
    keyring = FieldKeyring(master)
    assert keyring.encrypt("Amal", CONTEXT) != keyring.encrypt("Amal", CONTEXT)


def test_ciphertext_under_another_context_fails_and_names_only_the_context(master):
    keyring = FieldKeyring(master)
    blob = keyring.encrypt("Amal Haddad", CONTEXT)
    other = "witnesses.name.5d1c0e9e-7d8f-4b66-8d43-6a3d3f2b0e77"
    with pytest.raises(FieldDecryptionError) as raised:
        keyring.decrypt(blob, other)
    assert other in str(raised.value)
    assert "Amal" not in str(raised.value)


@pytest.mark.parametrize(
    "position", [0, 1, 5, 17, -1], ids=["version", "key-id", "nonce", "body", "tag"]
)
def test_any_flipped_byte_fails(master, position):
    keyring = FieldKeyring(master)
    blob = bytearray(keyring.encrypt("Amal", CONTEXT))
    blob[position] ^= 0x01
    with pytest.raises(FieldDecryptionError):
        keyring.decrypt(bytes(blob), CONTEXT)


def test_truncated_blob_fails(master):
    keyring = FieldKeyring(master)
    with pytest.raises(FieldDecryptionError, match="truncated"):
        keyring.decrypt(keyring.encrypt("Amal", CONTEXT)[:20], CONTEXT)


def test_unknown_key_id_names_the_key_it_needs(master):
    blob = FieldKeyring(secrets.token_bytes(32)).encrypt("Amal", CONTEXT)
    with pytest.raises(FieldDecryptionError) as raised:
        FieldKeyring(master).decrypt(blob, CONTEXT)
    assert str(raised.value).startswith(
        f"encrypted with key {blob[1:5].hex()}, which this server does not hold"
    )


def test_key_id_relabelled_to_a_held_key_still_fails(master):
    """Both keys held: a blob claiming the other key's id must not open under either."""
    previous = secrets.token_bytes(32)
    keyring = FieldKeyring(master, [previous])
    blob = bytearray(FieldKeyring(previous).encrypt("Amal", CONTEXT))
    blob[1:5] = keyring.key_id
    with pytest.raises(FieldDecryptionError, match="failed authentication"):
        keyring.decrypt(bytes(blob), CONTEXT)


def test_previous_key_still_opens_and_is_flagged_for_rotation(master):
    previous = secrets.token_bytes(32)
    old_blob = FieldKeyring(previous).encrypt("Amal", CONTEXT)
    keyring = FieldKeyring(master, [previous])
    assert keyring.decrypt(old_blob, CONTEXT) == "Amal"
    assert keyring.needs_rotation(old_blob)
    assert not keyring.needs_rotation(keyring.encrypt("Amal", CONTEXT))


def test_same_key_listed_twice_is_accepted(master):
    keyring = FieldKeyring(master, [master])
    assert keyring.known_key_ids == {keyring.key_id}


def test_encrypt_refuses_non_text(master):
    with pytest.raises(TypeError):
        FieldKeyring(master).encrypt(b"Amal", CONTEXT)  # type: ignore[arg-type]
