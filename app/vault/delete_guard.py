"""The blob store's last check before a delete: a registered guard may refuse it (legal holds).

Defence in depth: whatever path asks to delete a blob (`blobs gc`, a failed intake's cleanup,
key rotation, backup pruning), the store the app uses asks every registered guard first. The
vault imports no domain package; the retention package registers the check that knows holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from app.vault.blobstore.base import BlobStoreError

# A guard returns why `key` must be kept (a message naming the hold), or None to allow.
DeleteGuard = Callable[[str], str | None]
_GUARDS: list[DeleteGuard] = []


class DeletionRefused(BlobStoreError):
    """A guard refused to let a blob go; the message says which hold keeps it."""


def register_delete_guard(guard: DeleteGuard) -> DeleteGuard:
    if guard not in _GUARDS:
        _GUARDS.append(guard)
    return guard


def refusal_for(key: str) -> str | None:
    for guard in _GUARDS:
        reason = guard(key)
        if reason:
            return reason
    return None


class GuardedBlobStore:
    """The configured store, with `delete` refused for a blob any guard says must be kept."""

    def __init__(self, store: Any) -> None:
        self.inner = store

    def delete(self, key: str) -> None:
        reason = refusal_for(key)
        if reason:
            raise DeletionRefused(reason)
        self.inner.delete(key)

    def list(self) -> Iterator[Any]:
        return self.inner.list()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def unguarded(store: Any) -> Any:
    """The backend under the guard, for code that dispatches on the backend's type (restore)."""
    return store.inner if isinstance(store, GuardedBlobStore) else store
