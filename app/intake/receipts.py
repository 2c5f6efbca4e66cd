"""Receipts: what an intake-only node shows back about a submission, never its content.

A node that holds only the organisation's public key cannot read what it sealed, and must not
pretend to: after a witness, a testimony or a file is submitted on it, the page says what was
received (which fields, how many bytes were stored), its SHA-256 where one exists, when, and
the custody ledger entries that record it. The content is read on the reading node.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from app.custody.receipts import entries_for
from app.extensions import db
from app.intake.models import Incident, Interview, InterviewEvidence, Witness
from app.intake.models.witnesses import IDENTITY_FIELDS
from app.security.sealed_sizes import stored_sizes
from app.vault.models import EvidenceItem

TESTIMONY_FIELDS = ("place", "interpreter", "transcript", "notes")
INCIDENT_FIELDS = ("particulars", "casualties_reported_by", "description")

# What a receipt page loads: only columns the intake role may SELECT (app/security/intake_role.py).
# Loading the whole row would name the sealed columns, and the database refuses the query.
WITNESS_RECEIPT_LOAD = (
    load_only(
        Witness.id,
        Witness.investigation_id,
        Witness.code,
        Witness.risk_level,
        Witness.created_by_id,
        Witness.created_at,
        Witness.sealed_sizes,
        raiseload=True,
    ),
)
INTERVIEW_RECEIPT_LOAD = (
    load_only(
        Interview.id,
        Interview.investigation_id,
        Interview.witness_id,
        Interview.status,
        Interview.content_hash,
        Interview.sealed_at,
        Interview.created_at,
        Interview.updated_at,
        Interview.sealed_sizes,
        raiseload=True,
    ),
    joinedload(Interview.witness).load_only(Witness.id, Witness.code, raiseload=True),
)
INCIDENT_RECEIPT_LOAD = (
    load_only(
        Incident.id,
        Incident.investigation_id,
        Incident.occurred_from,
        Incident.created_by_id,
        Incident.created_at,
        Incident.sealed_sizes,
        raiseload=True,
    ),
)


def _files(interview_id: str) -> list[dict[str, Any]]:
    """The files linked to a testimony: receipt columns only, never names or metadata."""
    rows = db.session.execute(
        select(
            InterviewEvidence.role,
            EvidenceItem.id,
            EvidenceItem.kind,
            EvidenceItem.media_type,
            EvidenceItem.size,
            EvidenceItem.sha256,
            EvidenceItem.received_at,
        )
        .join(EvidenceItem, EvidenceItem.id == InterviewEvidence.evidence_id)
        .where(InterviewEvidence.interview_id == interview_id)
        .order_by(InterviewEvidence.linked_at)
    ).all()
    return [
        {
            "evidence_id": evidence_id,
            "role": role,
            "kind": kind,
            "media_type": media_type,
            "size": int(size),
            "sha256": sha256,
            "received_at": received_at,
        }
        for role, evidence_id, kind, media_type, size, sha256, received_at in rows
    ]


def witness_receipt(witness: Witness) -> dict[str, Any]:
    """The registration of a witness as its intake node may show it."""
    return {
        "kind": "witness",
        "id": witness.id,
        "code": witness.code,
        "received_at": witness.created_at,
        "fields": stored_sizes(witness, IDENTITY_FIELDS),
        "custody": entries_for(witness.investigation_id, [witness.id]),
    }


def interview_receipt(interview: Interview) -> dict[str, Any]:
    """A testimony as its intake node may show it: fields stored, hash when sealed, files."""
    files = _files(interview.id)
    return {
        "kind": "interview",
        "id": interview.id,
        "witness_code": interview.witness.code,
        "status": interview.status,
        "received_at": interview.created_at,
        "updated_at": interview.updated_at,
        "content_hash": interview.content_hash,
        "sealed_at": interview.sealed_at,
        "fields": stored_sizes(interview, TESTIMONY_FIELDS),
        "files": files,
        "custody": entries_for(
            interview.investigation_id, [interview.id, *(f["evidence_id"] for f in files)]
        ),
    }


def incident_receipt(incident: Incident) -> dict[str, Any]:
    """An incident as its intake node may show it: when received, sealed fields stored, custody.

    The place, coordinates and counts are not read back either: the role may not SELECT them.
    """
    return {
        "kind": "incident",
        "id": incident.id,
        "received_at": incident.created_at,
        "fields": stored_sizes(incident, INCIDENT_FIELDS),
        "custody": entries_for(incident.investigation_id, [incident.id]),
    }
