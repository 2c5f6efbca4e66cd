"""A backup restored into a new Object Lock bucket: the holds in force get the store's legal
holds back (a backup holds the blobs and the holds, not the object store's locks)."""

from __future__ import annotations

import secrets

import pytest

from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import unguarded
from app.vault.storage import blob_store
from tests.backup.conftest import fresh_install, run_cli
from tests.retention.conftest import stored_item
from tests.retention.test_object_lock import keys_of, place, release

pytestmark = pytest.mark.parametrize("store_backend", ["s3"], indirect=True)


def test_a_restore_into_a_new_bucket_puts_the_legal_holds_back(app, world, locked_bucket, tmp_path):
    place(world, "investigation")
    held = stored_item(world)
    hold = place(world, "evidence", held.id)
    release(world, hold)  # released: the investigation's hold still covers the item
    archive = tmp_path / "custos.tar"
    assert run_cli(app, "backup", "create", str(archive)).exit_code == 0

    with fresh_install(app, tmp_path, "sqlite") as restored:
        bucket = f"custos-restored-{secrets.token_hex(4)}"
        restored.config.update(
            {
                name: app.config[name]
                for name in ("CUSTOS_BLOB_BACKEND", "CUSTOS_S3_ENDPOINT_URL", "CUSTOS_S3_PREFIX")
            },
            CUSTOS_S3_BUCKET=bucket,
            CUSTOS_S3_OBJECT_LOCK=True,
        )
        restored.extensions.pop("custos.blob_store", None)
        with restored.app_context():
            store = unguarded(blob_store())
            store.client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)

        result = run_cli(restored, "backup", "restore", str(archive))

        assert result.exit_code == 0, result.output
        assert "Object Lock: legal hold set on 2 blob(s)" in result.output
        with restored.app_context():
            store = unguarded(blob_store())
            assert all(store.legal_hold(key) for key in keys_of(held))
            with pytest.raises(BlobStoreError):
                store.delete(held.blob_key)  # past Custos's own guard: the new bucket refuses
