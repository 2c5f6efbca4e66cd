"""Blob store on S3-compatible object storage (boto3): multipart writes, ranged reads.

Object names under the configured prefix:

    blobs/<key>             committed objects (a multipart upload becomes visible only when
                            CompleteMultipartUpload succeeds: S3's own atomic commit)
    tmp/<key>/tail-<n>      the not-yet-a-full-part tail of a resumable upload at checkpoint n

Writes hold at most one 8 MiB part in memory (S3 parts must be at least 5 MiB except the last).
A failed write aborts its multipart upload; one lost with its process stays listed by
ListMultipartUploads until `blobs gc` aborts it. Reads (s3_read.py) are ranged GETs that fetch
ahead for a reader reading on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.vault.blobstore.base import (
    BlobInfo,
    BlobNotFound,
    BlobStoreError,
    is_blob_key,
    new_blob_key,
)
from app.vault.blobstore.s3_read import DEFAULT_READ_AHEAD, S3Source
from app.vault.blobstore.s3_read import error_code as _code
from app.vault.blobstore.s3_read import store_error as _store_error

PART_SIZE = 8 * 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def _to_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


class S3BlobStore:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        read_ahead: int = DEFAULT_READ_AHEAD,
        object_lock: bool = False,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.read_ahead = read_ahead
        # The bucket was created with Object Lock: legal holds exist, and a copy carries its own.
        self.object_lock = object_lock

    def object_name(self, key: str) -> str:
        if not is_blob_key(key):
            raise BlobNotFound("no such blob")
        return f"{self.prefix}blobs/{key}"

    def tmp_prefix(self, key: str) -> str:
        if not is_blob_key(key):
            raise BlobNotFound("no such blob")
        return f"{self.prefix}tmp/{key}/"

    # --- writing ---

    def begin(self) -> S3PendingBlob:
        return S3PendingBlob(self, new_blob_key())

    def begin_resumable(self) -> S3PendingBlob:
        blob = S3PendingBlob(self, new_blob_key())
        blob.start_multipart()  # listed as incomplete from now on, so gc can find it
        return blob

    def resume(self, key: str, state: str) -> S3PendingBlob:
        data = json.loads(state)
        blob = S3PendingBlob(self, key)
        blob.upload_id = data["upload_id"]
        blob.parts = [(int(n), str(etag)) for n, etag in data["parts"]]
        blob.generation = int(data["generation"])
        blob.tail_name = data.get("tail")
        tail = b""
        if blob.tail_name:
            try:
                tail = self.client.get_object(Bucket=self.bucket, Key=blob.tail_name)["Body"].read()
            except ClientError as exc:
                if _code(exc) in _NOT_FOUND:
                    raise BlobNotFound(
                        "the partial upload is gone (expired or collected)"
                    ) from None
                raise _store_error(exc, "resuming an upload") from None
        blob.buffer = bytearray(tail)
        blob.size = int(data["size"])
        if len(tail) != blob.size - len(blob.parts) * PART_SIZE:
            raise BlobStoreError("the partial upload's checkpoint is inconsistent")
        # Tails of earlier checkpoints (or of a crashed request) are garbage now.
        blob.delete_tails(keep=blob.tail_name)
        return blob

    def replace(self, key: str, chunks: Iterator[bytes]) -> None:
        """A new version of the object; under a legal hold, the new version is held too.

        The hold is asked for in the upload itself, so the new version exists only held, and
        set again once it is complete (for a store that ignores it on multipart uploads). The
        version replaced keeps its own hold until the hold is cleared (set_legal_hold).
        """
        self.head(key)
        held = self.object_lock and self.legal_hold(key)
        blob = S3PendingBlob(self, key, legal_hold=held)
        try:
            for chunk in chunks:
                blob.write(chunk)
            blob.commit()
        except BaseException:
            blob.abort_upload_only()
            raise
        if held:
            self.set_legal_hold(key, True)

    # --- reading ---

    def head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise BlobNotFound("no such blob") from None
            raise _store_error(exc, "looking up a blob") from None
        except BotoCoreError as exc:
            raise _store_error(exc, "looking up a blob") from None

    def open(self, key: str) -> S3Source:
        head = self.head(key)
        return S3Source(
            self, self.object_name(key), int(head["ContentLength"]), head["ETag"], self.read_ahead
        )

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except BlobNotFound:
            return False
        return True

    # --- housekeeping ---

    def delete(self, key: str) -> None:
        """Remove every version of the object and every delete marker, then check none is left.

        On a versioned bucket a plain DeleteObject only stacks a delete marker on top of the
        bytes, which stay readable by version id: that must never count as deleted. A version
        under S3 Object Lock (a legal hold or retention) refuses its delete; that is an error.
        """
        name = self.object_name(key)
        for version_id in self._versions_of(name):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=name, VersionId=version_id)
            except (ClientError, BotoCoreError) as exc:
                raise _store_error(exc, "deleting a blob") from None
        if self._versions_of(name):
            raise BlobStoreError("the object store kept a version of a deleted blob")

    def set_legal_hold(self, key: str, on: bool) -> None:
        """S3 Object Lock's legal hold: set on the current version, cleared on every version.

        Cleared on all of them, so the versions a key rotation replaced (each kept its hold)
        do not outlive the hold and keep the object from being deleted.
        """
        name = self.object_name(key)
        versions: list[str | None] = [None] if on else [*self._versions_of(name, markers=False)]
        try:
            for version_id in versions:
                extra = {} if version_id is None else {"VersionId": version_id}
                self.client.put_object_legal_hold(
                    Bucket=self.bucket,
                    Key=name,
                    LegalHold={"Status": "ON" if on else "OFF"},
                    **extra,
                )
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "setting a legal hold") from None

    def legal_hold(self, key: str) -> bool:
        try:
            answer = self.client.get_object_legal_hold(
                Bucket=self.bucket, Key=self.object_name(key)
            )
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND | {"NoSuchObjectLockConfiguration"}:
                return False
            raise _store_error(exc, "reading a legal hold") from None
        return answer.get("LegalHold", {}).get("Status") == "ON"

    def _versions_of(self, name: str, markers: bool = True) -> list[str]:
        """Version ids of `name`, delete markers too unless told ("null" if unversioned)."""
        found = []
        for page in self._paginate("list_object_versions", Prefix=name):
            entries = page.get("Versions", []) + (page.get("DeleteMarkers", []) if markers else [])
            for entry in entries:
                if entry["Key"] == name:
                    found.append(entry["VersionId"])
        return found

    def _paginate(self, operation: str, **kwargs: Any) -> Iterator[dict]:
        try:
            yield from self.client.get_paginator(operation).paginate(Bucket=self.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "listing blobs") from None

    def list(self) -> Iterator[BlobInfo]:
        start = f"{self.prefix}blobs/"
        for page in self._paginate("list_objects_v2", Prefix=start):
            for item in page.get("Contents", []):
                key = item["Key"][len(start) :]
                if is_blob_key(key):
                    yield BlobInfo(key, int(item["Size"]), _to_naive_utc(item["LastModified"]))

    def list_incomplete(self) -> Iterator[BlobInfo]:
        pieces: dict[str, list[tuple[int, datetime]]] = {}
        start = f"{self.prefix}blobs/"
        for page in self._paginate("list_multipart_uploads", Prefix=start):
            for upload in page.get("Uploads", []):
                key = upload["Key"][len(start) :]
                if is_blob_key(key):
                    pieces.setdefault(key, []).append((0, _to_naive_utc(upload["Initiated"])))
        tmp = f"{self.prefix}tmp/"
        for page in self._paginate("list_objects_v2", Prefix=tmp):
            for item in page.get("Contents", []):
                key = item["Key"][len(tmp) :].split("/", 1)[0]
                if is_blob_key(key):
                    moment = _to_naive_utc(item["LastModified"])
                    pieces.setdefault(key, []).append((int(item["Size"]), moment))
        for key, found in sorted(pieces.items()):
            yield BlobInfo(key, sum(size for size, _ in found), max(m for _, m in found))

    def delete_incomplete(self, key: str) -> None:
        name = self.object_name(key)
        for page in self._paginate("list_multipart_uploads", Prefix=name):
            for upload in page.get("Uploads", []):
                if upload["Key"] == name:
                    self._abort(name, upload["UploadId"])
        S3PendingBlob(self, key).delete_tails(keep=None)

    def _abort(self, name: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise _store_error(exc, "aborting an upload") from None

    def check_writable(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "checking the bucket") from None


class S3PendingBlob:
    """An object being written: buffered into 8 MiB parts, committed by completing the upload."""

    def __init__(self, store: S3BlobStore, key: str, legal_hold: bool = False) -> None:
        self.key = key
        # Object Lock's legal hold asked for in the upload that creates the object.
        self._hold = {"ObjectLockLegalHoldStatus": "ON"} if legal_hold else {}
        self.size = 0
        self.store = store
        self.name = store.object_name(key)
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[tuple[int, str]] = []
        self.generation = 0
        self.tail_name: str | None = None
        self._stale_tails: list[str] = []
        self._done = False

    @property
    def _client(self) -> Any:
        return self.store.client

    def start_multipart(self) -> None:
        try:
            response = self._client.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.name, **self._hold
            )
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "starting an upload") from None
        self.upload_id = response["UploadId"]

    def _upload_part(self, data: bytes | bytearray | memoryview) -> None:
        if self.upload_id is None:
            self.start_multipart()
        number = len(self.parts) + 1
        try:
            response = self._client.upload_part(
                Bucket=self.store.bucket,
                Key=self.name,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=bytes(data),
            )
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "uploading a part") from None
        self.parts.append((number, response["ETag"]))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise BlobStoreError("write to a finished blob")
        view = memoryview(data).cast("B")
        self.size += len(view)
        while view:
            room = PART_SIZE - len(self.buffer)
            self.buffer += view[:room]
            view = view[room:]
            if len(self.buffer) == PART_SIZE:
                self._upload_part(self.buffer)
                self.buffer = bytearray()

    def checkpoint(self) -> str:
        if self.upload_id is None:
            self.start_multipart()
        tail_name = None
        if self.buffer:
            self.generation += 1
            tail_name = f"{self.store.tmp_prefix(self.key)}tail-{self.generation}"
            try:
                self._client.put_object(
                    Bucket=self.store.bucket, Key=tail_name, Body=bytes(self.buffer)
                )
            except (ClientError, BotoCoreError) as exc:
                raise _store_error(exc, "saving upload progress") from None
        # The previous checkpoint's tail is still what the database records until the caller
        # commits this one; anything older is garbage now.
        for name in self._stale_tails:
            self._delete_object(name)
        self._stale_tails = [self.tail_name] if self.tail_name else []
        self.tail_name = tail_name
        return json.dumps(
            {
                "upload_id": self.upload_id,
                "parts": self.parts,
                "generation": self.generation,
                "tail": tail_name,
                "size": self.size,
            }
        )

    def commit(self) -> None:
        if self._done:
            raise BlobStoreError("blob already committed or aborted")
        try:
            if self.upload_id is None:
                # Small object: one PUT is atomic and cheaper than a multipart upload.
                self._client.put_object(
                    Bucket=self.store.bucket, Key=self.name, Body=bytes(self.buffer), **self._hold
                )
            else:
                if self.buffer or not self.parts:
                    self._upload_part(self.buffer)
                self._client.complete_multipart_upload(
                    Bucket=self.store.bucket,
                    Key=self.name,
                    UploadId=self.upload_id,
                    MultipartUpload={
                        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in self.parts]
                    },
                )
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "completing an upload") from None
        self.buffer = bytearray()
        self._done = True
        self.delete_tails(keep=None)

    def abort_upload_only(self) -> None:
        self.buffer = bytearray()
        self._done = True
        if self.upload_id is not None:
            self.store._abort(self.name, self.upload_id)

    def abort(self) -> None:
        self.abort_upload_only()
        self.delete_tails(keep=None)

    def close(self) -> None:
        self.buffer = bytearray()

    def delete_tails(self, keep: str | None) -> None:
        prefix = self.store.tmp_prefix(self.key)
        for page in self.store._paginate("list_objects_v2", Prefix=prefix):
            for item in page.get("Contents", []):
                if item["Key"] != keep:
                    self._delete_object(item["Key"])

    def _delete_object(self, name: str) -> None:
        try:
            self._client.delete_object(Bucket=self.store.bucket, Key=name)
        except (ClientError, BotoCoreError) as exc:
            raise _store_error(exc, "removing upload progress") from None
