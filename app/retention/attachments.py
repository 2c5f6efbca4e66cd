"""Recordings and attachments of testimony: destroyed only once their witnesses let them go.

An item attached to interviews belongs to the testimony of their witnesses. It may be destroyed
(by two people, like any item) once every one of those witnesses has withdrawn all consent or
been forgotten (a request to be forgotten approved), and no case file still open holds one of
the interviews; then its attachment rows go with it. While any witness's consent still allows
something, it is refused: the testimony is theirs, and their consent decides.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.casefiles.models import CaseFile, CaseItem, CaseStatus
from app.extensions import db
from app.intake.models.interviews import Interview, InterviewEvidence
from app.intake.models.witnesses import Witness
from app.retention.errors import RetentionError
from app.retention.events import consent_withdrawals
from app.retention.models import RequestKind, RequestOutcome, RetentionRequest
from app.vault.models import EvidenceItem


def refuse_unless_let_go(item: EvidenceItem) -> None:
    """Refuse (RetentionError) while a witness of the item's interviews still consents, or an
    open case file holds one of them."""
    witnesses = dict(
        db.session.execute(
            select(Witness.id, Witness.code)
            .join(Interview, Interview.witness_id == Witness.id)
            .join(InterviewEvidence, InterviewEvidence.interview_id == Interview.id)
            .where(InterviewEvidence.evidence_id == item.id)
        ).all()
    )
    if not witnesses:
        return
    let_go = set(consent_withdrawals(item.investigation_id)) | _forgotten(set(witnesses))
    consenting = sorted(code for witness_id, code in witnesses.items() if witness_id not in let_go)
    if consenting:
        raise RetentionError(
            _(
                "This item belongs to an interview of %(codes)s, whose consent still allows its "
                "use: it can be destroyed once the witness withdraws all consent or is "
                "forgotten.",
                codes=", ".join(consenting),
            )
        )
    still_open = sorted(
        db.session.scalars(
            select(CaseFile.reference)
            .join(CaseItem, CaseItem.casefile_id == CaseFile.id)
            .join(InterviewEvidence, InterviewEvidence.interview_id == CaseItem.item_id)
            .where(
                CaseItem.item_type == "interview",
                InterviewEvidence.evidence_id == item.id,
                CaseFile.status != CaseStatus.APPROVED.value,
            )
            .distinct()
        )
    )
    if still_open:
        raise RetentionError(
            _(
                "This item belongs to an interview in a case file that is not closed: "
                "%(casefiles)s.",
                casefiles=", ".join(still_open),
            )
        )


def detach(item: EvidenceItem) -> list[str]:
    """Remove the item's attachment rows (the caller destroys it); returns the interview ids."""
    return remove_links(InterviewEvidence, InterviewEvidence.interview_id, item.id)


def remove_links(model, other_end, evidence_id: str) -> list[str]:
    """Delete the rows of `model` tying the item to something; returns what they tied it to."""
    ends = sorted(db.session.scalars(select(other_end).where(model.evidence_id == evidence_id)))
    if ends:
        db.session.execute(
            delete(model)
            .where(model.evidence_id == evidence_id)
            .execution_options(synchronize_session=False)
        )
    return ends


def _forgotten(witness_ids: set[str]) -> set[str]:
    return set(
        db.session.scalars(
            select(RetentionRequest.target_id).where(
                RetentionRequest.kind == RequestKind.FORGET_WITNESS.value,
                RetentionRequest.outcome == RequestOutcome.APPROVED.value,
                RetentionRequest.target_id.in_(witness_ids),
            )
        )
    )
