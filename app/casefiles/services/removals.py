"""Removing an item from a case file, and undoing that removal within the undo window.

Removal deletes the item with its element links, grades, notes and corroborations, and keeps
them in an encrypted snapshot (models/removals.py) until CUSTOS_CASEFILE_UNDO_HOURS pass. Undo
puts every row back under its own id, so the custody entries that name those rows still point
at them. Both steps are ledger entries against the item; the worker's maintenance round deletes
snapshots whose window has ended.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select

from app.casefiles.models import (
    Annotation,
    Assessment,
    CaseFile,
    CaseItem,
    Corroboration,
    ElementLink,
    RemovedCaseItem,
)
from app.casefiles.services.casefiles import record_item_event, require_draft
from app.casefiles.services.errors import CaseFileConflict, CaseFileError, CaseFileNotFound
from app.casefiles.services.items import fetch_item
from app.extensions import db
from app.investigations.models import Investigation
from app.timeutil import utcnow

# Each kind of row a removal takes with it: the model and the columns kept in the snapshot.
KEPT = {
    "links": (ElementLink, ("id", "element_id", "stance", "note", "created_by_id", "created_at")),
    "assessments": (
        Assessment,
        ("id", "reliability", "credibility", "rationale", "assessed_by_id", "assessed_at"),
    ),
    "annotations": (Annotation, ("id", "body", "author_id", "created_at")),
    "corroborations": (
        Corroboration,
        ("id", "from_item_id", "to_item_id", "note", "created_by_id", "created_at"),
    ),
}


def _encode(value: Any) -> Any:
    return {"$datetime": value.isoformat()} if isinstance(value, datetime) else value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    return value


def _rows_of(case_item: CaseItem) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    for kind, (model, _columns) in KEPT.items():
        if model is Corroboration:
            where = or_(model.from_item_id == case_item.id, model.to_item_id == case_item.id)
        else:
            where = model.case_item_id == case_item.id
        rows[kind] = list(db.session.scalars(select(model).where(where)))
    return rows


def _snapshot(case_item: CaseItem, rows: dict[str, list[Any]]) -> tuple[str, dict[str, int]]:
    """The JSON snapshot of the item and the rows that go with it, and how many of each kind."""
    data = {
        "position": case_item.position,
        "added_by_id": case_item.added_by_id,
        "added_at": _encode(case_item.added_at),
        **{
            kind: [{c: _encode(getattr(row, c)) for c in KEPT[kind][1]} for row in rows[kind]]
            for kind in KEPT
        },
    }
    return json.dumps(data), {kind: len(found) for kind, found in rows.items()}


def what_goes_with(case_item: CaseItem) -> dict[str, int]:
    """How many links, grades, notes and corroborations a removal would take with it."""
    return {kind: len(found) for kind, found in _rows_of(case_item).items()}


def undo_window() -> timedelta:
    return timedelta(hours=current_app.config["CUSTOS_CASEFILE_UNDO_HOURS"])


def remove_item(casefile: CaseFile, user: Any, case_item: CaseItem) -> RemovedCaseItem:
    """Remove the item from the draft case file, keeping what can be undone."""
    require_draft(casefile)
    rows = _rows_of(case_item)
    snapshot, counts = _snapshot(case_item, rows)
    now = utcnow()
    removal = RemovedCaseItem(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        case_item_id=case_item.id,
        item_type=case_item.item_type,
        item_id=case_item.item_id,
        snapshot=snapshot,
        removed_by_id=user.id,
        removed_at=now,
        restorable_until=now + undo_window(),
    )
    record_item_event(
        case_item,
        user,
        "linked_to_case",
        {"op": "item_removed", "removal_id": removal.id, **counts},
    )
    # Deleted here, not left to ON DELETE CASCADE, which SQLite applies only when asked to.
    for found in rows.values():
        for row in found:
            db.session.delete(row)
    db.session.flush()
    db.session.delete(case_item)
    db.session.flush()
    db.session.add(removal)
    db.session.flush()
    return removal


def pending_removals(casefile: CaseFile) -> list[RemovedCaseItem]:
    """Removals of this case file that can still be undone, newest first."""
    return list(
        db.session.scalars(
            select(RemovedCaseItem)
            .where(
                RemovedCaseItem.casefile_id == casefile.id,
                RemovedCaseItem.restorable_until > utcnow(),
            )
            .order_by(RemovedCaseItem.removed_at.desc())
        )
    )


def restore_item(
    investigation: Investigation, casefile: CaseFile, user: Any, removal_id: str
) -> CaseItem:
    """Put a removed item back with its links, grades, notes and corroborations."""
    require_draft(casefile)
    removal = db.session.scalar(
        select(RemovedCaseItem).where(
            RemovedCaseItem.id == str(removal_id), RemovedCaseItem.casefile_id == casefile.id
        )
    )
    if removal is None:  # an id from another case file answers as a made-up one does
        raise CaseFileNotFound("There is no such removal in this case file.")
    if removal.restorable_until <= utcnow():
        raise CaseFileConflict("This removal can no longer be undone.")
    # Undo shows the item again: only to someone who may see it today.
    fetch_item(investigation, user, removal.item_type, removal.item_id)
    again = db.session.scalar(
        select(CaseItem.id).where(
            CaseItem.casefile_id == casefile.id,
            CaseItem.item_type == removal.item_type,
            CaseItem.item_id == removal.item_id,
        )
    )
    if again:
        raise CaseFileError(
            "This item is in the case file again: remove it first to bring back its earlier "
            "links and grades."
        )
    data = json.loads(removal.snapshot)
    case_item = CaseItem(
        id=removal.case_item_id,
        casefile_id=casefile.id,
        item_type=removal.item_type,
        item_id=removal.item_id,
        investigation_id=casefile.investigation_id,
        position=data["position"],
        added_by_id=data["added_by_id"],
        added_at=_decode(data["added_at"]),
    )
    db.session.add(case_item)
    db.session.flush()
    restored = _put_back(casefile, case_item, data)
    record_item_event(
        case_item,
        user,
        "linked_to_case",
        {"op": "item_restored", "removal_id": removal.id, **restored},
    )
    db.session.delete(removal)
    db.session.flush()
    return case_item


def _put_back(casefile: CaseFile, case_item: CaseItem, data: dict) -> dict[str, int]:
    present = set(
        db.session.scalars(select(CaseItem.id).where(CaseItem.casefile_id == casefile.id))
    )
    counts: dict[str, int] = {}
    for kind, (model, _columns) in KEPT.items():
        counts[kind] = 0
        for values in data[kind]:
            values = {key: _decode(value) for key, value in values.items()}
            if model is Corroboration:
                # A corroboration comes back only if the other item is still in the file.
                if not {values["from_item_id"], values["to_item_id"]} <= present:
                    continue
            else:
                values["case_item_id"] = case_item.id
            db.session.add(
                model(casefile_id=casefile.id, investigation_id=casefile.investigation_id, **values)
            )
            counts[kind] += 1
    db.session.flush()
    return counts


def purge_expired_removals(now: datetime | None = None) -> int:
    """Delete the snapshots whose undo window has ended (the worker's maintenance round)."""
    result = db.session.execute(
        delete(RemovedCaseItem).where(RemovedCaseItem.restorable_until <= (now or utcnow()))
    )
    db.session.commit()
    return result.rowcount or 0
