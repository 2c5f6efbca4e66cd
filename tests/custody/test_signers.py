"""Signed at intake (app/custody/signers.py): an intake node signs its own checkpoints with a
key of its own; the verifiers accept it while it is listed; revoking is in every ledger."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from app.custody.models import Checkpoint, LedgerEntry
from app.custody.signer_keys import CustodySigner
from app.custody.signers import SignerError, add_signer
from app.custody.verify import verify_ledgers
from app.extensions import db
from app.security import org_keys
from tests.custody.test_verify_custody_tool import REF, rechain, run_tool, write_export
from tests.helpers.factories import InvestigationFactory
from tests.vault.vault_support import copy_public_keys, listed_node_signer, pin_current_recipient


@pytest.fixture
def node(app, app_ctx, tmp_path, monkeypatch):
    """Switch the app to an intake-only node holding public keys and its own listed key."""
    public = copy_public_keys(org_keys.keys_dir(), tmp_path / "node-keys")
    key_id = listed_node_signer(app, public, "field-gaziantep")
    pin_current_recipient(app, monkeypatch)
    reading = {"CUSTOS_KEYS_DIR": app.config.get("CUSTOS_KEYS_DIR")}

    class Node:
        def __init__(self):
            self.key_id = key_id
            self.keys = public

        def intake(self):
            monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public)
            monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)

        def reading(self):
            monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", reading["CUSTOS_KEYS_DIR"])
            monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", False)

    return Node()


def _append(investigation, count=2):
    from app.custody.ledger import append_custody_event

    for number in range(count):
        append_custody_event(
            investigation.id, "system:test", "viewed", "evidence", f"ev-{number}", {"n": number}
        )
        db.session.commit()


def _newest_checkpoint(investigation) -> Checkpoint:
    db.session.expire_all()
    return db.session.scalars(
        select(Checkpoint)
        .where(Checkpoint.investigation_id == investigation.id)
        .order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
    ).first()


def test_entries_written_on_an_intake_node_are_signed_there_by_its_own_key(app, node):
    investigation = InvestigationFactory()
    db.session.commit()
    node.intake()
    _append(investigation)
    checkpoint = _newest_checkpoint(investigation)
    assert checkpoint.key_id == node.key_id
    node.reading()
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok, verdict.problem
    assert (verdict.signed_seq, verdict.signed_key) == (verdict.entries, node.key_id)


def test_the_real_minisign_accepts_an_intake_checkpoint_under_the_node_key(app, node, tmp_path):
    binary = shutil.which("minisign")
    assert binary, "the minisign binary is missing: run `make system-deps`"
    investigation = InvestigationFactory()
    db.session.commit()
    node.intake()
    _append(investigation, 1)
    checkpoint = _newest_checkpoint(investigation)
    (tmp_path / "checkpoint.json").write_bytes(checkpoint.statement)
    (tmp_path / "checkpoint.json.minisig").write_text(checkpoint.minisig)
    result = subprocess.run(
        [binary, "-V", "-P", org_keys.node_public_key(), "-m", str(tmp_path / "checkpoint.json")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    wrong = subprocess.run(
        [
            binary,
            "-V",
            "-P",
            org_keys.minisign_public_key(),
            "-m",
            str(tmp_path / "checkpoint.json"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert wrong.returncode != 0


def test_a_checkpoint_by_an_unlisted_key_is_not_trusted(app, node, tmp_path):
    investigation = InvestigationFactory()
    db.session.commit()
    node.intake()
    db.session.delete(db.session.get(CustodySigner, node.key_id))  # as if never listed
    db.session.commit()
    _append(investigation, 1)
    node.reading()
    (verdict,) = verify_ledgers(investigation.reference)
    assert not verdict.ok
    assert f"signed by key {node.key_id}, which is not a trusted signer" in verdict.problem


def test_revoking_a_node_key_is_in_every_ledger_and_leaves_them_verifiable(app, node):
    first, second = InvestigationFactory(), InvestigationFactory()
    db.session.commit()
    node.intake()
    _append(first)
    node.reading()
    result = app.test_cli_runner().invoke(
        args=["custody", "signers", "revoke", node.key_id, "--reason", "node seized"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for investigation in (first, second):
        actions = db.session.scalars(
            select(LedgerEntry.action).where(LedgerEntry.investigation_id == investigation.id)
        ).all()
        assert actions[-1] == "signer_revoked"
        (verdict,) = verify_ledgers(investigation.reference)  # every signature checked
        assert verdict.ok, verdict.problem
        assert verdict.signed_key == org_keys.signing_key().key_id_hex()
    assert db.session.get(CustodySigner, node.key_id).revoked_reason == "node seized"


def test_after_revocation_the_node_key_vouches_for_nothing(app, node):
    investigation = InvestigationFactory()
    db.session.commit()
    node.reading()
    result = app.test_cli_runner().invoke(
        args=["custody", "signers", "revoke", node.key_id, "--reason", "node seized"]
    )
    assert result.exit_code == 0, result.output
    node.intake()  # a thief with the seized node keeps signing
    _append(investigation, 1)
    assert _newest_checkpoint(investigation).key_id == node.key_id
    node.reading()
    for fast in (True, False):
        (verdict,) = verify_ledgers(investigation.reference, fast=fast)
        assert not verdict.ok
        assert "not covered" in verdict.problem


def test_an_intake_node_cannot_revoke_or_be_listed_twice(app, node):
    node.intake()
    result = app.test_cli_runner().invoke(
        args=["custody", "signers", "revoke", node.key_id, "--reason", "covering tracks"]
    )
    assert result.exit_code != 0
    assert "intake-only node: it cannot revoke signers" in result.output
    assert db.session.get(CustodySigner, node.key_id).revoked_at is None
    node.reading()
    with pytest.raises(SignerError, match="already listed"):
        add_signer(
            "again", (node.keys / org_keys.NODE_MINISIGN_PUB_FILE).read_text(), "system:tests"
        )
    with pytest.raises(SignerError, match="not a minisign public key"):
        add_signer("bad", "RWnotakey", "system:tests")


def test_the_shipped_verifier_accepts_a_node_signed_export_given_both_keys(tmp_path):
    from app.crypto.minisign import SigningKey
    from tests.custody.test_verify_custody_tool import make_body

    organisation, node_key = SigningKey.generate(), SigningKey.generate()
    export = write_export(tmp_path, rechain([make_body(seq) for seq in range(1, 6)]), node_key)
    args = [export.ledger, "--checkpoint", export.checkpoint, "--signature", export.signature]
    only_org = run_tool(*args, key=organisation.public_key_string())
    assert only_org.returncode == 1 and "not by the given key" in only_org.stderr
    both = run_tool(
        *args,
        "--public-key",
        organisation.public_key_string(),
        "--public-key",
        node_key.public_key_string(),
    )
    assert both.returncode == 0, both.stderr
    assert f"{REF} entries 1..5" in both.stdout and node_key.key_id_hex() in both.stdout


def test_listing_a_signer_is_in_the_ledger_of_every_investigation(app_ctx):
    investigations = [InvestigationFactory(), InvestigationFactory()]
    db.session.commit()
    from app.crypto.minisign import SigningKey

    key = SigningKey.generate()
    add_signer("field-erbil", key.public_key_string(), "system:tests")
    db.session.expire_all()
    for investigation in investigations:
        (entry,) = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.investigation_id == investigation.id)
        )
        assert entry.action == "signer_added"
        assert key.key_id_hex() in bytes(entry.body).decode()
        (verdict,) = verify_ledgers(investigation.reference)
        assert verdict.ok, verdict.problem
