"""Retention's part in case files: a destroyed item's case-file rows show its tombstone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.casefiles.services.items import register_tombstone_lookup
from app.extensions import db
from app.retention.models import EvidenceTombstone


@register_tombstone_lookup
def describe_tombstones(investigation_id: str, evidence_ids: list[str]) -> dict[str, str]:
    """Evidence id -> what its tombstone says, for those of `evidence_ids` destroyed."""
    if not evidence_ids:
        return {}
    tombstones = db.session.scalars(
        select(EvidenceTombstone)
        .where(
            EvidenceTombstone.investigation_id == investigation_id,
            EvidenceTombstone.evidence_id.in_(evidence_ids),
        )
        .options(
            selectinload(EvidenceTombstone.rule),
            selectinload(EvidenceTombstone.requested_by),
            selectinload(EvidenceTombstone.approved_by),
        )
    )
    return {tombstone.evidence_id: tombstone.describe() for tombstone in tombstones}
