"""The hold check export expiry runs: a bag whose case file, investigation or item is held stays."""

from __future__ import annotations

from sqlalchemy import select

from app.casefiles.models import CaseExport
from app.casefiles.services.export_lifecycle import register_export_keeper
from app.extensions import db
from app.retention.coverage import holds_on_evidence_id
from app.retention.models import HoldTarget, LegalHold


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
