"""The bytes stored per sealed field of a row, kept in a column an intake node may read back.

A node holding only the organisation's public key writes sealed values blind, and its database
role may not SELECT them (app/security/intake_role.py), not even their length. Its receipts
("transcript: sealed, 1,204 bytes stored") are built instead from what the flush that sealed
the values wrote here: field name to sealed size, a field absent when it holds no value. The
sizes are metadata, no more than the length of the sealed column, which anyone holding the
database could measure anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column


class SealedSizesMixin:
    """A model whose receipts name its sealed fields and the bytes each one stores."""

    sealed_sizes: Mapped[dict[str, int] | None] = mapped_column(JSON)


def record_sealed_sizes(obj: Any, written: dict[str, int | None]) -> None:
    """Merge what one flush sealed (a size) or cleared (None) into the row's sizes."""
    if not written or not isinstance(obj, SealedSizesMixin):
        return
    sizes = dict(obj.sealed_sizes or {})
    for field, size in written.items():
        if size is None:
            sizes.pop(field, None)
        else:
            sizes[field] = size
    # A new dict, so the ORM sees the change (a JSON column does not track mutation).
    obj.sealed_sizes = dict(sorted(sizes.items()))


def stored_sizes(obj: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each named sealed field: recorded or not, and the bytes stored (the sealed size)."""
    return sizes_of(obj.sealed_sizes if isinstance(obj, SealedSizesMixin) else None, names)


def sizes_of(recorded: dict[str, int] | None, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The same from a row's `sealed_sizes` value read on its own (a key-only list)."""
    sizes = recorded or {}
    return [
        {"field": name, "recorded": name in sizes, "stored_bytes": int(sizes.get(name, 0))}
        for name in names
    ]
