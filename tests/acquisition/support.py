"""An approved case file holding an item: what locks the item's acquisition record."""

from __future__ import annotations

from app.casefiles.models import CaseFile, CaseItem, CaseStatus
from app.extensions import db


def hold_in_approved_case_file(investigation, evidence_id: str, author) -> CaseFile:
    casefile = CaseFile(
        investigation_id=investigation.id,
        number=1,
        reference=f"CF-{investigation.reference}-001",
        title="Bakery",
        legal_question="Was the bakery attacked?",
        status=CaseStatus.APPROVED.value,
        author_id=author.id,
    )
    db.session.add(casefile)
    db.session.flush()
    db.session.add(
        CaseItem(
            casefile_id=casefile.id,
            investigation_id=investigation.id,
            item_type="evidence",
            item_id=evidence_id,
        )
    )
    db.session.commit()
    return casefile
