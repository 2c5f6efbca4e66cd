"""Cosigning by a second Custos instance: it vouches only for a history that extends the last
one it cosigned, with its own key, and `custody verify` checks what it vouched for.

The witness is a real second instance (its own database, master key and organisation keys)
run as `flask --app wsgi custody cosign` in its own process; the log is the test app.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.crypto import merkle
from app.crypto.canonical import canonical_json
from app.crypto.minisign import SigningKey
from app.custody.chain import tree_statement
from app.custody.checkpoints import trusted_comment
from app.custody.cosign_format import REQUEST_TYPE
from app.custody.cosign_log import cosign_request, store_cosignature
from app.custody.ledger import append_custody_event
from app.custody.models import LedgerEntry
from app.custody.tree import entry_leaf
from app.custody.verify import verify_ledgers
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CUSTOS_", "DATABASE_URL", "TEST_DATABASE_URL"))
    }
    env.update(
        CUSTOS_ENV="testing",
        CUSTOS_INSTANCE_PATH=str(home),
        DATABASE_URL=f"sqlite:///{home / 'witness.db'}",
        CUSTOS_KEYS_DIR=str(home / "keys"),
        CUSTOS_BLOB_DIR=str(home / "blobs"),
        CUSTOS_MASTER_KEY_FILE=str(home / "master.key"),
    )
    return env


def _flask(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def witness_template(tmp_path_factory) -> tuple[Path, str]:
    """A second instance set up once: migrated database, its own keys; (home, public key)."""
    from app.security.master_key import generate_master_key_file

    home = tmp_path_factory.mktemp("witness")
    generate_master_key_file(home / "master.key")
    for args in (("db", "upgrade"), ("keys", "init")):
        done = _flask(home, *args)
        assert done.returncode == 0, done.stderr[-2000:]
    public = _flask(home, "keys", "public")
    (key,) = [line.split(": ", 1)[1] for line in public.stdout.splitlines() if "minisign:" in line]
    return home, key


@pytest.fixture
def witness(witness_template, tmp_path, app, monkeypatch):
    """A fresh copy of the witness instance, and the log configured to trust its key."""
    template, key = witness_template
    home = tmp_path / "witness"
    shutil.copytree(template, home)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [key])

    class Witness:
        public_key = key

        def cosign(self, request: bytes, log_key: str) -> subprocess.CompletedProcess:
            (tmp_path / "request.json").write_bytes(request)
            return _flask(
                home,
                "custody",
                "cosign",
                str(tmp_path / "request.json"),
                "--log-key",
                log_key,
                "--out",
                str(tmp_path / "checkpoint.json.cosig"),
            )

        def cosignature(self) -> str:
            return (tmp_path / "checkpoint.json.cosig").read_text()

    return Witness()


def append(investigation, count: int) -> None:
    for number in range(count):
        object_id = "item-a" if number % 2 == 0 else "item-b"
        append_custody_event(investigation.id, "system:test", "viewed", "evidence", object_id, {})
        db.session.commit()


def cosigned(witness, investigation, public_key) -> str:
    """Request, have the witness cosign, keep the answer; the cosignature text."""
    done = witness.cosign(cosign_request(investigation.reference, witness.public_key), public_key)
    assert done.returncode == 0, done.stderr[-2000:]
    store_cosignature(investigation.reference, witness.cosignature())
    return witness.cosignature()


def test_a_witness_cosigns_a_growing_ledger_and_minisign_checks_its_cosignature(
    app_ctx, investigation, public_key, witness, tmp_path
):
    append(investigation, 3)
    request = cosign_request(investigation.reference, witness.public_key)
    assert json.loads(request)["old_size"] == 0
    cosignature = cosigned(witness, investigation, public_key)
    statement = tmp_path / "checkpoint.json"
    statement.write_text(json.loads(request)["statement"])
    checked = subprocess.run(
        ["minisign", "-Vm", str(statement), "-x", str(tmp_path / "checkpoint.json.cosig")]
        + ["-P", witness.public_key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert f"custos-cosignature-v1 {investigation.reference} entries 1..3 root " in checked.stdout
    assert "cosignature from a custos witness" in cosignature
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok and verdict.line().endswith(", 1 cosignatures checked"), verdict.line()

    append(investigation, 2)
    request = json.loads(cosign_request(investigation.reference, witness.public_key))
    assert (request["old_size"], len(request["proof"]) > 0) == (3, True)
    cosigned(witness, investigation, public_key)
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok and verdict.line().endswith(", 2 cosignatures checked"), verdict.line()


def _forged_request(investigation, old_size: int) -> bytes:
    """What an operator holding the database and the log key would send after rewriting
    entry 2: a genuine signature over a tree of 4 entries that does not extend the old one."""
    from app.security import org_keys

    rows = db.session.execute(
        select(LedgerEntry.body, LedgerEntry.leaf_salt).order_by(LedgerEntry.seq)
    ).all()
    bodies = [bytes(body) for body, _salt in rows]
    parsed = json.loads(bodies[1])
    parsed["actor"]["id"] = "system:someone-else"
    bodies[1] = canonical_json(parsed)
    bodies.append(bodies[0])
    leaves = [entry_leaf(body, None) for body in bodies]
    root = merkle.root_of(leaves)[1]
    head, time = "ab" * 32, "2026-12-06T03:00:00.000000Z"
    statement = tree_statement(investigation.reference, 4, head, root.hex(), time)
    key = org_keys.signing_key()
    minisig = key.sign(statement, trusted_comment(investigation.reference, 4, head, time, root))
    proof = (
        merkle.consistency_proof(
            old_size, 4, lambda start, end: merkle.root_of(leaves[start:end])[1]
        )
        if old_size
        else []  # posing as the first request for this ledger
    )
    request = {
        "type": REQUEST_TYPE,
        "statement": statement.decode(),
        "minisig": minisig,
        "old_size": old_size,
        "proof": [node.hex() for node in proof],
    }
    return json.dumps(request).encode()


def test_the_witness_refuses_a_rewritten_rolled_back_or_foreign_history(
    app_ctx, investigation, public_key, witness
):
    append(investigation, 3)
    cosigned(witness, investigation, public_key)

    refusals = [
        (_forged_request(investigation, 3), public_key, "entries 1..3 are not what was cosigned"),
        (_forged_request(investigation, 0), public_key, "the last cosigned head is at entry 3"),
        (
            _forged_request(investigation, 3),
            SigningKey.generate().public_key_string(),
            "does not verify under the log's key",
        ),
    ]
    for request, log_key, message in refusals:
        done = witness.cosign(request, log_key)
        assert done.returncode == 1
        assert message in done.stderr, done.stderr[-2000:]

    # A genuine older checkpoint (entries 1..2) is a rollback for the witness.
    older = json.loads(cosign_request(investigation.reference, witness.public_key))
    from app.custody.models import Checkpoint

    second = db.session.scalar(
        select(Checkpoint).where(Checkpoint.seq == 2, Checkpoint.root.is_not(None)).limit(1)
    )
    older.update(statement=bytes(second.statement).decode(), minisig=second.minisig)
    older.update(old_size=3, proof=[])
    done = witness.cosign(json.dumps(older).encode(), public_key)
    assert done.returncode == 1
    assert "fewer than the 1..3 cosigned before (rolled back or truncated)" in done.stderr

    # The refusals changed nothing: the honest continuation is still cosigned.
    append(investigation, 1)
    cosigned(witness, investigation, public_key)


def test_verify_fails_when_the_ledger_lost_entries_a_witness_cosigned(
    app_ctx, investigation, public_key, witness, attacker
):
    append(investigation, 4)
    cosigned(witness, investigation, public_key)
    for table in ("custody_tree_nodes", "custody_checkpoints", "custody_entries"):
        column = "idx" if table == "custody_tree_nodes" else "seq"
        bound = 1 if table == "custody_tree_nodes" else 3
        attacker(
            f"DELETE FROM {table} WHERE investigation_id = :inv AND {column} >= :bound",
            inv=investigation.id,
            bound=bound,
        )
    attacker("UPDATE custody_heads SET seq = 2 WHERE investigation_id = :inv", inv=investigation.id)
    (verdict,) = verify_ledgers(investigation.reference)
    assert not verdict.ok
    assert "the ledger ends at entry 2, the witness saw it reach 4" in verdict.problem


def test_a_cosignature_is_kept_only_from_a_configured_witness(
    app_ctx, investigation, public_key, witness, app, monkeypatch
):
    append(investigation, 2)
    done = witness.cosign(cosign_request(investigation.reference, witness.public_key), public_key)
    assert done.returncode == 0, done.stderr[-2000:]
    monkeypatch.setitem(
        app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [SigningKey.generate().public_key_string()]
    )
    with pytest.raises(ValueError, match="not a configured cosigner"):
        store_cosignature(investigation.reference, witness.cosignature())
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [])
    with pytest.raises(ValueError, match="no witness is trusted"):
        store_cosignature(investigation.reference, witness.cosignature())


def test_a_cosignature_never_passes_for_a_checkpoint_nor_the_reverse(app_ctx, investigation):
    from app.custody.cosign_log import cosignature_problem
    from app.custody.models import Checkpoint
    from tools import verify_custody

    append(investigation, 2)
    checkpoint = db.session.scalar(
        select(Checkpoint).order_by(Checkpoint.seq.desc(), Checkpoint.id.desc()).limit(1)
    )
    statement = bytes(checkpoint.statement)
    from app.custody.cosign_format import cosignature_comment

    witness_key = SigningKey.generate()
    signed = json.loads(statement)
    cosig = witness_key.sign(
        statement, cosignature_comment(signed, "ABC", "2026-12-06T03:00:00.000000Z"), "x"
    )
    assert (
        cosignature_problem(
            statement, cosig, {witness_key.key_id_hex(): witness_key.public_key_string()}
        )
        is None
    )
    with pytest.raises(verify_custody.VerificationError, match="trusted comment"):
        verify_custody.verify_signed_statement(
            statement, cosig.encode(), witness_key.public_key_string()
        )
    from app.security import org_keys

    ours = org_keys.minisign_public_key()
    keys = {org_keys.signing_key().key_id_hex(): ours}
    assert "trusted comment does not say" in cosignature_problem(
        statement, checkpoint.minisig, keys
    )
