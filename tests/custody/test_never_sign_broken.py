"""Never sign what does not verify: a rewritten, truncated or relabelled ledger is not re-signed.

Issue 14, deliverable 1 and its "Done when" lines, on SQLite and PostgreSQL: the attacker
writes the database directly (the append-only trigger out of the way), then the application
carries on as usual; nothing it does afterwards may vouch for the forgery.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.custody.alarms import open_alarm
from app.custody.checkpoints import sign_checkpoint
from app.custody.export import LedgerExportError, export_ledger
from app.custody.ledger import append_custody_event
from app.custody.models import Checkpoint, LedgerAlarm, LedgerEntry
from app.custody.presign import LedgerBroken
from app.extensions import db
from tests.conftest import backend
from tests.custody.tamper import failure, rewrite_and_rehash, row
from tests.helpers.web import post_form

ENTRIES = 6


@pytest.fixture
def ledger(app_ctx, investigation, append_entries):
    append_entries(investigation, ENTRIES)
    return investigation


def checkpoint_count(investigation) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Checkpoint)
        .where(Checkpoint.investigation_id == investigation.id)
    )


def append_one(investigation) -> LedgerEntry:
    """What any ordinary request does: append an entry and commit."""
    entry = append_custody_event(investigation.id, "system:test", "viewed", "evidence", "x", {})
    db.session.commit()
    return entry


def test_a_rewritten_and_rehashed_entry_is_not_signed_by_the_next_append(ledger, cli, attacker):
    rewrite_and_rehash(attacker, ledger, 3, "system:colleague")
    before = checkpoint_count(ledger)
    appended = append_one(ledger)
    assert appended.seq == ENTRIES + 1  # the record of what happened is kept...
    assert checkpoint_count(ledger) == before  # ...but no signature vouches for the forgery
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"FAILED {ledger.reference}: entry 3:" in line
    assert "rewritten" in line


def test_the_break_raises_one_alarm_and_an_audit_event(ledger, attacker):
    rewrite_and_rehash(attacker, ledger, 2, "system:colleague")
    append_one(ledger)
    append_one(ledger)
    alarms = db.session.scalars(
        select(LedgerAlarm).where(LedgerAlarm.investigation_id == ledger.id)
    ).all()
    assert len(alarms) == 1  # once while unacknowledged, not once per request
    assert alarms[0].bad_seq == ENTRIES
    assert "not the entry the last checkpoint signed" in alarms[0].problem
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.event == "custody.ledger_broken")
    ).all()
    assert [event.target_id for event in events] == [ledger.id]


def test_export_and_the_checkpoint_command_refuse_to_sign_a_rewritten_ledger(
    ledger, cli, attacker, tmp_path
):
    rewrite_and_rehash(attacker, ledger, 4, "system:colleague")
    before = checkpoint_count(ledger)
    result = cli("custody", "checkpoint", ledger.reference)
    assert "(not signed)" in failure(result, ledger.reference)
    with pytest.raises(LedgerExportError, match="found broken"):
        export_ledger(ledger, None, tmp_path / "out")
    assert checkpoint_count(ledger) == before
    assert not (tmp_path / "out" / "checkpoint.json").exists()


def test_exports_stay_blocked_until_an_admin_acknowledges_and_still_nothing_is_signed(
    ledger, attacker, tmp_path, make_user, member, signed_in
):
    rewrite_and_rehash(attacker, ledger, 4, "system:colleague")
    append_one(ledger)
    with pytest.raises(LedgerExportError, match="until an admin acknowledges"):
        export_ledger(ledger, None, tmp_path / "a")
    admin = make_user(role="admin")
    member(admin, ledger)
    client = signed_in(admin)
    page = f"/investigations/{ledger.reference}/custody"
    response = post_form(
        client, f"{page}/acknowledge", {"note": "restoring yesterday's backup"}, page=page
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert open_alarm(db.session, ledger.id) is None
    acknowledged = db.session.scalar(select(LedgerAlarm))
    assert (acknowledged.acknowledged_by_id, acknowledged.note) == (
        admin.id,
        "restoring yesterday's backup",
    )
    # Looked at, not repaired: an export must still not sign the rewritten history.
    with pytest.raises(LedgerExportError, match="does not extend its last signed checkpoint"):
        export_ledger(ledger, None, tmp_path / "b")


def test_a_changed_filter_column_fails_verify_until_it_is_put_back(ledger, cli, attacker):
    attacker(
        "UPDATE custody_entries SET action = 'annotated' WHERE investigation_id = :inv AND seq = 5",
        inv=ledger.id,
    )
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert line == (
        f"FAILED {ledger.reference}: entry 5: its action, actor, object or time column differs "
        "from its signed body (filter column modified)"
    )
    attacker(
        "UPDATE custody_entries SET action = 'viewed' WHERE investigation_id = :inv AND seq = 5",
        inv=ledger.id,
    )
    assert cli("custody", "verify", ledger.reference).exit_code == 0


@pytest.mark.parametrize(
    "column, value",
    [
        ("actor_id", "system:someone-else"),
        ("object_id", "elsewhere"),
        ("object_type", "witness"),
        ("time", "2020-01-01 00:00:00.000000"),
    ],
)
def test_every_filter_column_is_checked_against_the_body(ledger, cli, attacker, column, value):
    attacker(
        f"UPDATE custody_entries SET {column} = :value WHERE investigation_id = :inv AND seq = 2",
        value=value,
        inv=ledger.id,
    )
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"{ledger.reference}: entry 2: " in line and "filter column modified" in line


def test_a_filter_column_changed_before_signing_is_refused(ledger, cli, run_sql):
    # The entry is still unsigned (no commit yet): the check before signing reads it.
    entry = append_custody_event(ledger.id, "system:test", "viewed", "evidence", "ev-new", {})
    db.session.flush()
    if backend() == "postgresql":  # in this transaction only: the rollback below restores it
        db.session.execute(
            sa.text("ALTER TABLE custody_entries DISABLE TRIGGER custody_entries_append_only")
        )
    db.session.execute(
        sa.text("UPDATE custody_entries SET object_id = 'elsewhere' WHERE id = :id"),
        {"id": entry.id},
    )
    with pytest.raises(LedgerBroken, match="filter column modified"):
        sign_checkpoint(db.session, ledger.id, entry.seq, entry.entry_hash)
    db.session.rollback()


def test_deleting_the_last_signed_entries_is_refused_before_signing(ledger, attacker):
    attacker(
        "DELETE FROM custody_entries WHERE investigation_id = :inv AND seq >= 5", inv=ledger.id
    )
    attacker(
        "UPDATE custody_heads SET seq = 4, head_hash = :head WHERE investigation_id = :inv",
        head=row(ledger, 4).entry_hash,
        inv=ledger.id,
    )
    before = checkpoint_count(ledger)
    append_one(ledger)
    assert checkpoint_count(ledger) == before
    assert "deleted or rolled back" in open_alarm(db.session, ledger.id).problem


def test_the_check_reads_only_the_entries_since_the_last_checkpoint(ledger, append_entries):
    append_entries(ledger, 40)
    lower_bounds = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM custody_entries" in statement and "seq >=" in statement:
            lower_bounds.append(parameters)

    entry = append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(lower_bounds) == 1
    params = lower_bounds[0]
    values = list(params.values()) if isinstance(params, dict) else list(params)
    assert entry.seq - 1 in values  # from the last checkpoint's entry, not from entry 1


def test_readyz_is_degraded_and_the_banner_shows_to_lawyers_while_an_alarm_is_open(
    app, ledger, attacker, make_user, member, signed_in
):
    client = app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ready"
    rewrite_and_rehash(attacker, ledger, 1, "system:colleague")
    append_one(ledger)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "blob_store": "ok", "custody": "ledger_broken"},
    }
    assert ledger.reference not in ready.get_data(as_text=True)  # a public probe names nothing
    lawyer, field = make_user(role="lawyer"), make_user(role="field")
    member(lawyer, ledger)
    member(field, ledger)
    banner = "Custody ledger broken"
    assert banner in signed_in(lawyer).get("/").get_data(as_text=True)
    assert banner not in signed_in(field).get("/").get_data(as_text=True)
    outsider = make_user(role="lawyer")
    assert banner not in signed_in(outsider).get("/").get_data(as_text=True)


def test_only_admins_acknowledge_and_a_note_is_required(
    ledger, attacker, make_user, member, signed_in
):
    rewrite_and_rehash(attacker, ledger, 1, "system:colleague")
    append_one(ledger)
    page = f"/investigations/{ledger.reference}/custody"
    lawyer = make_user(role="lawyer")
    member(lawyer, ledger)
    response = post_form(signed_in(lawyer), f"{page}/acknowledge", {"note": "seen"}, page=page)
    assert response.status_code == 403
    admin = make_user(role="admin")
    member(admin, ledger)
    response = post_form(signed_in(admin), f"{page}/acknowledge", {"note": ""}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert open_alarm(db.session, ledger.id) is not None
