"""Organisation keys: `keys init|public`, sealing under the master key, intake-only nodes."""

from __future__ import annotations

import subprocess

import pytest

from app.crypto import minisign
from app.crypto.age import Recipient, decrypt_bytes, encrypt_bytes
from app.security import org_keys
from tests.helpers.media import require_tool
from tests.vault.vault_support import copy_public_keys, isolated_vault, pin_current_recipient


@pytest.fixture
def keys(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as folder:
        yield folder


def test_init_writes_sealed_private_parts_and_plain_public_ones(app_ctx, keys):
    identities = org_keys.org_identities()
    sealed = (keys / org_keys.IDENTITIES_FILE).read_bytes()
    assert b"AGE-SECRET-KEY" not in sealed
    signer = org_keys.signing_key()
    assert signer.private_bytes() not in (keys / org_keys.SIGNING_KEY_FILE).read_bytes()
    assert (keys / org_keys.IDENTITIES_FILE).stat().st_mode & 0o077 == 0
    recipients = (keys / org_keys.RECIPIENTS_FILE).read_text()
    assert str(identities[0].recipient) in recipients
    assert org_keys.minisign_public_key() == signer.public_key_string()


def test_init_refuses_to_overwrite_existing_keys(app_ctx, keys):
    before = (keys / org_keys.IDENTITIES_FILE).read_bytes()
    with pytest.raises(org_keys.KeyStoreError, match="refusing to overwrite"):
        org_keys.init_keys(keys, org_keys.master_key())
    assert (keys / org_keys.IDENTITIES_FILE).read_bytes() == before


def test_cli_init_refuses_and_if_missing_is_a_no_op(app, keys):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["keys", "init"])
    assert refused.exit_code != 0
    assert "refusing to overwrite" in refused.output
    quiet = runner.invoke(args=["keys", "init", "--if-missing"])
    assert quiet.exit_code == 0, quiet.output
    assert "already present" in quiet.output


def test_cli_init_creates_keys_in_an_empty_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "fresh-keys"
    monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", folder)
    result = app.test_cli_runner().invoke(args=["keys", "init"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        org_keys.PRIVATE_FILES + org_keys.PUBLIC_FILES
    )


def test_keys_public_prints_the_two_public_keys_and_the_pin(app, keys):
    result = app.test_cli_runner().invoke(args=["keys", "public"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("age: age1")
    assert lines[1].startswith("minisign: RW")
    assert lines[2].startswith("CUSTOS_ORG_RECIPIENT_FINGERPRINT=SHA256:")
    with app.app_context():
        assert Recipient.parse(lines[0].removeprefix("age: ")) == org_keys.org_recipients()[0]


def test_the_minisign_key_signs_what_the_real_minisign_verifies(app_ctx, keys, tmp_path):
    tool = require_tool("minisign")
    message = tmp_path / "checkpoint.txt"
    message.write_bytes(b"ledger head 42\n")
    signature = org_keys.signing_key().sign(message.read_bytes(), "checkpoint 42")
    (tmp_path / "checkpoint.txt.minisig").write_text(signature)
    result = subprocess.run(
        [tool, "-V", "-P", org_keys.minisign_public_key(), "-m", str(message)],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert minisign.verify(message.read_bytes(), signature, org_keys.minisign_public_key())


def test_a_different_master_key_cannot_open_the_private_keys(app_ctx, keys, monkeypatch):
    monkeypatch.setitem(app_ctx.extensions, "custos.master_key", bytes(range(1, 33)))
    app_ctx.extensions.pop("custos.org_keys_cache", None)
    with pytest.raises(org_keys.KeyStoreError, match="does not open with the master key"):
        org_keys.org_identities()


def test_intake_only_node_encrypts_but_cannot_decrypt_or_sign(app, keys, tmp_path, monkeypatch):
    public_only = copy_public_keys(keys, tmp_path / "public-keys")
    pin_current_recipient(app, monkeypatch)
    monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public_only)
    monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)
    with app.app_context():
        assert org_keys.keys_initialised()
        ciphertext = encrypt_bytes(b"testimony", org_keys.org_recipients())
        with pytest.raises(org_keys.ReadsDisabled, match="intake-only node and cannot read"):
            org_keys.org_identities()
        with pytest.raises(org_keys.ReadsDisabled, match="cannot sign"):
            org_keys.signing_key()
        assert org_keys.minisign_public_key().startswith("RW")
    with app.app_context():
        monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", False)
        monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", keys)
        assert decrypt_bytes(ciphertext, org_keys.org_identities()) == b"testimony"


def test_a_reading_node_without_private_keys_says_how_to_fix_it(app, keys, tmp_path, monkeypatch):
    public_only = copy_public_keys(keys, tmp_path / "public-keys")
    monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public_only)
    with app.app_context():
        assert not org_keys.keys_initialised()
        with pytest.raises(org_keys.KeyStoreError, match="CUSTOS_INTAKE_ONLY"):
            org_keys.org_identities()
