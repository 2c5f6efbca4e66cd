"""The pinned recipient: an intake node encrypts to the pinned key only, and refuses to start
when its public key files are missing, unreadable, damaged or not the pinned ones."""

from __future__ import annotations

import os
import shutil

import pytest

from app import create_app
from app.crypto.age import Identity, NoMatchingIdentity, decrypt_bytes, encrypt_bytes
from app.custody.signers import NodeSignerMissing
from app.security import org_keys
from app.security.recipient_pin import RecipientPinError, fingerprint
from tests.conftest import make_config
from tests.vault.vault_support import copy_public_keys, listed_node_signer


@pytest.fixture
def reading_keys(app):
    """The session app's reading-node key folder and the fingerprint of its current key."""
    with app.app_context():
        return org_keys.keys_dir(), fingerprint(org_keys.org_recipients()[0])


def intake_node(app, tmp_path, keys, pin, signer=True):
    """Start a new intake-only app on the session's database with `keys` as its key folder
    (holding its own listed checkpoint key unless `signer` is False)."""
    if signer and not (keys / org_keys.NODE_SIGNING_KEY_FILE).exists():
        listed_node_signer(app, keys)
    instance = tmp_path / "intake-instance"
    instance.mkdir(exist_ok=True)
    shutil.copy(app.instance_path + "/master.key", instance / "master.key")
    config = make_config(
        app.config["SQLALCHEMY_DATABASE_URI"],
        instance,
        CUSTOS_INTAKE_ONLY=True,
        CUSTOS_KEYS_DIR=keys,
        CUSTOS_ORG_RECIPIENT_FINGERPRINT=pin,
    )
    return create_app(config)


def test_an_intake_node_with_the_pinned_public_keys_starts_and_encrypts_to_that_key(
    app, tmp_path, reading_keys
):
    keys, pin = reading_keys
    node = intake_node(app, tmp_path, copy_public_keys(keys, tmp_path / "pub"), pin)
    with node.app_context():
        ciphertext = encrypt_bytes(b"testimony", org_keys.org_recipients())
    with app.app_context():
        assert decrypt_bytes(ciphertext, org_keys.org_identities()) == b"testimony"


def test_a_planted_last_recipient_does_not_redirect_uploads(app, tmp_path, reading_keys):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    attacker = Identity.generate()
    with open(public / org_keys.RECIPIENTS_FILE, "a") as handle:
        handle.write(f"{attacker.recipient}\n")
    node = intake_node(app, tmp_path, public, pin)
    with node.app_context():
        ciphertext = encrypt_bytes(b"testimony", org_keys.org_recipients())
    with pytest.raises(NoMatchingIdentity):
        decrypt_bytes(ciphertext, [attacker])


def test_a_replaced_recipient_file_refuses_to_start_naming_the_pin(app, tmp_path, reading_keys):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    (public / org_keys.RECIPIENTS_FILE).write_text(f"{Identity.generate().recipient}\n")
    with pytest.raises(RecipientPinError, match="matches CUSTOS_ORG_RECIPIENT_FINGERPRINT"):
        intake_node(app, tmp_path, public, pin)


def test_an_intake_node_without_a_pin_refuses_to_start(app, tmp_path, reading_keys):
    keys, _ = reading_keys
    with pytest.raises(RecipientPinError, match="needs CUSTOS_ORG_RECIPIENT_FINGERPRINT"):
        intake_node(app, tmp_path, copy_public_keys(keys, tmp_path / "pub"), "")


def test_a_malformed_pin_refuses_to_start(app, tmp_path, reading_keys):
    keys, _ = reading_keys
    with pytest.raises(RecipientPinError, match="64 hex digits"):
        intake_node(app, tmp_path, copy_public_keys(keys, tmp_path / "pub"), "SHA256:abc")


@pytest.mark.parametrize("name", [org_keys.RECIPIENTS_FILE, org_keys.MINISIGN_PUB_FILE])
def test_a_missing_public_key_file_refuses_to_start_naming_it(app, tmp_path, reading_keys, name):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    (public / name).unlink()
    with pytest.raises(org_keys.KeyStoreError, match=f"no {name} in "):
        intake_node(app, tmp_path, public, pin)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode")
@pytest.mark.parametrize("name", [org_keys.RECIPIENTS_FILE, org_keys.MINISIGN_PUB_FILE])
def test_an_unreadable_public_key_file_refuses_to_start_naming_it(
    app, tmp_path, reading_keys, name
):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    (public / name).chmod(0)
    with pytest.raises(org_keys.KeyStoreError, match=f"{name} .* is not readable"):
        intake_node(app, tmp_path, public, pin)


@pytest.mark.parametrize("name", [org_keys.RECIPIENTS_FILE, org_keys.MINISIGN_PUB_FILE])
def test_a_public_key_path_that_is_no_file_refuses_to_start_naming_it(
    app, tmp_path, reading_keys, name
):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    (public / name).unlink()
    (public / name).mkdir()
    with pytest.raises(org_keys.KeyStoreError, match=f"{name} in .* cannot be read"):
        intake_node(app, tmp_path, public, pin)


@pytest.mark.parametrize("name", [org_keys.RECIPIENTS_FILE, org_keys.MINISIGN_PUB_FILE])
def test_a_damaged_public_key_file_refuses_to_start_naming_it(app, tmp_path, reading_keys, name):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    (public / name).write_text("not a key\n")
    with pytest.raises(org_keys.KeyStoreError, match=f"{name} in .* is damaged"):
        intake_node(app, tmp_path, public, pin)


def test_a_reading_node_whose_key_is_not_the_pin_refuses_to_start(app, tmp_path, reading_keys):
    keys, _ = reading_keys
    instance = tmp_path / "reading"
    instance.mkdir()
    shutil.copy(app.instance_path + "/master.key", instance / "master.key")
    other = "SHA256:" + "0" * 64
    config = make_config(
        app.config["SQLALCHEMY_DATABASE_URI"],
        instance,
        CUSTOS_KEYS_DIR=keys,
        CUSTOS_ORG_RECIPIENT_FINGERPRINT=other,
    )
    with pytest.raises(RecipientPinError, match="not this node's current identity"):
        create_app(config)


def test_an_intake_node_without_its_own_checkpoint_key_refuses_to_start(
    app, tmp_path, reading_keys
):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    with pytest.raises(NodeSignerMissing, match="no checkpoint key of its own"):
        intake_node(app, tmp_path, public, pin, signer=False)


def test_an_intake_node_whose_key_is_not_listed_refuses_to_start(app, tmp_path, reading_keys):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    with app.app_context():
        signer = org_keys.init_node_signer(public, org_keys.master_key(), "unlisted")
    with pytest.raises(NodeSignerMissing, match=f"{signer.key_id_hex()} is not listed"):
        intake_node(app, tmp_path, public, pin)


def test_an_intake_node_whose_key_was_revoked_refuses_to_start(app, tmp_path, reading_keys):
    keys, pin = reading_keys
    public = copy_public_keys(keys, tmp_path / "pub")
    key_id = listed_node_signer(app, public)
    result = app.test_cli_runner().invoke(
        args=["custody", "signers", "revoke", key_id, "--reason", "node seized"]
    )
    assert result.exit_code == 0, result.output
    with pytest.raises(NodeSignerMissing, match=f"{key_id} was revoked"):
        intake_node(app, tmp_path, public, pin)
