"""`blobs gc`: orphans and stale partial writes go, referenced blobs and live uploads stay."""

from __future__ import annotations

import base64
import os
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.timeutil import utcnow
from app.vault.gc import collect_garbage
from app.vault.models import UploadSession
from app.vault.storage import blob_store, write_encrypted
from app.vault.tus.sessions import create_upload
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.vault_support import isolated_vault, text_bytes


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys.parent / "blobs"


@pytest.fixture
def member(app_ctx, vault):
    investigation = InvestigationFactory()
    user = UserFactory()
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


def age_files(path, seconds: int) -> None:
    """Make every file under path look `seconds` old."""
    past = time.time() - seconds
    for file in path.rglob("*"):
        if file.is_file():
            os.utime(file, (past, past))


def a_minute_later() -> datetime:
    return utcnow() + timedelta(minutes=1)


def committed_keys() -> set[str]:
    return {info.key for info in blob_store().list()}


def test_gc_removes_an_old_orphan_and_never_a_referenced_blob(app, member, vault):
    investigation, user = member
    writer = begin_intake(investigation, user, "kept.txt", None, None)
    writer.write(text_bytes(1000))
    kept = writer.finish().blob_key
    orphan = write_encrypted([b"a blob whose row never committed"]).key
    age_files(vault, 7200)

    result = app.test_cli_runner().invoke(args=["blobs", "gc"])
    assert result.exit_code == 0, result.output
    assert f"removed unreferenced blob: {orphan}" in result.output
    assert "total: 1 object(s)" in result.output
    assert committed_keys() == {kept}


def test_gc_with_older_than_zero_still_never_removes_a_referenced_blob(app, member):
    investigation, user = member
    writer = begin_intake(investigation, user, "kept.txt", None, None)
    writer.write(text_bytes(1000))
    kept = writer.finish().blob_key
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert kept in committed_keys()


def test_young_orphans_are_left_for_a_later_run(app, member):
    orphan = write_encrypted([b"just written; its row may be committing right now"]).key
    report = collect_garbage(timedelta(hours=1))
    assert report.removed == []
    assert orphan in committed_keys()


def test_gc_removes_an_abandoned_partial_write(app, member, vault):
    investigation, user = member
    writer = begin_intake(investigation, user, "killed.txt", None, None)
    writer.write(text_bytes(200_000))  # the server "dies" here: no finish(), no abort()
    assert list(blob_store().list_incomplete())
    # gc runs a minute later. Run "now", it could list the partial file while the intake's
    # writer thread was still writing its last batch, see it as younger than "now" and keep it.
    report = collect_garbage(timedelta(0), now=a_minute_later())
    assert [what for _, what, _ in report.removed] == ["incomplete write"]
    assert list(blob_store().list_incomplete()) == []
    assert list(vault.rglob("*.partial")) == []


def test_gc_keeps_the_partial_blob_of_a_live_upload_session(app, member):
    investigation, user = member
    session = create_upload(investigation, user, "slow.txt", None, 1000)
    report = collect_garbage(timedelta(0), now=a_minute_later())  # its age does not keep it
    assert report.removed == []
    assert session.spool_key in {info.key for info in blob_store().list_incomplete()}


def test_gc_removes_expired_upload_sessions_and_their_partial_blobs(app, member):
    investigation, user = member
    session = create_upload(investigation, user, "abandoned.txt", None, 1000)
    session.expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    session_id = session.id
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"removed expired upload session: {session_id}" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 0
    assert list(blob_store().list_incomplete()) == []


def test_gc_reports_sizes_and_the_total(app, member, vault):
    data = base64.b64encode(os.urandom(3000))
    write_encrypted([data])
    age_files(vault, 7200)
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "3600"])
    assert "bytes)" in result.output
    assert result.output.strip().splitlines()[-1].startswith("total: 1 object(s)")


def test_a_reserved_blob_is_kept_partial_or_committed_until_its_reservation_lapses(
    app, member, vault
):
    """A request holding blobs before any row names them (reservations.py) died: gc leaves them
    for RESERVED_FOR, then collects them and the reservations like any orphan."""
    from app.vault.models import BlobReservation
    from app.vault.reservations import RESERVED_FOR, reserve_blob

    committed = write_encrypted([b"the first file of a slow submission"]).key
    partial = blob_store().begin()
    partial.write(b"the second, still arriving when the process died")
    for key in (committed, partial.key):
        reserve_blob(key)
    age_files(vault, 7200)

    hours_later = collect_garbage(timedelta(hours=1), now=utcnow() + timedelta(hours=3))
    assert hours_later.removed == []
    assert committed in committed_keys()
    assert partial.key in {info.key for info in blob_store().list_incomplete()}

    lapsed = collect_garbage(timedelta(hours=1), now=utcnow() + RESERVED_FOR + timedelta(hours=1))
    assert sorted(key for key, _, _ in lapsed.removed) == sorted([committed, partial.key])
    assert db.session.scalar(select(func.count()).select_from(BlobReservation)) == 0


def test_a_reservation_never_commits_what_its_caller_has_pending(app, member):
    from app.vault.models import BlobReservation
    from app.vault.reservations import reserve_blob

    investigation, _ = member
    investigation.title = "a change the caller has not committed"
    with pytest.raises(RuntimeError, match="pending"):
        reserve_blob("0" * 32)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BlobReservation)) == 0
    assert investigation.title != "a change the caller has not committed"
