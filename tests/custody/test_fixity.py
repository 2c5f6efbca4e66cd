"""`flask fixity check`: stored evidence re-hashed against intake, every result in the ledger."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc

import pytest
from sqlalchemy import select

from app.custody.fixity import check_object, stored_objects
from app.custody.models import FixitySweep, LedgerEntry
from app.extensions import db
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store, write_encrypted
from tests.helpers.factories import UserFactory
from tests.helpers.web import sign_in

PHOTO = bytes(range(256)) * 800  # 200 KiB: four 64 KiB age chunks, the last of 8 KiB
LAST_CHUNK_ON_DISK = 8192 + 16  # plaintext + Poly1305 tag


def store_item(investigation, data: bytes = PHOTO) -> EvidenceItem:
    """An evidence item stored the way intake stores it: encrypted blob + sha256 of plaintext."""
    blob = write_encrypted([data[i : i + 50_000] for i in range(0, len(data), 50_000)])
    item = EvidenceItem(
        investigation_id=investigation.id,
        kind="photo",
        media_type="image/jpeg",
        size=blob.size,
        sha256=blob.sha256,
        blob_key=blob.key,
        original_filename="witness-home-street.jpg",
    )
    db.session.add(item)
    db.session.commit()
    return item


def blob_path(key: str):
    return blob_store().path_for(key)


def flip_bit(key: str, offset_from_end: int = 100) -> None:
    path = blob_path(key)
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0x01
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))


def fixity_entries(investigation) -> list[LedgerEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.investigation_id == investigation.id,
                LedgerEntry.action.in_(["fixity_verified", "fixity_failed"]),
            )
            .order_by(LedgerEntry.seq)
        )
    )


def row_snapshot(item: EvidenceItem) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(EvidenceItem, item.id)
    return (fresh.sha256, fresh.size, fresh.blob_key, fresh.media_type, fresh.original_filename)


def test_intact_evidence_passes_and_each_check_is_a_ledger_entry(app_ctx, investigation, cli):
    items = [store_item(investigation), store_item(investigation, b"audio" * 1000)]
    result = cli("fixity", "check")
    assert result.exit_code == 0, result.stderr
    assert "checked 2 objects" in result.stdout and "0 failed" in result.stdout
    entries = fixity_entries(investigation)
    assert sorted(e.object_id for e in entries) == sorted(i.id for i in items)
    assert {e.action for e in entries} == {"fixity_verified"}
    details = json.loads(entries[0].body)["details"]
    assert set(details) == {"sweep", "sha256", "size"}
    assert json.loads(entries[0].body)["actor"] == {"type": "system", "id": "system:fixity"}
    assert cli("custody", "verify").exit_code == 0  # and the ledger stays signed


def test_a_flipped_bit_on_disk_is_reported_recorded_as_failed_and_the_row_is_untouched(
    app_ctx, investigation, cli
):
    good = store_item(investigation)
    bad = store_item(investigation)
    before = row_snapshot(bad)
    flip_bit(bad.blob_key, offset_from_end=LAST_CHUNK_ON_DISK + 100)  # end of the third chunk
    result = cli("fixity", "check", "--investigation", investigation.reference)
    assert result.exit_code == 1
    assert f"FAILED {investigation.reference} evidence {bad.id}: decryption failed" in (
        result.stderr
    )
    assert "1 failed" in result.stdout
    by_object = {e.object_id: e for e in fixity_entries(investigation)}
    assert by_object[good.id].action == "fixity_verified"
    failed = by_object[bad.id]
    assert failed.action == "fixity_failed"
    details = json.loads(failed.body)["details"]
    assert details["reason"] == "decryption failed at byte 131072 (PayloadError)"
    assert details["sha256"] == before[0]
    assert row_snapshot(bad) == before
    assert b"witness-home-street" not in failed.body


def test_a_flipped_bit_in_the_header_is_an_authentication_failure(app_ctx, investigation, cli):
    item = store_item(investigation)
    path = blob_path(item.blob_key)
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01  # inside the recipient stanza, covered by the header MAC
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))
    result = cli("fixity", "check")
    assert result.exit_code == 1
    assert "decryption failed (" in result.stderr


def test_a_swapped_blob_that_decrypts_is_caught_by_its_hash(app_ctx, investigation, cli):
    item = store_item(investigation)
    other = write_encrypted([PHOTO[:-1] + b"X"])  # same size, one byte different
    path = blob_path(item.blob_key)
    os.chmod(path, 0o600)
    path.write_bytes(blob_path(other.key).read_bytes())
    result = cli("fixity", "check")
    assert result.exit_code == 1
    assert f"evidence {item.id}: sha256 differs from intake" in result.stderr
    (entry,) = fixity_entries(investigation)
    assert (
        json.loads(entry.body)["details"]["actual_sha256"]
        == hashlib.sha256(PHOTO[:-1] + b"X").hexdigest()
    )


def test_a_missing_blob_fails(app_ctx, investigation, cli):
    item = store_item(investigation)
    blob_path(item.blob_key).unlink()
    result = cli("fixity", "check")
    assert result.exit_code == 1
    assert f"evidence {item.id}: blob missing from the store" in result.stderr


def test_derivatives_are_checked_too(app_ctx, investigation, cli):
    item = store_item(investigation)
    blob = write_encrypted([b"thumbnail bytes"])
    derivative = Derivative(
        evidence_id=item.id,
        investigation_id=investigation.id,
        kind="thumbnail",
        media_type="image/jpeg",
        size=blob.size,
        sha256=blob.sha256,
        blob_key=blob.key,
    )
    db.session.add(derivative)
    db.session.commit()
    flip_bit(blob.key, offset_from_end=5)
    result = cli("fixity", "check")
    assert result.exit_code == 1
    assert f"derivative {derivative.id}: decryption failed" in result.stderr
    failed = [e for e in fixity_entries(investigation) if e.action == "fixity_failed"]
    assert [(e.object_type, e.object_id) for e in failed] == [("derivative", derivative.id)]
    assert json.loads(failed[0].body)["details"]["evidence_id"] == item.id


def test_sample_checks_that_many_and_the_sweep_is_summarised(app_ctx, investigation, cli):
    for _ in range(5):
        store_item(investigation, os.urandom(1000))
    result = cli("fixity", "check", "--sample", "2")
    assert result.exit_code == 0, result.stderr
    assert len(fixity_entries(investigation)) == 2
    sweep = db.session.scalars(select(FixitySweep)).one()
    assert (sweep.scope, sweep.sample, sweep.checked, sweep.failed) == ("all", 2, 2, 0)
    assert sweep.finished_at is not None


def test_bad_arguments_are_usage_errors(app_ctx, cli):
    assert cli("fixity", "check", "--sample", "0").exit_code == 2
    unknown = cli("fixity", "check", "--investigation", "INV-0000-NONE")
    assert unknown.exit_code == 2 and "no investigation INV-0000-NONE" in unknown.stderr


def test_re_hashing_streams_in_constant_memory(app_ctx, investigation):
    item = store_item(investigation, os.urandom(16 * 1024 * 1024))
    (target,) = stored_objects(investigation.reference)
    tracemalloc.start()
    try:
        outcome = check_object(target)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.ok and outcome.bytes_read == item.size
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes for a 16 MiB file"


@pytest.fixture
def admin_client(app, app_ctx):
    admin = UserFactory(role="admin")
    client = app.test_client()
    sign_in(client, admin)
    return client


def test_admin_page_shows_the_last_sweep_with_failures_in_red(
    app_ctx, investigation, cli, admin_client
):
    item = store_item(investigation)
    flip_bit(item.blob_key, offset_from_end=LAST_CHUNK_ON_DISK + 100)
    cli("fixity", "check")
    page = admin_client.get("/admin/fixity")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 failed" in html
    assert 'class="fixity-failure"' in html
    assert item.id in html and "decryption failed" in html
