"""Key rotation and re-encryption of held items on S3 with Object Lock (moto enforces it): the
lock moves with the copy, and a release still lets the item be destroyed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import unguarded
from app.vault.gc import collect_garbage
from app.vault.reencryption import reencrypt_all
from app.vault.rotation import rotate_keys
from app.vault.storage import blob_store, open_plaintext
from tests.retention.conftest import stored_item
from tests.retention.test_disposition import destroy
from tests.retention.test_object_lock import keys_of, place, release

pytestmark = pytest.mark.parametrize("store_backend", ["s3"], indirect=True)


def plaintexts(keys: list[str]) -> list[bytes]:
    return [b"".join(open_plaintext(key).iter_all()) for key in keys]


def versions_left(bucket: str, key: str) -> list:
    store = unguarded(blob_store())
    page = store.client.list_object_versions(Bucket=bucket, Prefix=store.object_name(key))
    return page.get("Versions", []) + page.get("DeleteMarkers", [])


def test_reencrypting_a_held_item_locks_its_new_copies_and_removes_the_old(
    app, world, locked_bucket
):
    hold = place(world, "investigation")
    item = stored_item(world)
    old_keys, before = keys_of(item), plaintexts(keys_of(item))

    report = reencrypt_all()

    assert report.reencrypted == 2 and report.failed == []
    db.session.expire_all()
    new_keys = keys_of(item)
    assert set(new_keys).isdisjoint(old_keys)
    assert plaintexts(new_keys) == before
    store = unguarded(blob_store())
    assert all(store.legal_hold(key) for key in new_keys)
    assert all(versions_left(locked_bucket, key) == [] for key in old_keys)

    release(world, hold)  # and, once two people release the hold, it can be destroyed
    destroy(world, item)
    assert all(versions_left(locked_bucket, key) == [] for key in new_keys)


def test_rotating_the_key_of_a_held_item_keeps_its_current_version_locked(
    app, world, locked_bucket
):
    hold = place(world, "investigation")
    item = stored_item(world)
    keys, before = keys_of(item), plaintexts(keys_of(item))

    rotate_keys()

    store = unguarded(blob_store())
    assert all(store.legal_hold(key) for key in keys)  # the rewrapped version, now current
    assert plaintexts(keys) == before
    release(world, hold)
    destroy(world, item)  # every version goes, the one from before the rotation too
    assert all(versions_left(locked_bucket, key) == [] for key in keys)


def test_gc_names_a_blob_the_object_store_refuses_to_delete_goes_on_and_fails(
    app, world, locked_bucket
):
    store = unguarded(blob_store())
    locked, orphan = blob_store().begin(), blob_store().begin()
    for pending in (locked, orphan):
        pending.write(b"a blob no row references")
        pending.commit()
    store.set_legal_hold(locked.key, True)

    report = collect_garbage(timedelta(0), now=utcnow() + timedelta(minutes=1))

    assert [key for key, _, _ in report.removed] == [orphan.key]
    assert [key for key, _ in report.refused] == [locked.key]
    assert store.exists(locked.key)
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 1, result.output  # not a hold Custos knows of: a cron job says so
    assert f"kept blob: {locked.key} (the object store refused to delete it: " in result.output
    assert "total: 0 object(s)" in result.output  # everything else was still looked at
    assert "refused to delete 1 unreferenced blob(s)" in result.output


def test_a_rotated_version_is_created_held_even_if_setting_the_hold_afterwards_fails(
    app, world, locked_bucket, monkeypatch
):
    place(world, "investigation")
    item = stored_item(world)
    store = unguarded(blob_store())
    real_set = type(store).set_legal_hold

    def refused_once_written(self, key, on):
        if on:
            raise BlobStoreError("the object store failed while setting a legal hold (SlowDown)")
        return real_set(self, key, on)

    monkeypatch.setattr(type(store), "set_legal_hold", refused_once_written)
    with pytest.raises(BlobStoreError, match="SlowDown"):
        rotate_keys()
    rotated = [key for key in keys_of(item) if len(versions_left(locked_bucket, key)) == 2]
    assert rotated and all(store.legal_hold(key) for key in rotated)


def test_a_new_copy_the_store_will_not_hold_is_never_named_by_the_item(
    app, world, locked_bucket, monkeypatch
):
    """The hold is put on the new copy before the item names it: if the store refuses it, the
    item stays on its held old copy and the unheld new copy is gone."""
    place(world, "investigation")
    item = stored_item(world)
    old_keys = keys_of(item)
    store = unguarded(blob_store())
    real_set = type(store).set_legal_hold

    def refuse_new_holds(self, key, on):
        if on and key not in old_keys:
            raise BlobStoreError("the object store failed while setting a legal hold (SlowDown)")
        return real_set(self, key, on)

    monkeypatch.setattr(type(store), "set_legal_hold", refuse_new_holds)
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])

    assert result.exit_code == 1 and "SlowDown" in result.output
    db.session.expire_all()
    assert keys_of(item) == old_keys
    assert all(store.legal_hold(key) for key in old_keys)
    stored = {store.object_name(key) for key in old_keys}
    listed = store.client.list_object_versions(Bucket=locked_bucket, Prefix=store.prefix)
    assert {v["Key"] for v in listed.get("Versions", [])} == stored  # no stray copy


def test_a_lock_still_waiting_is_set_on_the_copies_keys_reencrypt_makes(
    app, world, locked_bucket, monkeypatch
):
    """The store refused the hold when it was placed (noted as waiting): there is no lock in
    the store to carry, and the new copies still get one, from the holds in force."""
    item = stored_item(world)
    store = unguarded(blob_store())
    real_set = type(store).set_legal_hold

    def unreachable(self, key, on):
        raise BlobStoreError("the object store failed while setting a legal hold (timeout)")

    monkeypatch.setattr(type(store), "set_legal_hold", unreachable)
    place(world, "investigation")
    monkeypatch.setattr(type(store), "set_legal_hold", real_set)
    assert not any(store.legal_hold(key) for key in keys_of(item))

    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])

    assert result.exit_code == 0, result.output
    assert "Object Lock: legal hold set on 2 blob(s)" in result.output
    db.session.expire_all()
    assert all(store.legal_hold(key) for key in keys_of(item))


def test_a_lock_still_waiting_is_set_after_keys_rotate_too(app, world, locked_bucket, monkeypatch):
    item = stored_item(world)
    store = unguarded(blob_store())
    real_set = type(store).set_legal_hold

    def unreachable(self, key, on):
        raise BlobStoreError("the object store failed while setting a legal hold (timeout)")

    monkeypatch.setattr(type(store), "set_legal_hold", unreachable)
    place(world, "investigation")
    monkeypatch.setattr(type(store), "set_legal_hold", real_set)
    assert not any(store.legal_hold(key) for key in keys_of(item))

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])

    assert result.exit_code == 0, result.output
    assert "Object Lock: legal hold set on 2 blob(s)" in result.output
    assert all(store.legal_hold(key) for key in keys_of(item))
