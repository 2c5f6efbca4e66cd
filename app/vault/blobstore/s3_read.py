"""Reading a committed S3 object: ranged GETs pinned to one ETag, with a read-ahead window."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from app.vault.blobstore.base import BlobStoreError

if TYPE_CHECKING:
    from app.vault.blobstore.s3 import S3BlobStore

DEFAULT_READ_AHEAD = 8 * 1024 * 1024
# The least a reader that reads on from where it stopped fetches (or twice its read, if more);
# each further fetch doubles, up to the window. A Range request of a few chunks so fetches
# little more than it asked for.
_FIRST_READ_AHEAD = 1024 * 1024


class S3Source:
    """Random access to a committed object by ranged GETs, pinned to the ETag seen at open.

    Key rotation replaces objects in place; If-Match on every GET makes a reader that opened
    the old object fail loudly instead of mixing bytes of the old and new versions.

    A reader that reads on from where its last read ended (an age file read chunk by chunk
    by Pillow, ffprobe or a hash) gets bytes beyond what it asked for in the same GET, up to
    `read_ahead` bytes, and the reads that follow are served from them: one GET per window
    instead of one per 64 KiB chunk. A read elsewhere fetches only what it asks for. At most
    one window is held per open reader.
    """

    def __init__(
        self,
        store: S3BlobStore,
        name: str,
        size: int,
        etag: str,
        read_ahead: int = DEFAULT_READ_AHEAD,
    ) -> None:
        self._store = store
        self._name = name
        self._etag = etag
        self.size = size
        self._window = max(read_ahead, 1)
        self._lock = threading.Lock()
        self._held = b""  # the bytes of the last GET, if it fitted in the window
        self._held_at = 0
        self._next = -1  # where the previous read ended
        self._ahead = 0  # read-ahead of the next sequential fetch

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        end = min(offset + length, self.size)
        if offset >= end:
            return b""
        with self._lock:
            sequential = offset == self._next
            self._next = end
            head = self._from_held(offset, end)
            start = offset + len(head)
            if start == end:
                return head
            if sequential or head:
                grown = max(2 * self._ahead, 2 * (end - start), _FIRST_READ_AHEAD)
                self._ahead = min(self._window, grown)
            else:
                self._ahead = 0
            fetch_end = min(self.size, max(end, start + self._ahead))
            self._held = b""  # let the old window go before the next one arrives
            data = self._get(start, fetch_end)
            if len(data) <= self._window:
                self._held, self._held_at = data, start
            else:
                self._held = b""
            return head + data[: end - start]

    def _from_held(self, offset: int, end: int) -> bytes:
        """The held bytes from `offset` on (up to `end`); empty unless `offset` is held."""
        lo = offset - self._held_at
        if not 0 <= lo < len(self._held):
            return b""
        return bytes(memoryview(self._held)[lo : end - self._held_at])

    def _get(self, start: int, end: int) -> bytes:
        try:
            response = self._store.client.get_object(
                Bucket=self._store.bucket,
                Key=self._name,
                Range=f"bytes={start}-{end - 1}",
                IfMatch=self._etag,
            )
            return response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("PreconditionFailed", "412"):
                raise BlobStoreError(
                    "the blob was replaced while being read (key rotation); open it again"
                ) from None
            raise store_error(exc, "reading a blob") from None
        except BotoCoreError as exc:
            raise store_error(exc, "reading a blob") from None

    def close(self) -> None:
        self._held = b""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def store_error(exc: Exception, doing: str) -> BlobStoreError:
    # The message names the operation and S3's error code only: never a key or a credential.
    code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return BlobStoreError(f"the object store failed while {doing} ({code})")
