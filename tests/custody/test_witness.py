"""The witness directory: checkpoints kept outside the database, compared by `custody verify`.

Issue 14, deliverable 3, on SQLite and PostgreSQL: what someone with write access to the
database (and even the signing key) does to the ledger shows against the witness; a
witness that is missing or read-only never stops intake, and says so.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
from sqlalchemy import func, select

from app.custody.checkpoints import sign_checkpoint
from app.custody.ledger import append_custody_event
from app.custody.models import Checkpoint
from app.extensions import db
from tests.custody.tamper import failure, rewrite_and_rehash, row, truncate

ENTRIES = 6


@pytest.fixture
def witness(app, tmp_path, monkeypatch):
    directory = tmp_path / "witness"
    directory.mkdir()
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_DIR", directory)
    return directory


@pytest.fixture
def ledger(app_ctx, investigation, witness, append_entries):
    append_entries(investigation, ENTRIES)
    return investigation


def witness_files(witness, investigation) -> list:
    return sorted((witness / investigation.reference).glob("*.json"))


def checkpoint_count(investigation) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Checkpoint)
        .where(Checkpoint.investigation_id == investigation.id)
    )


def test_every_signed_checkpoint_is_written_once_read_only_and_verifies_with_minisign(
    ledger, witness, public_key, tmp_path
):
    files = witness_files(witness, ledger)
    assert len(files) == checkpoint_count(ledger) == ENTRIES
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o444 for path in files)
    record = json.loads(files[-1].read_bytes())
    (tmp_path / "c.json").write_text(record["statement"])
    (tmp_path / "c.json.minisig").write_text(record["minisig"])
    result = subprocess.run(
        ["minisign", "-Vm", str(tmp_path / "c.json"), "-P", public_key],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(record["statement"])["seq"] == ENTRIES


def test_an_intact_ledger_verifies_against_its_witness(ledger, cli):
    result = cli("custody", "verify", ledger.reference)
    assert result.exit_code == 0, result.stderr


def test_deleting_the_last_entries_with_their_checkpoints_fails_verify(ledger, cli, attacker):
    truncate(attacker, ledger, 4)
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"FAILED {ledger.reference}: entries 5..6: witnessed at " in line
    assert "missing from the database (deleted with their checkpoints: truncated" in line


def test_a_history_rewritten_and_re_signed_by_the_key_holder_fails_against_the_witness(
    ledger, cli, attacker
):
    # Rewrite entry 3, rehash, delete every checkpoint and have the application sign again:
    # the database alone then verifies; the witness still holds what was signed before.
    rewrite_and_rehash(attacker, ledger, 3, "system:colleague")
    attacker("DELETE FROM custody_checkpoints WHERE investigation_id = :inv", inv=ledger.id)
    # The checkpoint command verifies against the witness first, and refuses.
    refused = failure(cli("custody", "checkpoint", ledger.reference), ledger.reference)
    assert "not what the witness recorded" in refused and "(not signed)" in refused
    # Signing anyway (the key holder's own code): the database alone would now verify...
    head = row(ledger, ENTRIES)
    sign_checkpoint(db.session, ledger.id, ENTRIES, head.entry_hash)
    db.session.commit()
    # ...but not against the witness.
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"FAILED {ledger.reference}: entry 3: not what the witness recorded at" in line


def test_a_missing_or_read_only_witness_leaves_intake_working_and_is_named(
    app, ledger, witness, cli
):
    client = app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ready"
    os.chmod(witness, 0o500)
    try:
        if os.access(witness, os.W_OK):
            pytest.skip("running as a user who writes read-only directories (root)")
        entry = append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
        db.session.commit()  # intake goes on
        assert entry.seq == ENTRIES + 1
        ready = client.get("/readyz").get_json()
        assert ready["status"] == "degraded" and ready["checks"]["custody_witness"] == "read_only"
        line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
        assert f"checkpoint(s) at entries {ENTRIES + 1}: not witnessed" in line
    finally:
        os.chmod(witness, 0o700)
    result = cli("custody", "witness")
    assert result.exit_code == 0 and "witnessed 1 checkpoint(s), 0 failed" in result.stdout
    assert cli("custody", "verify", ledger.reference).exit_code == 0
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_a_witness_that_refuses_the_write_leaves_intake_working_and_is_named(
    app, ledger, witness, cli
):
    # What a full disk or an unwritable folder does: the write fails (works as root too).
    folder = witness / ledger.reference
    parked = witness / "parked"
    folder.rename(parked)
    folder.write_text("not a directory")
    entry = append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
    db.session.commit()
    assert entry.seq == ENTRIES + 1
    ready = app.test_client().get("/readyz").get_json()
    assert ready["status"] == "degraded" and ready["checks"]["custody_witness"] == "write_failed"
    folder.unlink()
    parked.rename(folder)
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"checkpoint(s) at entries {ENTRIES + 1}: not witnessed" in line
    assert cli("custody", "witness").exit_code == 0
    assert cli("custody", "verify", ledger.reference).exit_code == 0
    assert app.test_client().get("/readyz").get_json()["status"] == "ready"


def test_a_missing_witness_directory_is_degraded_and_unwitnessed(
    app, ledger, witness, cli, monkeypatch
):
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_DIR", witness / "not-mounted")
    append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
    db.session.commit()
    ready = app.test_client().get("/readyz").get_json()
    assert ready["checks"]["custody_witness"] == "missing"
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert "entries 1..6: witnessed" not in line  # the old witness is simply not there
    assert "not witnessed" in line


def test_a_witness_record_is_never_replaced(ledger, witness):
    from app.custody.witness import WitnessConflict, write_record

    path = witness_files(witness, ledger)[0]
    record = json.loads(path.read_bytes())
    seq = json.loads(record["statement"])["seq"]
    with pytest.raises(WitnessConflict):
        write_record(witness, ledger.reference, seq, record["statement"].encode(), "forged", None)
    assert json.loads(path.read_bytes()) == record
