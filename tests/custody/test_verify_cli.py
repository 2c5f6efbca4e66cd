"""`flask custody verify|checkpoint`: tampering by direct SQL is found and named, on both databases.

On PostgreSQL the attacker first disables the append-only trigger (as the table owner or a
superuser could): what must catch them then is the hash chain and the signed checkpoints.
"""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.crypto.canonical import canonical_json
from app.crypto.minisign import SigningKey
from app.custody.chain import body_digest, entry_hash
from app.custody.models import Checkpoint
from app.extensions import db
from tests.custody.tamper import failure, row

ENTRIES = 6


@pytest.fixture
def ledger(app_ctx, investigation, append_entries):
    append_entries(investigation, ENTRIES)
    return investigation


def forged_body(investigation, seq: int) -> bytes:
    return canonical_json(
        {
            "investigation": investigation.reference,
            "actor": {"type": "system", "id": "system:forger"},
            "action": "viewed",
            "object": {"type": "evidence", "id": f"forged-{seq}"},
            "time": "2024-05-01T10:00:00.000000Z",
            "details": {},
        }
    )


def insert_entry(run, investigation, seq: int, prev: str, body: bytes) -> str:
    digest = body_digest(body)
    this = entry_hash(seq, prev, digest)
    run(
        "INSERT INTO custody_entries (investigation_id, seq, prev_hash, body, body_sha256,"
        " entry_hash, action, object_type, object_id, actor_id, time)"
        " VALUES (:inv, :seq, :prev, :body, :digest, :hash, 'viewed', 'evidence', 'x',"
        " 'system:forger', CURRENT_TIMESTAMP)",
        inv=investigation.id,
        seq=seq,
        prev=prev,
        body=body,
        digest=digest,
        hash=this,
    )
    return this


def test_an_intact_ledger_verifies_with_one_line_per_investigation(ledger, cli, investigation):
    result = cli("custody", "verify")
    assert result.exit_code == 0, result.stderr
    line = result.stdout.strip()
    head = row(ledger, ENTRIES).entry_hash
    assert line.startswith(f"OK {ledger.reference}: entries 1..{ENTRIES} intact, head {head}")
    assert f"signed at entry {ENTRIES}" in line
    assert result.stderr == ""


def test_verify_of_one_reference_and_of_an_unknown_one(ledger, cli):
    assert cli("custody", "verify", ledger.reference.lower()).exit_code == 0
    unknown = cli("custody", "verify", "INV-0000-NONE")
    assert unknown.exit_code == 2
    assert "no investigation INV-0000-NONE" in unknown.stderr


def test_a_changed_body_field_is_named(ledger, cli, attacker):
    body = row(ledger, 3).body.replace(b"ev-0002", b"ev-9999")
    attacker("UPDATE custody_entries SET body = :b WHERE seq = 3", b=body)
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert line == f"FAILED {ledger.reference}: entry 3: body hash mismatch (modified)"


def test_a_changed_body_with_its_digest_recomputed_is_named(ledger, cli, attacker):
    body = row(ledger, 3).body.replace(b"ev-0002", b"ev-9999")
    attacker(
        "UPDATE custody_entries SET body = :b, body_sha256 = :d WHERE seq = 3",
        b=body,
        d=body_digest(body),
    )
    line = failure(cli("custody", "verify"), ledger.reference)
    assert "entry 3: entry hash mismatch (modified)" in line


def test_a_deleted_row_is_named(ledger, cli, attacker):
    attacker("DELETE FROM custody_entries WHERE seq = 4")
    line = failure(cli("custody", "verify"), ledger.reference)
    assert "entry 4: sequence gap, expected 4 got 5 (deleted)" in line


def test_deleting_the_last_row_is_caught_by_its_checkpoint(ledger, cli, attacker):
    attacker("DELETE FROM custody_entries WHERE seq = :s", s=ENTRIES)
    line = failure(cli("custody", "verify"), ledger.reference)
    assert f"checkpoint at entry {ENTRIES}: it signs entry {ENTRIES}, which is missing" in line


def test_two_swapped_rows_are_named(ledger, cli, attacker):
    attacker("UPDATE custody_entries SET seq = -2 WHERE seq = 2")
    attacker("UPDATE custody_entries SET seq = 2 WHERE seq = 3")
    attacker("UPDATE custody_entries SET seq = 3 WHERE seq = -2")
    line = failure(cli("custody", "verify"), ledger.reference)
    assert "entry 2: prev hash does not match entry 1" in line
    assert "(reordered)" in line


def test_a_forged_row_appended_with_a_correct_hash_but_no_signature_is_named(ledger, cli, attacker):
    insert_entry(attacker, ledger, ENTRIES + 1, row(ledger, ENTRIES).entry_hash, b"{}")
    line = failure(cli("custody", "verify"), ledger.reference)
    assert f"entries {ENTRIES + 1}..{ENTRIES + 1}: not covered by a signed checkpoint" in line


