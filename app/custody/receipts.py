"""The ledger entries that record given objects: what a receipt cites as proof of receipt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db


def entries_for(investigation_id: str, object_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Id, number, action, time and hash of each entry about these objects, oldest first."""
    ids = [str(object_id) for object_id in object_ids]
    if not ids:
        return []
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.investigation_id == investigation_id, LedgerEntry.object_id.in_(ids))
        .order_by(LedgerEntry.seq)
    )
    return [
        {
            "id": entry.id,
            "seq": entry.seq,
            "object_id": entry.object_id,
            "action": entry.action,
            "time": entry.time,
            "entry_hash": entry.entry_hash,
        }
        for entry in entries
    ]
