"""The per-investigation Merkle log: signed roots, C2SP notes, inclusion and consistency proofs.

Issue 14, deliverable 2, on SQLite and PostgreSQL: every checkpoint commits to the tree
size and root (a C2SP tlog-checkpoint signed note, and the minisign-signed statement); the
shipped verifier checks inclusion proofs of exported entries and consistency between two
checkpoints, and names a rollback or a rewritten history, even one the key holder signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from app.crypto import merkle
from app.crypto.canonical import canonical_json
from app.custody.chain import tree_statement
from app.custody.checkpoints import trusted_comment
from app.custody.export import export_ledger
from app.custody.ledger import append_custody_event
from app.custody.models import Checkpoint, LedgerEntry
from app.custody.tree import NodeReader, entry_leaf, stored_leaves
from app.extensions import db
from tests.custody.tamper import failure
from tests.custody.test_ledger_export import verify_tool

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_custody.py"


def append(investigation, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        object_id = "item-a" if number % 2 == 0 else "item-b"
        append_custody_event(investigation.id, "system:test", "viewed", "evidence", object_id, {})
        db.session.commit()


def bodies(investigation) -> list[bytes]:
    return [
        bytes(body)
        for body in db.session.scalars(
            select(LedgerEntry.body)
            .where(LedgerEntry.investigation_id == investigation.id)
            .order_by(LedgerEntry.seq)
        )
    ]


def leaves_of(investigation) -> list[bytes]:
    """The leaf hashes, from each body and its secret salt (custody-format.md section 6)."""
    stored = stored_leaves(db.session, investigation.id, 10**9)
    return [entry_leaf(body, salt) for body, salt in stored]


def newest(investigation) -> Checkpoint:
    return db.session.scalar(
        select(Checkpoint)
        .where(Checkpoint.investigation_id == investigation.id)
        .order_by(Checkpoint.seq.desc(), Checkpoint.id.desc())
        .limit(1)
    )


def raw_public_key(public_key: str) -> bytes:
    return base64.b64decode(public_key)[10:]


def test_each_checkpoint_signs_the_tree_root_as_a_c2sp_signed_note(
    app, app_ctx, investigation, public_key
):
    append(investigation, 5)
    checkpoint = newest(investigation)
    expected_root = merkle.root_of(leaves_of(investigation))[1]
    assert checkpoint.root == expected_root.hex()
    # The note, checked here from https://c2sp.org/signed-note alone, not with app code.
    text, _, signature_line = bytes(checkpoint.note).rpartition(b"\n\n")
    text += b"\n"
    name = app.config["CUSTOS_CUSTODY_LOG_NAME"]
    assert text.decode().split("\n") == [
        f"{name}/custody/{investigation.reference}",
        "5",
        base64.b64encode(expected_root).decode(),
        f"custos-chain {checkpoint.head}",
        f"custos-time {json.loads(checkpoint.statement)['time']}",
        "",
    ]
    dash, signer, encoded = signature_line.decode().rstrip("\n").split(" ")
    assert (dash, signer) == ("\u2014", name)
    raw = base64.b64decode(encoded)
    key = raw_public_key(public_key)
    assert raw[:4] == hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
    Ed25519PublicKey.from_public_bytes(key).verify(raw[4:], text)  # raises if not


def test_minisign_verifies_the_statement_and_shows_the_root_in_its_comment(
    app_ctx, investigation, public_key, tmp_path
):
    append(investigation, 3)
    checkpoint = newest(investigation)
    (tmp_path / "c.json").write_bytes(checkpoint.statement)
    (tmp_path / "c.json.minisig").write_text(checkpoint.minisig)
    result = subprocess.run(
        [shutil.which("minisign"), "-Vm", str(tmp_path / "c.json"), "-P", public_key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"entries 1..3 head {checkpoint.head} root {checkpoint.root}" in result.stdout


def test_proofs_from_the_tree_store_match_a_computation_from_the_bodies(app_ctx, investigation):
    append(investigation, 23)
    leaves = leaves_of(investigation)
    nodes = NodeReader(db.session, investigation.id)
    for size in (1, 2, 7, 16, 23):
        root = merkle.root_of(leaves[:size])[1]
        assert nodes.root(size) == root
        for index in range(size):
            merkle.verify_inclusion(leaves[index], index, size, nodes.inclusion(index, size), root)
        for old in range(1, size + 1):
            old_root = merkle.root_of(leaves[:old])[1]
            merkle.verify_consistency(old, size, old_root, root, nodes.consistency(old, size))


@pytest.fixture
def export_a(app_ctx, investigation, tmp_path):
    append(investigation, 6)
    out = tmp_path / "a"
    export_ledger(investigation, {"item-a"}, out)
    db.session.commit()
    return out


def test_the_tool_checks_each_disclosed_entry_against_the_signed_root(export_a, public_key):
    result = verify_tool(export_a, public_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("3 inclusion proofs verified")


def test_a_wrong_inclusion_proof_or_none_at_all_is_rejected(export_a, public_key):
    proofs_file = export_a / "custody-proofs.json"
    proofs = json.loads(proofs_file.read_text())
    proofs["inclusion"]["3"][0] = "00" * 32
    proofs_file.write_text(json.dumps(proofs))
    result = verify_tool(export_a, public_key)
    assert result.returncode == 1
    assert "entry 3: its body is not in the signed Merkle tree" in result.stderr
    proofs_file.unlink()
    result = verify_tool(export_a, public_key)
    assert result.returncode == 1 and "custody-proofs.json" in result.stderr


def consistency(cli, reference: str, old: int, new: int | None = None) -> dict:
    args = ["custody", "consistency", reference, str(old)] + ([str(new)] if new else [])
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_later_export_is_proved_to_extend_an_earlier_one(
    export_a, investigation, public_key, cli, tmp_path
):
    append(investigation, 5, start=6)
    later = tmp_path / "b"
    export_ledger(investigation, {"item-a"}, later)
    db.session.commit()
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(consistency(cli, investigation.reference, 6)))
    result = verify_tool(
        later, public_key, "--since", export_a / "checkpoint.json", "--consistency", proof
    )
    assert result.returncode == 0, result.stderr
    assert "extends the checkpoint of entries 1..6" in result.stdout
    # The other way round: the "newer" export is the older, shorter one.
    result = verify_tool(
        export_a, public_key, "--since", later / "checkpoint.json", "--consistency", proof
    )
    assert result.returncode == 1
    assert "fewer than the older one's 1..11 (rolled back or truncated)" in result.stderr


def test_a_history_the_key_holder_rewrote_and_signed_is_caught_by_consistency(
    export_a, investigation, public_key, tmp_path
):
    # The organisation itself (it holds the key) rewrites entry 2, rebuilds the tree and
    # signs the result: the consistency proof with the older export cannot hold.
    from app.security import org_keys

    data = bodies(investigation)
    parsed = json.loads(data[1])
    parsed["actor"]["id"] = "system:someone-else"
    data[1] = canonical_json(parsed)
    data.append(data[0])
    leaves = [merkle.leaf_hash(body) for body in data]
    root = merkle.root_of(leaves)[1]
    key = org_keys.signing_key()
    forged = tmp_path / "forged"
    shutil.copytree(export_a, forged)
    head = "ab" * 32
    time = "2026-12-05T12:00:00.000000Z"
    statement = tree_statement(investigation.reference, 7, head, root.hex(), time)
    (forged / "checkpoint.json").write_bytes(statement)
    (forged / "checkpoint.json.minisig").write_text(
        key.sign(statement, trusted_comment(investigation.reference, 7, head, time, root))
    )

    def subtree(start: int, end: int) -> bytes:
        return merkle.root_of(leaves[start:end])[1]

    proof = tmp_path / "proof.json"
    proof.write_text(
        json.dumps(
            {
                "old_size": 6,
                "new_size": 7,
                "proof": [node.hex() for node in merkle.consistency_proof(6, 7, subtree)],
            }
        )
    )
    from tools import verify_custody  # the shipped module, as the tool runs it

    older = json.loads((export_a / "checkpoint.json").read_bytes())
    with pytest.raises(verify_custody.VerificationError, match="rewritten, deleted, inserted"):
        verify_custody.verify_consistency_file(
            json.loads(statement), older, json.loads(proof.read_text())
        )


def test_verify_names_a_checkpoint_whose_signed_root_is_not_the_tree(
    app_ctx, investigation, cli, attacker
):
    append(investigation, 4)
    from app.security import org_keys

    key = org_keys.signing_key()
    checkpoint = newest(investigation)
    wrong = "cd" * 32
    time = "2026-12-05T12:00:00.000000Z"
    statement = tree_statement(investigation.reference, 4, checkpoint.head, wrong, time)
    from app.crypto.note import checkpoint_body, sign_note

    name = "forger.example"
    body = checkpoint_body(
        f"{name}/custody/{investigation.reference}", 4, bytes.fromhex(wrong), checkpoint.head, time
    )
    attacker(
        "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement, minisig,"
        " key_id, root, note) VALUES (:inv, 4, :head, CURRENT_TIMESTAMP, :st, :sig, :kid, :root,"
        " :note)",
        inv=investigation.id,
        head=checkpoint.head,
        st=statement,
        sig=key.sign(
            statement,
            trusted_comment(
                investigation.reference, 4, checkpoint.head, time, bytes.fromhex(wrong)
            ),
        ),
        kid=key.key_id_hex(),
        root=wrong,
        note=sign_note(body, name, key.public_key_bytes(), key.sign_raw),
    )
    line = failure(cli("custody", "verify", investigation.reference), investigation.reference)
    assert "the Merkle root it signs is not the root of entries 1..4" in line


def test_a_leaf_salt_changed_in_sql_fails_verify_at_the_signed_root(
    app_ctx, investigation, attacker, cli
):
    # The salt is secret but not evidence-free: the signed root commits to it, so whoever
    # swaps it (to make a guessed body "confirm", say) breaks the tree, not the chain.
    append(investigation, 4)
    attacker(
        "UPDATE custody_entries SET leaf_salt = :salt WHERE investigation_id = :inv AND seq = 2",
        salt=b"\xee" * 32,
        inv=investigation.id,
    )
    line = failure(cli("custody", "verify", investigation.reference), investigation.reference)
    assert "checkpoint at entry 2: the Merkle root it signs is not the root of entries 1..2" in line
