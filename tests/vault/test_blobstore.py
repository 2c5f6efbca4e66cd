"""The blob store contract, run against both backends: the local folder and S3 (moto, loopback)."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta

import boto3
import pytest

from app.timeutil import utcnow
from app.vault.blobstore.base import BlobNotFound, BlobStoreError
from app.vault.blobstore.local import LocalBlobStore
from app.vault.blobstore.s3 import PART_SIZE, S3BlobStore
from tests.vault.vault_support import moto_endpoint

pytestmark = pytest.mark.nodb


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=moto_endpoint(), region_name="us-east-1")
    bucket = f"custos-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(client, bucket, prefix="evidence/")


def write(store, data: bytes, piece: int = 1 << 20) -> str:
    pending = store.begin()
    for start in range(0, len(data), piece):
        pending.write(data[start : start + piece])
    pending.commit()
    return pending.key


def read_all(store, key: str) -> bytes:
    source = store.open(key)
    return source.read_at(0, source.size)


def test_nothing_is_visible_before_commit(store):
    pending = store.begin()
    pending.write(b"age-encryption.org/v1\n" + b"x" * 1000)
    assert pending.key not in {info.key for info in store.list()}
    with pytest.raises(BlobNotFound):
        store.open(pending.key)
    pending.commit()
    assert pending.key in {info.key for info in store.list()}


def test_round_trip_and_ranged_reads(store):
    data = os.urandom(3 * 1024 * 1024 + 17)
    key = write(store, data)
    source = store.open(key)
    assert source.size == len(data)
    assert source.read_at(0, 10) == data[:10]
    assert source.read_at(2_000_000, 4096) == data[2_000_000:2_004_096]
    assert source.read_at(len(data) - 5, 100) == data[-5:]  # fewer only where the source ends


def test_a_large_object_goes_up_in_parts_and_comes_back_whole(store):
    data = os.urandom(2 * PART_SIZE + 12345)
    key = write(store, data, piece=3 * 1024 * 1024)
    assert read_all(store, key) == data


def test_abort_leaves_no_object_and_no_partial(store):
    pending = store.begin()
    pending.write(os.urandom(PART_SIZE + 10))  # far enough for S3 to have started a multipart
    pending.abort()
    pending.abort()  # safe twice
    assert list(store.list()) == []
    assert list(store.list_incomplete()) == []


def test_a_write_abandoned_by_a_dead_process_is_listed_as_incomplete_and_removable(store):
    pending = store.begin()
    pending.write(os.urandom(PART_SIZE + 10))
    # The process "dies": nobody calls commit() or abort().
    incomplete = {info.key for info in store.list_incomplete()}
    assert pending.key in incomplete
    store.delete_incomplete(pending.key)
    assert pending.key not in {info.key for info in store.list_incomplete()}
    assert list(store.list()) == []


def test_replace_is_atomic_and_keeps_the_key(store):
    key = write(store, b"old" * 1000)
    store.replace(key, iter([b"new", b"-bytes" * 500]))
    assert read_all(store, key) == b"new" + b"-bytes" * 500
    assert [info.key for info in store.list()] == [key]
    assert list(store.list_incomplete()) == []


def test_replace_of_a_missing_blob_is_refused(store):
    with pytest.raises(BlobNotFound):
        store.replace("0" * 32, iter([b"x"]))


def test_delete_removes_and_tolerates_a_second_delete(store):
    key = write(store, b"abc")
    store.delete(key)
    store.delete(key)
    assert list(store.list()) == []


def test_keys_that_are_not_ours_are_never_paths(store):
    for key in ("../../etc/passwd", "ab/cd", "", "A" * 32):
        with pytest.raises(BlobNotFound):
            store.open(key)


def test_listing_reports_size_and_a_recent_time(store):
    key = write(store, b"z" * 4321)
    (info,) = list(store.list())
    assert (info.key, info.size) == (key, 4321)
    assert abs(utcnow() - info.modified) < timedelta(minutes=5)


def test_resumable_blob_survives_a_checkpoint_and_drops_what_followed_it(store):
    data = os.urandom(PART_SIZE + 3 * 1024 * 1024)
    blob = store.begin_resumable()
    blob.write(data[: PART_SIZE + 1000])
    state = blob.checkpoint()
    blob.write(b"bytes written after the checkpoint by a request that then crashed")
    blob.close()

    resumed = store.resume(blob.key, state)
    assert resumed.size == PART_SIZE + 1000
    resumed.write(data[PART_SIZE + 1000 :])
    second = resumed.checkpoint()
    resumed.close()
    again = store.resume(blob.key, second)
    again.commit()
    assert read_all(store, blob.key) == data
    assert list(store.list_incomplete()) == []


def test_resumable_blob_is_listed_as_incomplete_until_committed(store):
    blob = store.begin_resumable()
    blob.write(b"header")
    blob.checkpoint()
    blob.close()
    assert blob.key in {info.key for info in store.list_incomplete()}
    store.delete_incomplete(blob.key)
    with pytest.raises(BlobNotFound):
        store.resume(
            blob.key,
            json.dumps(
                {
                    "size": 6,
                    "upload_id": "x",
                    "parts": [],
                    "generation": 1,
                    "tail": f"{blob.key}-gone",
                }
            ),
        )


def test_check_writable_passes_on_a_working_store(store):
    store.check_writable()


def test_local_commit_puts_the_object_in_a_sharded_path(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    key = write(store, b"hello")
    assert (tmp_path / "blobs" / key[:2] / key[2:4] / key).read_bytes() == b"hello"
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


# --- Deleting on a versioned bucket: every version goes, no delete marker counts as done -------


@pytest.fixture
def versioned_s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=moto_endpoint(), region_name="us-east-1")
    bucket = f"custos-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return S3BlobStore(client, bucket, prefix="evidence/")


def versions_left(store: S3BlobStore, key: str) -> list[dict]:
    name = store.object_name(key)
    page = store.client.list_object_versions(Bucket=store.bucket, Prefix=name)
    return page.get("Versions", []) + page.get("DeleteMarkers", [])


def test_delete_on_a_versioned_bucket_removes_every_version_and_leaves_no_marker(versioned_s3):
    key = write(versioned_s3, b"first")
    versioned_s3.replace(key, iter([b"second"]))
    assert len(versions_left(versioned_s3, key)) == 2
    versioned_s3.delete(key)
    assert versions_left(versioned_s3, key) == []
    assert not versioned_s3.exists(key)


def test_a_version_under_object_lock_legal_hold_is_not_reported_deleted(versioned_s3):
    key = write(versioned_s3, b"held by a court")
    name = versioned_s3.object_name(key)
    versioned_s3.client.put_object_legal_hold(
        Bucket=versioned_s3.bucket, Key=name, LegalHold={"Status": "ON"}
    )
    with pytest.raises(BlobStoreError):
        versioned_s3.delete(key)
    assert read_all(versioned_s3, key) == b"held by a court"
    versioned_s3.client.put_object_legal_hold(
        Bucket=versioned_s3.bucket, Key=name, LegalHold={"Status": "OFF"}
    )
    versioned_s3.delete(key)
    assert versions_left(versioned_s3, key) == []
