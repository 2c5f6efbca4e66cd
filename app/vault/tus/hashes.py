"""Running SHA-256 states of tus uploads, kept in this process between their PATCHes.

A PATCH that lands on the worker which served the previous one continues the hash instead of
re-reading what is stored; any other worker (or a restart) finds nothing and verifies the
stored bytes once at completion (age_stream.verify_stored).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import current_app

_HASH_CACHE_EXTENSION = "custos.tus_hashes"
_HASH_CACHE_SIZE = 1024


class _HashCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[int, Any]] = OrderedDict()

    def take(self, upload_id: str, offset: int) -> Any | None:
        with self._lock:
            entry = self._entries.pop(upload_id, None)
        if entry is None or entry[0] != offset:
            return None
        return entry[1]

    def put(self, upload_id: str, offset: int, digest: Any) -> None:
        with self._lock:
            self._entries[upload_id] = (offset, digest)
            while len(self._entries) > _HASH_CACHE_SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def hash_cache() -> _HashCache:
    cache = current_app.extensions.get(_HASH_CACHE_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_HASH_CACHE_EXTENSION, _HashCache())
    return cache
