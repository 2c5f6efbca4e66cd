"""RFC 3161 timestamps of signed checkpoints, from a real `openssl ts -reply` TSA on 127.0.0.1.

Tokens verify with `openssl ts -verify`; a TSA that is down, answers garbage, stamps another
hash or another nonce, or chains to a root we do not trust is recorded and retried, never
accepted; intake never waits on any of it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.custody.models import Checkpoint, CheckpointTimestamp
from app.custody.timestamps import request_due, run_round
from app.extensions import db
from app.timeutil import utcnow
from tests.helpers.tsa import OPENSSL, LocalTSA, make_pki


@pytest.fixture
def tsa(app, tmp_path, monkeypatch):
    directory = tmp_path / "tsa"
    directory.mkdir()
    with LocalTSA(directory) as server:
        monkeypatch.setitem(app.config, "CUSTOS_TSA_URLS", [server.url])
        monkeypatch.setitem(app.config, "CUSTOS_TSA_ROOTS", server.ca)
        yield server


@pytest.fixture
def ledger(app_ctx, investigation, append_entries):
    append_entries(investigation, 3)
    return investigation


def newest_checkpoint(investigation) -> Checkpoint:
    return db.session.scalar(
        select(Checkpoint)
        .where(Checkpoint.investigation_id == investigation.id)
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )


def the_row() -> CheckpointTimestamp:
    db.session.expire_all()
    (row,) = db.session.scalars(select(CheckpointTimestamp)).all()
    return row


def openssl_verify(tmp_path, data: bytes, reply: bytes, ca) -> subprocess.CompletedProcess:
    (tmp_path / "note").write_bytes(data)
    (tmp_path / "resp.tsr").write_bytes(reply)
    return subprocess.run(
        [
            OPENSSL,
            "ts",
            "-verify",
            "-data",
            str(tmp_path / "note"),
            "-in",
            str(tmp_path / "resp.tsr"),
            "-CAfile",
            str(ca),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_newest_checkpoint_gets_a_token_that_openssl_verifies(ledger, tsa, tmp_path):
    assert run_round(db.session) == (1, 0)
    row, checkpoint = the_row(), newest_checkpoint(ledger)
    assert row.checkpoint_id == checkpoint.id and row.gen_time is not None
    result = openssl_verify(tmp_path, bytes(checkpoint.note), row.token, tsa.ca)
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    # The token is over the signed note, SHA-256: another message does not verify.
    other = openssl_verify(tmp_path, bytes(checkpoint.note) + b"x", row.token, tsa.ca)
    assert other.returncode != 0
    assert run_round(db.session) == (0, 0)  # held tokens are not asked for again


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("garbage", "not a timestamp response"),
        ("other_hash", "does not verify"),
        ("wrong_nonce", "does not verify (Nonce mismatch)"),
    ],
)
def test_a_bad_reply_is_recorded_and_retried_never_accepted(ledger, tsa, mode, reason):
    tsa.mode = mode
    assert run_round(db.session) == (0, 1)
    row = the_row()
    assert row.token is None and row.attempts == 1 and reason in row.last_error
    assert row.next_attempt_at > utcnow()
    assert request_due(db.session) == (0, 0)  # backing off: not asked again at once
    tsa.mode = "ok"
    assert request_due(db.session, now=utcnow() + timedelta(minutes=5)) == (1, 0)
    db.session.commit()
    assert the_row().token is not None


def test_a_tsa_that_is_down_is_retried_with_growing_delays(app, ledger, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    monkeypatch.setitem(app.config, "CUSTOS_TSA_URLS", [f"http://127.0.0.1:{port}/tsa"])
    monkeypatch.setitem(app.config, "CUSTOS_TSA_TIMEOUT_SECONDS", 2)
    run_round(db.session)
    first = the_row()
    first_try, first_delay = first.next_attempt_at, first.next_attempt_at - utcnow()
    assert "did not answer" in first.last_error
    request_due(db.session, now=first_try)
    db.session.commit()
    second = the_row()
    assert second.attempts == 2
    assert second.next_attempt_at - first_try > first_delay


def test_a_token_from_an_untrusted_root_is_refused(app, ledger, tsa, tmp_path, monkeypatch):
    other = tmp_path / "other-pki"
    other.mkdir()
    make_pki(other)
    monkeypatch.setitem(app.config, "CUSTOS_TSA_ROOTS", other / "ca.pem")
    assert run_round(db.session) == (0, 1)
    assert "does not verify" in the_row().last_error


def test_intake_never_waits_on_a_tsa(ledger, tsa, append_entries):
    tsa.mode = "garbage"
    before = tsa.requests
    append_entries(ledger, 2)  # appends and signs; the TSA is only asked by the worker
    assert tsa.requests == before


def test_the_ledger_page_says_pending_then_shows_the_time(
    ledger, tsa, make_user, member, signed_in
):
    lawyer = make_user(role="lawyer")
    member(lawyer, ledger)
    client = signed_in(lawyer)
    page = f"/investigations/{ledger.reference}/custody"
    assert "timestamp pending" in client.get(page).get_data(as_text=True)
    run_round(db.session)
    html = client.get(page).get_data(as_text=True)
    assert "timestamp pending" not in html
    assert the_row().gen_time.strftime("%Y-%m-%d %H:%M:%S") in html


def test_an_export_carries_the_tokens_and_both_openssl_and_the_tool_verify_them(
    ledger, tsa, tmp_path, append_entries, public_key
):
    from app.custody.export import export_ledger
    from tests.custody.test_ledger_export import verify_tool

    run_round(db.session)
    append_entries(ledger, 2)  # the exported checkpoint is newer than the stamped one
    out = tmp_path / "export"
    export_ledger(ledger, None, out)
    db.session.commit()
    stamped = out / "timestamped"
    (token,) = sorted(stamped.glob("checkpoint.note.*.tsr"))
    result = openssl_verify(
        tmp_path, (stamped / "checkpoint.note").read_bytes(), token.read_bytes(), tsa.ca
    )
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    checked = verify_tool(out, public_key)
    assert checked.returncode == 0, checked.stderr
    assert "extends the checkpoint of entries 1..3" in checked.stdout


def export_now(investigation, out):
    from app.custody.export import export_ledger

    export_ledger(investigation, None, out)
    db.session.commit()
    return out


def gen_times() -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(select(CheckpointTimestamp).order_by(CheckpointTimestamp.id))
    return [f"{row.gen_time:%Y-%m-%dT%H:%M:%S.%fZ}" for row in rows]


def test_the_tool_reports_the_time_a_tsa_vouches_for_and_an_older_export_shows_older(
    ledger, tsa, tmp_path, append_entries, public_key
):
    from tests.custody.test_ledger_export import verify_tool

    run_round(db.session)
    append_entries(ledger, 2)
    older = export_now(ledger, tmp_path / "older")
    time.sleep(1.1)  # genTime has whole seconds: the second stamp must be in a later one
    append_entries(ledger, 1)
    export_now(ledger, tmp_path / "signing")  # signs a checkpoint over all 6 entries
    run_round(db.session)
    newer = export_now(ledger, tmp_path / "newer")
    first, second = gen_times()
    assert first < second

    old_result, new_result = verify_tool(older, public_key), verify_tool(newer, public_key)

    assert old_result.returncode == 0, old_result.stderr
    assert f", entries 1..3 existed by {first} per 1 RFC 3161 token(s)" in old_result.stdout
    assert new_result.returncode == 0, new_result.stderr
    assert f", entries 1..6 existed by {second} per 1 RFC 3161 token(s)" in new_result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("note lines", "timestamped/checkpoint.note does not state the timestamped checkpoint"),
        ("token for another note", "a timestamp token is for another message"),
        ("garbage token", "a timestamp token cannot be read (not RFC 3161)"),
    ],
)
def test_a_timestamp_that_does_not_fit_the_export_fails(
    ledger, tsa, tmp_path, append_entries, public_key, change, message
):
    from tests.custody.test_ledger_export import verify_tool

    run_round(db.session)
    out = export_now(ledger, tmp_path / "export")
    stamped = out / "timestamped"
    note, token = stamped / "checkpoint.note", stamped / "checkpoint.note.1.tsr"
    if change == "note lines":
        note.write_bytes(note.read_bytes().replace(b"\n3\n", b"\n4\n", 1))
    elif change == "token for another note":
        # The note's own signature line changed: the statement lines still match, the
        # stamped bytes do not.
        text = note.read_bytes()
        note.write_bytes(text[:-3] + (b"A" if text[-3:-2] != b"A" else b"B") + text[-2:])
    else:
        token.write_bytes(token.read_bytes()[:-40])

    result = verify_tool(out, public_key)

    assert result.returncode == 1
    assert message in result.stderr, result.stderr
