"""Defence in depth: the blob store itself refuses to delete a held blob, whoever asks (gc too)."""

from __future__ import annotations

import secrets

import pytest

from app.extensions import db
from app.retention import holds
from app.vault import gc
from app.vault.delete_guard import DeletionRefused
from app.vault.storage import blob_store
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with
from tests.retention.test_disposition import destroy, hold_on


def test_deleting_a_held_original_or_derivative_is_refused_by_the_store(app, world):
    item = stored_item(world)
    hold_on(world, item)
    for key in (item.blob_key, item.derivatives[0].blob_key):
        with pytest.raises(DeletionRefused, match="ICC-01/22-7"):
            blob_store().delete(key)
        assert blob_store().exists(key)


def test_a_case_file_hold_reaches_the_blob_through_the_case_file(app, world):
    item = stored_item(world)
    casefile_with(world, "CF-T-002", item)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("casefile", "CF-T-002", "OTP", "R-2", "Trial")
    )
    db.session.commit()
    with pytest.raises(DeletionRefused):
        blob_store().delete(item.blob_key)


def test_gc_leaves_a_held_blob_even_if_it_believed_it_unreferenced(app, world, monkeypatch):
    item = stored_item(world)
    hold_on(world, item)
    # Simulate the bug defence in depth is for: gc reading no references at all.
    monkeypatch.setattr(gc, "referenced_keys", lambda columns: set())
    orphan = blob_store().begin()
    orphan.write(secrets.token_bytes(16))
    orphan.commit()

    result = gc.collect_garbage(older_than=gc.timedelta(0))
    assert item.blob_key in {key for key, _ in result.kept}
    assert blob_store().exists(item.blob_key)
    assert blob_store().exists(item.derivatives[0].blob_key)
    assert not blob_store().exists(orphan.key)  # an unheld orphan still goes


def test_blobs_gc_command_says_which_held_blobs_it_kept(app, world, monkeypatch):
    item = stored_item(world)
    hold_on(world, item)
    monkeypatch.setattr(gc, "referenced_keys", lambda columns: set())
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"kept blob: {item.blob_key} (A legal hold keeps this blob" in result.output
    assert blob_store().exists(item.blob_key)


@pytest.mark.parametrize("store_backend", ["s3"], indirect=True)
def test_destruction_on_a_versioned_bucket_leaves_no_version_and_no_marker(app, world, monkeypatch):
    store = blob_store()
    bucket = f"custos-{secrets.token_hex(4)}"
    store.client.create_bucket(Bucket=bucket)
    store.client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setitem(app.config, "CUSTOS_S3_BUCKET", bucket)
    app.extensions.pop("custos.blob_store", None)
    item = stored_item(world)
    names = [blob_store().object_name(key) for key in (item.blob_key, item.derivatives[0].blob_key)]

    destroy(world, item)
    store = blob_store()
    for name in names:
        page = store.client.list_object_versions(Bucket=bucket, Prefix=name)
        assert page.get("Versions", []) == [] and page.get("DeleteMarkers", []) == []
