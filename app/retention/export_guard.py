"""Retention's part in exports: expiry leaves a held bag; a bag's page says what was destroyed."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.casefiles.models import CaseExport
from app.casefiles.services.export_lifecycle import register_export_keeper, register_export_notes
from app.extensions import db
from app.retention.coverage import holds_on_evidence_id
from app.retention.models import EvidenceTombstone, HoldTarget, LegalHold


@register_export_keeper
def held_export(export: CaseExport) -> str | None:
    holds = list(
        db.session.scalars(
            select(LegalHold).where(
                LegalHold.investigation_id == export.investigation_id,
                LegalHold.released_at.is_(None),
                (LegalHold.target_type == HoldTarget.INVESTIGATION.value)
                | (
                    (LegalHold.target_type == HoldTarget.CASEFILE.value)
                    & (LegalHold.target_id == export.casefile_id)
                ),
            )
        )
    )
    for item_type, item_id in export.item_refs or []:
        if not holds and item_type == "evidence":
            holds = holds_on_evidence_id(export.investigation_id, item_id)
    return "; ".join(hold.describe() for hold in holds) or None


@register_export_notes
def destroyed_since(export: CaseExport) -> list[str]:
    """One line per evidence item of the bag destroyed since, from its tombstone."""
    ids = [item_id for item_type, item_id in export.item_refs or [] if item_type == "evidence"]
    if not ids:
        return []
    tombstones = db.session.scalars(
        select(EvidenceTombstone)
        .where(EvidenceTombstone.evidence_id.in_(ids))
        .order_by(EvidenceTombstone.destroyed_at)
    )
    return [
        _(
            "Evidence item %(id)s (SHA-256 %(sha256)s) was destroyed on %(when)s UTC, asked by "
            "one reviewer and approved by a second (request %(request)s).",
            id=tombstone.evidence_id,
            sha256=tombstone.sha256,
            when=tombstone.destroyed_at.strftime("%Y-%m-%d %H:%M"),
            request=tombstone.request_id,
        )
        for tombstone in tombstones
    ]
