"""Cosignatures in exports: the bag carries what witnesses vouched for, and the shipped
verifier checks it with --cosigner-key (custody-format.md section 10.2)."""

from __future__ import annotations

import json
import subprocess

import pytest

from app.crypto.minisign import SigningKey
from app.custody.cosign import cosign
from app.custody.cosign_format import UNTRUSTED_COMMENT, cosignature_comment
from app.custody.cosign_log import cosign_request, store_cosignature
from app.custody.export import export_ledger
from app.extensions import db
from tests.custody import test_cosign
from tests.custody.test_cosign import append, cosigned
from tests.custody.test_ledger_export import verify_tool

# The second instance of test_cosign.py, as the witness here too.
witness_template, witness = test_cosign.witness_template, test_cosign.witness


def export_now(investigation, out):
    export_ledger(investigation, None, out)
    db.session.commit()
    return out


def test_an_export_carries_the_cosignature_and_minisign_and_the_tool_check_it(
    app_ctx, investigation, public_key, witness, tmp_path
):
    append(investigation, 3)
    cosigned(witness, investigation, public_key)
    append(investigation, 2)  # the export signs a newer checkpoint than the cosigned one
    out = export_now(investigation, tmp_path / "export")
    (folder,) = (out / "cosigned").iterdir()

    by_minisign = subprocess.run(
        ["minisign", "-Vm", str(folder / "checkpoint.json"), "-x"]
        + [str(folder / "checkpoint.json.cosig"), "-P", witness.public_key],
        capture_output=True,
        text=True,
        check=False,
    )
    checked = verify_tool(out, public_key, "--cosigner-key", witness.public_key)
    unchecked = verify_tool(out, public_key)

    assert by_minisign.returncode == 0, by_minisign.stderr
    assert f"custos-cosignature-v1 {investigation.reference} entries 1..3 root" in (
        by_minisign.stdout
    )
    assert checked.returncode == 0, checked.stderr
    assert f", entries 1..3 cosigned by witness {folder.name} at 20" in checked.stdout
    assert json.loads((folder / "consistency.json").read_text())["new_size"] == 5
    assert unchecked.returncode == 0, unchecked.stderr
    assert ", 1 cosignature(s) not checked (no --cosigner-key)" in unchecked.stdout


@pytest.fixture
def local_witness(app, monkeypatch):
    """A witness key the log trusts, cosigning with the witness code in this process."""
    key = SigningKey.generate()
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [key.public_key_string()])
    return key


def cosigned_export(investigation, public_key, key, out):
    append(investigation, 3)
    answer = cosign(
        cosign_request(investigation.reference, key.public_key_string()), public_key, key
    )
    store_cosignature(investigation.reference, answer)
    append(investigation, 1)
    export_now(investigation, out)
    return out / "cosigned" / key.key_id_hex()


def test_a_cosignature_of_the_exported_checkpoint_itself_needs_no_proof(
    app_ctx, investigation, public_key, local_witness, tmp_path
):
    append(investigation, 2)
    export_now(investigation, tmp_path / "first")  # signs the checkpoint over 1..2
    answer = cosign(
        cosign_request(investigation.reference, local_witness.public_key_string()),
        public_key,
        local_witness,
    )
    store_cosignature(investigation.reference, answer)
    out = export_now(investigation, tmp_path / "export")

    result = verify_tool(out, public_key, "--cosigner-key", local_witness.public_key_string())

    assert result.returncode == 0, result.stderr
    assert f"entries 1..2 cosigned by witness {local_witness.key_id_hex()}" in result.stdout
    proof = json.loads(
        (out / "cosigned" / local_witness.key_id_hex() / "consistency.json").read_text()
    )
    assert proof == {"new_size": 2, "old_size": 2, "proof": []}


def _resign(folder, key, comment):
    statement = (folder / "checkpoint.json").read_bytes()
    (folder / "checkpoint.json.cosig").write_text(key.sign(statement, comment, UNTRUSTED_COMMENT))


def _forged(folder, key, investigation):
    lines = (folder / "checkpoint.json.cosig").read_text().split("\n")
    lines[3] = ("B" if lines[3][0] != "B" else "C") + lines[3][1:]  # the global signature
    (folder / "checkpoint.json.cosig").write_text("\n".join(lines))


def _bigger_tree(folder, key, investigation):
    statement = json.loads((folder / "checkpoint.json").read_bytes())
    statement["seq"] = 99
    _resign(folder, key, cosignature_comment(statement, "LOG", "2026-12-06T03:00:00.000000Z"))


def _other_log(folder, key, investigation):
    statement = json.loads((folder / "checkpoint.json").read_bytes())
    _resign(folder, key, cosignature_comment(statement, "ABC", "2026-12-06T03:00:00.000000Z"))


def _checkpoint_comment(folder, key, investigation):
    statement = json.loads((folder / "checkpoint.json").read_bytes())
    comment = cosignature_comment(statement, "ABC", "2026-12-06T03:00:00.000000Z")
    _resign(folder, key, comment.replace("custos-cosignature-v1", "custos-checkpoint-v2"))


def _proof_elsewhere(folder, key, investigation):
    proof = json.loads((folder / "consistency.json").read_text())
    proof["proof"][0] = "00" * 32
    (folder / "consistency.json").write_text(json.dumps(proof))


def _other_statement(folder, key, investigation):
    """A genuine cosignature, but of a tree the exported one does not extend."""
    statement = json.loads((folder / "checkpoint.json").read_bytes())
    statement["root"] = "ab" * 32
    text = json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()
    (folder / "checkpoint.json").write_bytes(text)
    comment = (folder / "checkpoint.json.cosig").read_text().split("\n")[2]
    old_root = comment.split(" root ", 1)[1].split(" ", 1)[0]
    _resign(folder, key, comment.removeprefix("trusted comment: ").replace(old_root, "ab" * 32))


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_forged, "cosignature signature does not verify"),
        (_bigger_tree, "does not say what the cosigned checkpoint says"),
        (_checkpoint_comment, "does not say what the cosigned checkpoint says"),
        (_other_log, "the witness cosigned a checkpoint of log key ABC, not of the key"),
        (_proof_elsewhere, "is not the one the cosigned tree leads to (entries 1..3 are not"),
        (_other_statement, "is not the one the cosigned tree leads to (entries 1..3 are not"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] if callable(value) else "",
)
def test_a_forged_or_mismatched_cosignature_fails_naming_the_cause(
    app_ctx, investigation, public_key, local_witness, tmp_path, tamper, message
):
    folder = cosigned_export(investigation, public_key, local_witness, tmp_path / "export")
    tamper(folder, local_witness, investigation)

    result = verify_tool(
        tmp_path / "export", public_key, "--cosigner-key", local_witness.public_key_string()
    )

    assert result.returncode == 1
    assert f"FAILED: cosigned/{local_witness.key_id_hex()}: " in result.stderr
    assert message in result.stderr, result.stderr


def test_a_cosignature_by_a_key_the_reader_did_not_give_vouches_for_nothing(
    app_ctx, investigation, public_key, local_witness, tmp_path
):
    cosigned_export(investigation, public_key, local_witness, tmp_path / "export")
    trusted = SigningKey.generate()

    result = verify_tool(
        tmp_path / "export", public_key, "--cosigner-key", trusted.public_key_string()
    )

    assert result.returncode == 1
    assert f"the export carries no cosignature by witness key {trusted.key_id_hex()}" in (
        result.stderr
    )
