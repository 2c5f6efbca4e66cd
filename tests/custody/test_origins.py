"""No IP address in signed ledger bodies or exports; "from where" is a keyed digest that expires.

Issue 15, deliverable 2: the address of the client that caused an entry is kept only as an
HMAC digest in custody_entry_origins (never exported), deleted after CUSTOS_CUSTODY_ORIGIN_DAYS;
entries written before this change, whose bodies name an address, are exported without body.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.custody import ledger as ledger_module
from app.custody.export import export_ledger
from app.custody.ledger import append_custody_event
from app.custody.models import EntryOrigin
from app.custody.origins import origin_digest
from app.extensions import db
from app.jobs.worker import run_maintenance
from app.timeutil import utcnow
from tests.custody.test_ledger_export import verify_tool

ADDRESS = "203.0.113.9"
LEGACY_ADDRESS = "198.51.100.4"


def test_an_exported_ledger_holds_no_ip_address(
    app, app_ctx, investigation, public_key, tmp_path, monkeypatch
):
    # An entry as releases before this one wrote it: the address inside the hashed body.
    real = ledger_module._actor_record

    def legacy(actor):
        return {**real(actor), "ip": LEGACY_ADDRESS}

    monkeypatch.setattr(ledger_module, "_actor_record", legacy)
    append_custody_event(investigation.id, "system:old", "viewed", "evidence", "ev-1", {})
    db.session.commit()
    monkeypatch.undo()
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        entry = append_custody_event(
            investigation.id, "system:test", "viewed", "evidence", "ev-1", {}
        )
        db.session.commit()
    assert ADDRESS.encode() not in entry.body
    out = tmp_path / "export"
    export_ledger(investigation, None, out)
    db.session.commit()
    for path in out.iterdir():
        data = path.read_bytes()
        assert ADDRESS.encode() not in data and LEGACY_ADDRESS.encode() not in data, path.name
        assert origin_digest(ADDRESS).encode() not in data, path.name
    result = verify_tool(out, public_key)
    assert result.returncode == 0, result.stderr  # the legacy entry is listed as withheld


def test_the_address_is_kept_as_a_keyed_digest_and_purged_after_the_configured_days(
    app, app_ctx, investigation, cli
):
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        old = append_custody_event(investigation.id, "system:test", "viewed", "evidence", "e", {})
        recent = append_custody_event(
            investigation.id, "system:test", "viewed", "evidence", "e", {}
        )
        db.session.commit()
    stored = db.session.get(EntryOrigin, recent.id)
    assert stored.digest == origin_digest(ADDRESS) and ADDRESS not in stored.digest
    days = app.config["CUSTOS_CUSTODY_ORIGIN_DAYS"]
    db.session.get(EntryOrigin, old.id).recorded_at = utcnow() - timedelta(days=days, minutes=1)
    db.session.commit()
    run_maintenance(app)  # what every worker does every few minutes
    db.session.expire_all()
    assert db.session.get(EntryOrigin, old.id) is None
    assert db.session.get(EntryOrigin, recent.id) is not None


def test_with_zero_days_no_address_is_recorded(app, app_ctx, investigation, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_ORIGIN_DAYS", 0)
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        append_custody_event(investigation.id, "system:test", "viewed", "evidence", "e", {})
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(EntryOrigin)) == 0


def test_the_purge_command_reports_what_it_removed(app_ctx, investigation, cli):
    result = cli("custody", "purge-origins")
    assert result.exit_code == 0 and result.stdout == "removed 0 client-address digest(s)\n"
