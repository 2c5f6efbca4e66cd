"""`keys reencrypt`: every blob copied under a fresh file key, rows switched, old copy gone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.crypto.age import unwrap_file_key
from app.crypto.age.errors import HeaderMacError
from app.crypto.age.source import BytesSource
from app.custody.models import LedgerEntry
from app.extensions import db
from app.security import org_keys
from app.vault.models import EvidenceItem
from app.vault.storage import blob_store, open_plaintext
from app.vault.tus.age_stream import verify_stored
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.vault_support import decrypt_with_age_cli, isolated_vault, raw_blob, text_bytes


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


@pytest.fixture
def items(app_ctx, vault):
    """Three evidence items and their plaintexts, by item id."""
    investigation = InvestigationFactory()
    user = UserFactory()
    MembershipFactory(user=user, investigation=investigation)
    plaintexts = {}
    for n in range(3):
        data = text_bytes(150_000 + n * 7)
        writer = begin_intake(investigation, user, f"note-{n}.txt", None, None)
        writer.write(data)
        plaintexts[writer.finish().id] = data
    return plaintexts


def _file_key(blob_key: str) -> bytes:
    return unwrap_file_key(BytesSource(raw_blob(blob_key)), org_keys.org_identities())


def test_reencrypt_gives_every_item_a_new_blob_under_a_new_file_key(app, items, tmp_path):
    before = {
        item.id: (item.blob_key, _file_key(item.blob_key), raw_blob(item.blob_key))
        for item in db.session.scalars(select(EvidenceItem))
    }
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 3 blob(s)" in result.output
    db.session.expire_all()
    for item in db.session.scalars(select(EvidenceItem)):
        old_key, old_file_key, old_bytes = before[item.id]
        assert item.blob_key != old_key
        assert not blob_store().exists(old_key)
        # The old header (a backup, an object version) and its file key open nothing now.
        with pytest.raises(HeaderMacError):
            verify_stored(item.blob_key, old_file_key)
        assert _file_key(item.blob_key) != old_file_key
        plaintext = decrypt_with_age_cli(
            raw_blob(item.blob_key), org_keys.org_identities(), tmp_path
        )
        assert plaintext == items[item.id]
        assert old_bytes[-1000:] not in raw_blob(item.blob_key)


def test_each_reencryption_is_a_custody_entry_that_vouches_for_the_same_bytes(app, items):
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    entries = list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.action == "key_rotated"))
    )
    assert sorted(e.object_id for e in entries) == sorted(items)
    for entry in entries:
        item = db.session.get(EvidenceItem, entry.object_id)
        assert f'"sha256":"{item.sha256}"' in bytes(entry.body).decode()
        assert '"mode":"reencrypted"' in bytes(entry.body).decode()


def test_a_blob_that_no_longer_matches_its_hash_is_left_alone(app, items, monkeypatch):
    victim = db.session.scalars(select(EvidenceItem)).first()
    victim.sha256 = "0" * 64
    db.session.commit()
    kept_key = victim.blob_key
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code != 0
    assert "did not match their recorded SHA-256" in result.output
    db.session.expire_all()
    assert db.session.get(EvidenceItem, victim.id).blob_key == kept_key
    assert blob_store().exists(kept_key)
    keys = {info.key for info in blob_store().list()}
    assert len(keys) == 3  # two switched copies and the untouched one; no stray new blob


def test_a_crash_before_the_switch_leaves_every_row_on_its_complete_old_blob(
    app, items, monkeypatch, tmp_path
):
    from app.vault import reencryption

    before = {item.id: item.blob_key for item in db.session.scalars(select(EvidenceItem))}

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(reencryption, "append_custody_event", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        reencryption.reencrypt_all()
    db.session.rollback()
    db.session.expire_all()
    for item in db.session.scalars(select(EvidenceItem)):
        assert item.blob_key == before[item.id]
        plaintext = decrypt_with_age_cli(
            raw_blob(item.blob_key), org_keys.org_identities(), tmp_path
        )
        assert plaintext == items[item.id]
    # The one copy made before the crash is named by no row: `blobs gc` collects it.
    assert len({info.key for info in blob_store().list()} - set(before.values())) == 1


def test_an_intake_only_node_cannot_reencrypt(app, items, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code != 0
    assert "intake-only" in result.output


def test_a_store_failure_stops_the_run_with_a_message_and_a_second_run_does_the_rest(
    app, items, monkeypatch
):
    from app.vault import reencryption
    from app.vault.blobstore.base import BlobStoreError

    real_copy, calls = reencryption._copy_under_fresh_key, []

    def store_fails_on_the_second(blob_key):
        calls.append(blob_key)
        if len(calls) == 2:
            raise BlobStoreError("the object store failed while uploading a part (SlowDown)")
        return real_copy(blob_key)

    before = {item.id: item.blob_key for item in db.session.scalars(select(EvidenceItem))}
    monkeypatch.setattr(reencryption, "_copy_under_fresh_key", store_fails_on_the_second)
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "SlowDown" in result.output and "run it again" in result.output
    db.session.expire_all()
    switched = [i for i in db.session.scalars(select(EvidenceItem)) if i.blob_key != before[i.id]]
    assert len(switched) == 1

    monkeypatch.setattr(reencryption, "_copy_under_fresh_key", real_copy)
    assert app.test_cli_runner().invoke(args=["keys", "reencrypt"]).exit_code == 0
    db.session.expire_all()
    for item in db.session.scalars(select(EvidenceItem)):
        assert item.blob_key != before[item.id]
        assert b"".join(open_plaintext(item.blob_key).iter_all()) == items[item.id]


def test_a_row_that_no_longer_names_the_copied_blob_is_left_and_the_copy_removed(
    app, items, monkeypatch
):
    """Opened (a sealed file) or destroyed while its blob was being copied: the row is not
    switched to a copy of what it no longer holds, and the copy goes."""
    from sqlalchemy import update

    from app.vault import reencryption

    victim = db.session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).first()
    real_copy = reencryption._copy_under_fresh_key

    def meanwhile_the_row_moves_on(blob_key):
        copied = real_copy(blob_key)
        if blob_key == victim.blob_key:
            db.session.execute(
                update(EvidenceItem).where(EvidenceItem.id == victim.id).values(blob_key="0" * 32)
            )
        return copied

    stored_before = {info.key for info in blob_store().list()}
    monkeypatch.setattr(reencryption, "_copy_under_fresh_key", meanwhile_the_row_moves_on)
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert f"changed meanwhile, left as it was: {victim.id}" in result.output
    assert result.output.count("re-encrypted: ") == 2
    stored_after = {info.key for info in blob_store().list()}
    assert len(stored_after) == 3 and victim.blob_key in stored_after  # no stray copy
    assert len(stored_after - stored_before) == 2


def test_every_table_that_holds_an_encrypted_blob_is_reencrypted(app_ctx):
    """A new table storing blob keys (found as `blobs gc` finds them) must be registered with
    `keys reencrypt`, or named here with the reason it is not."""
    from app.vault.gc import blob_key_columns
    from app.vault.reencryption import _HOLDERS

    not_holders = {
        "upload_sessions",  # a tus upload still arriving: committed into an item, or expired
        "object_lock_pending",  # a note about a blob some item holds, not a holder
        "blob_reservations",  # a request's files until it records them (their rows hold them)
    }
    holding = {column.table.name for column in blob_key_columns()} - not_holders
    assert holding == {model.__tablename__ for model in _HOLDERS}