def test_a_forged_row_with_a_checkpoint_under_another_key_is_named(ledger, cli, attacker):
    forged = insert_entry(
        attacker, ledger, ENTRIES + 1, row(ledger, ENTRIES).entry_hash, b'{"forged":1}'
    )
    impostor = SigningKey.generate()
    statement = b'{"forged":true}'
    attacker(
        "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement,"
        " minisig, key_id) VALUES (:inv, :seq, :head, CURRENT_TIMESTAMP, :st, :sig, :kid)",
        inv=ledger.id,
        seq=ENTRIES + 1,
        head=forged,
        st=statement,
        sig=impostor.sign(statement, "forged"),
        kid=impostor.key_id_hex(),
    )
    line = failure(cli("custody", "verify"), ledger.reference)
    assert f"checkpoint at entry {ENTRIES + 1}: signed by key {impostor.key_id_hex()}" in line


def test_a_row_inserted_in_the_middle_with_every_later_hash_recomputed_is_named(
    ledger, cli, attacker
):
    # The forger keeps entries 1..2, inserts one as entry 3, renumbers and rehashes the rest:
    # a self-consistent chain that the signed checkpoints no longer match.
    kept = [row(ledger, seq) for seq in range(3, ENTRIES + 1)]
    bodies = [forged_body(ledger, 3)] + [entry.body for entry in kept]
    attacker("DELETE FROM custody_entries WHERE seq >= 3")
    prev = row(ledger, 2).entry_hash
    for seq, body in enumerate(bodies, start=3):
        prev = insert_entry(attacker, ledger, seq, prev, body)
    line = failure(cli("custody", "verify"), ledger.reference)
    assert line.startswith(f"FAILED {ledger.reference}: entry 3: not what the checkpoint")


def test_a_forged_older_checkpoint_is_found_by_default(ledger, cli, attacker):
    # Its seq and head match the chain, so only checking its signature tells it apart.
    attacker(
        "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement,"
        " minisig, key_id) SELECT c2.investigation_id, c2.seq, c2.head, c2.time, c2.statement,"
        " c1.minisig, c1.key_id FROM custody_checkpoints c2 JOIN custody_checkpoints c1"
        " ON c1.investigation_id = c2.investigation_id AND c1.seq = 1 WHERE c2.seq = 2"
    )
    assert cli("custody", "verify", "--fast").exit_code == 0  # the newest vouches for 1..6
    line = failure(cli("custody", "verify"), ledger.reference)
    assert line == (
        f"FAILED {ledger.reference}: checkpoint at entry 2: signature does not verify: "
        "forged or altered checkpoint"
    )


def test_a_checkpoint_row_disagreeing_with_its_signed_statement_is_found(ledger, cli, attacker):
    # A genuine signed statement about entry 1, filed as if it were about entry 2.
    attacker(
        "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement,"
        " minisig, key_id, root, note) SELECT investigation_id, 2, :head, time, statement,"
        " minisig, key_id, root, note"
        " FROM custody_checkpoints WHERE seq = 1",
        head=row(ledger, 2).entry_hash,
    )
    line = failure(cli("custody", "verify"), ledger.reference)
    assert "checkpoint at entry 2: the row says entry 2 but its signed statement says 1" in line


def test_every_checkpoint_statement_verifies_with_the_real_minisign(
    ledger, cli, public_key, tmp_path
):
    keys_public = cli("keys", "public")
    assert keys_public.exit_code == 0, keys_public.output
    assert public_key in keys_public.stdout
    checkpoints = db.session.scalars(
        select(Checkpoint).where(Checkpoint.investigation_id == ledger.id).order_by(Checkpoint.seq)
    ).all()
    assert [c.seq for c in checkpoints] == list(range(1, ENTRIES + 1))
    statement, signature = tmp_path / "checkpoint.json", tmp_path / "checkpoint.json.minisig"
    for checkpoint in (checkpoints[0], checkpoints[-1]):
        statement.write_bytes(checkpoint.statement)
        signature.write_text(checkpoint.minisig)
        verified = subprocess.run(
            ["minisign", "-Vm", str(statement), "-P", public_key],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr
        assert f"entries 1..{checkpoint.seq} head {checkpoint.head}" in verified.stdout
        statement.write_bytes(checkpoint.statement.replace(b'"seq":', b'"seq": '))
        assert (
            subprocess.run(
                ["minisign", "-Vm", str(statement), "-P", public_key],
                capture_output=True,
                check=False,
            ).returncode
            != 0
        )


def test_checkpoint_command_signs_the_head_now(ledger, cli):
    before = db.session.scalar(select(sa.func.count()).select_from(Checkpoint))
    result = cli("custody", "checkpoint", ledger.reference)
    assert result.exit_code == 0, result.stderr
    head = row(ledger, ENTRIES).entry_hash
    assert f"{ledger.reference}: signed entries 1..{ENTRIES}, head {head}" in result.stdout
    assert db.session.scalar(select(sa.func.count()).select_from(Checkpoint)) == before + 1


def test_checkpoint_covers_entries_written_where_no_key_was_available(ledger, cli, attacker):
    # What an intake-only node leaves behind: entries without a checkpoint over them.
    attacker("DELETE FROM custody_checkpoints WHERE seq > 4")
    assert "entries 5..6: not covered" in failure(cli("custody", "verify"), ledger.reference)
    assert cli("custody", "checkpoint").exit_code == 0
    assert cli("custody", "verify").exit_code == 0


def test_checkpoint_refuses_to_sign_a_broken_chain(ledger, cli, attacker):
    attacker("DELETE FROM custody_entries WHERE seq = 2")
    result = cli("custody", "checkpoint", ledger.reference)
    assert result.exit_code == 1
    assert "entry 2: sequence gap" in result.stderr and "(not signed)" in result.stderr
