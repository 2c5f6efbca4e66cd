"""Receipts: what an intake-only node shows back about a submission, never its content.

A node that holds only the organisation's public key cannot read what it sealed, and must not
pretend to: after a witness, a testimony or a file is submitted on it, the page says what was
received (which fields, how many bytes were stored), its SHA-256 where one exists, when, and
the custody ledger entries that record it. The content is read on the reading node.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.custody.receipts import entries_for
from app.extensions import db
from app.intake.models import Interview, InterviewEvidence, Witness
from app.intake.models.witnesses import IDENTITY_FIELDS
from app.vault.models import EvidenceItem

TESTIMONY_FIELDS = ("place", "interpreter", "transcript", "notes")


def _stored_sizes(model: type, row_id: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each sealed field of a row: recorded or not, and the bytes stored (the sealed size)."""
    table = model.__table__
    row = db.session.execute(
        select(*(func.length(table.c[name]) for name in names)).where(table.c.id == row_id)
    ).one()
    return [
        {"field": name, "recorded": size is not None, "stored_bytes": int(size or 0)}
        for name, size in zip(names, row, strict=True)
    ]


def _file(item: EvidenceItem, role: str | None = None) -> dict[str, Any]:
    return {
        "evidence_id": item.id,
        "role": role,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": int(item.size),
        "sha256": item.sha256,
        "received_at": item.received_at,
    }


def witness_receipt(witness: Witness) -> dict[str, Any]:
    """The registration of a witness as its intake node may show it."""
    return {
        "kind": "witness",
        "id": witness.id,
        "code": witness.code,
        "received_at": witness.created_at,
        "fields": _stored_sizes(Witness, witness.id, IDENTITY_FIELDS),
        "custody": entries_for(witness.investigation_id, [witness.id]),
    }


def interview_receipt(interview: Interview) -> dict[str, Any]:
    """A testimony as its intake node may show it: fields stored, hash when sealed, files."""
    links = db.session.execute(
        select(InterviewEvidence.role, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == InterviewEvidence.evidence_id)
        .where(InterviewEvidence.interview_id == interview.id)
        .order_by(InterviewEvidence.linked_at)
    ).all()
    files = [_file(item, role) for role, item in links]
    return {
        "kind": "interview",
        "id": interview.id,
        "witness_code": interview.witness.code,
        "status": interview.status,
        "received_at": interview.created_at,
        "updated_at": interview.updated_at,
        "content_hash": interview.content_hash,
        "sealed_at": interview.sealed_at,
        "fields": _stored_sizes(Interview, interview.id, TESTIMONY_FIELDS),
        "files": files,
        "custody": entries_for(
            interview.investigation_id, [interview.id, *(f["evidence_id"] for f in files)]
        ),
    }
