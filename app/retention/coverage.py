"""Which active legal holds cover an evidence item, a blob or a witness (holds win over all).

A hold covers what it names and everything inside it: an investigation hold covers all its
items and witnesses; a case-file hold covers the items and interviews gathered into it (and so
the witnesses of those interviews and the items attached to them); a witness hold covers the
witness and the items attached to their interviews; an item hold covers the item and its
derivatives.
"""

from __future__ import annotations

from sqlalchemy import false, or_, select

from app.casefiles.models import CaseItem
from app.extensions import db
from app.intake.models.interviews import Interview, InterviewEvidence
from app.intake.models.witnesses import Witness
from app.retention.models import HoldTarget, LegalHold
from app.vault.models import Derivative, EvidenceItem


def _active(investigation_id: str):
    return select(LegalHold).where(
        LegalHold.investigation_id == investigation_id, LegalHold.released_at.is_(None)
    )


def _casefiles_holding(item_type: str, item_ids) -> select:
    return select(CaseItem.casefile_id).where(
        CaseItem.item_type == item_type, CaseItem.item_id.in_(item_ids)
    )


def holds_on_evidence(item: EvidenceItem) -> list[LegalHold]:
    return holds_on_evidence_id(item.investigation_id, item.id)


def holds_on_evidence_id(investigation_id: str, evidence_id: str) -> list[LegalHold]:
    """The same from the ids alone: no item row loaded, no sealed field opened."""
    interviews = select(InterviewEvidence.interview_id).where(
        InterviewEvidence.evidence_id == evidence_id
    )
    witnesses = select(Interview.witness_id).where(Interview.id.in_(interviews))
    stmt = _active(investigation_id).where(
        or_(
            LegalHold.target_type == HoldTarget.INVESTIGATION.value,
            (LegalHold.target_type == HoldTarget.EVIDENCE.value)
            & (LegalHold.target_id == evidence_id),
            (LegalHold.target_type == HoldTarget.WITNESS.value)
            & LegalHold.target_id.in_(witnesses),
            (LegalHold.target_type == HoldTarget.CASEFILE.value)
            & (
                LegalHold.target_id.in_(_casefiles_holding("evidence", [evidence_id]))
                | LegalHold.target_id.in_(_casefiles_holding("interview", interviews))
            ),
        )
    )
    return list(db.session.scalars(stmt.order_by(LegalHold.placed_at)))


def holds_on_witness(witness: Witness) -> list[LegalHold]:
    return holds_on_witness_id(witness.investigation_id, witness.id)


def holds_on_witness_id(investigation_id: str, witness_id: str) -> list[LegalHold]:
    """The same from the ids alone: no witness row loaded, no sealed field opened."""
    interviews = select(Interview.id).where(Interview.witness_id == witness_id)
    stmt = _active(investigation_id).where(
        or_(
            LegalHold.target_type == HoldTarget.INVESTIGATION.value,
            (LegalHold.target_type == HoldTarget.WITNESS.value)
            & (LegalHold.target_id == witness_id),
            (LegalHold.target_type == HoldTarget.CASEFILE.value)
            & LegalHold.target_id.in_(_casefiles_holding("interview", interviews)),
        )
    )
    return list(db.session.scalars(stmt.order_by(LegalHold.placed_at)))


def evidence_of_blob(blob_key: str) -> EvidenceItem | None:
    """The item whose original or derivative is stored under `blob_key`, if any."""
    item = db.session.scalar(select(EvidenceItem).where(EvidenceItem.blob_key == blob_key))
    if item is not None:
        return item
    return db.session.scalar(
        select(EvidenceItem)
        .join(Derivative, Derivative.evidence_id == EvidenceItem.id)
        .where(Derivative.blob_key == blob_key)
    )


def holds_on_blob(blob_key: str) -> list[LegalHold]:
    item = evidence_of_blob(blob_key)
    return holds_on_evidence(item) if item is not None else []


def items_under(hold: LegalHold) -> list[EvidenceItem]:
    """Every evidence item the hold covers (for mirroring it onto the object store)."""
    in_investigation = select(EvidenceItem).where(
        EvidenceItem.investigation_id == hold.investigation_id
    )
    if hold.target_type == HoldTarget.INVESTIGATION.value:
        stmt = in_investigation
    elif hold.target_type == HoldTarget.EVIDENCE.value:
        stmt = in_investigation.where(EvidenceItem.id == hold.target_id)
    else:
        if hold.target_type == HoldTarget.WITNESS.value:
            interviews = select(Interview.id).where(Interview.witness_id == hold.target_id)
            direct = select(CaseItem.item_id).where(false())
        else:
            in_case = select(CaseItem.item_id).where(CaseItem.casefile_id == hold.target_id)
            interviews = in_case.where(CaseItem.item_type == "interview")
            direct = in_case.where(CaseItem.item_type == "evidence")
        attached = select(InterviewEvidence.evidence_id).where(
            InterviewEvidence.interview_id.in_(interviews)
        )
        stmt = in_investigation.where(EvidenceItem.id.in_(attached) | EvidenceItem.id.in_(direct))
    return list(db.session.scalars(stmt))
