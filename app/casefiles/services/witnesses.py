"""What a witness's consent allows an export to do: use their testimony, and name them.

The decision is intake's (`consent_allows`: the consent record in force wins); this module
adds the reason an export lists when it leaves testimony out (issue 6, item 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer_group

from app.casefiles.models import CaseItem, ItemType
from app.extensions import db
from app.intake.models import (
    ConsentPurpose,
    ConsentRecord,
    Interview,
    InterviewEvidence,
    Witness,
)
from app.intake.models.witnesses import IDENTITY_GROUP
from app.intake.services.consent import consent_allows, current_consent

PURPOSE_LABELS = {
    ConsentPurpose.INTERVIEW.value: "being interviewed and having the testimony kept",
    ConsentPurpose.LEGAL_PROCEEDINGS.value: "use in legal proceedings",
    ConsentPurpose.UN_SHARING.value: "sharing with UN mechanisms",
    ConsentPurpose.PUBLICATION.value: "publication",
    ConsentPurpose.NAMED.value: "being named",
}


@dataclass(frozen=True)
class LegalUse:
    allowed: bool
    reason: str = ""


def testimony_use(interview: Interview, purposes: Iterable[str]) -> LegalUse:
    """May this testimony go where the purposes say, and if not, why (pseudonyms only)."""
    witness = interview.witness
    for purpose in purposes:
        refusal = consent_refusal(witness, purpose)
        if refusal:
            return LegalUse(False, refusal)
    if not interview.is_sealed:
        return LegalUse(False, "The testimony is a draft (not sealed).")
    return LegalUse(True)


def legal_use(interview: Interview) -> LegalUse:
    """May this testimony go into proceedings (a court or prosecutor)?"""
    return testimony_use(interview, (ConsentPurpose.LEGAL_PROCEEDINGS.value,))


def consent_refusal(witness: Witness, purpose: str) -> str | None:
    """Why the witness's consent in force does not cover `purpose`, or None when it does."""
    if consent_allows(witness, purpose):
        return None
    what = PURPOSE_LABELS[purpose]
    current = current_consent(witness)
    if current is None:
        return f"{witness.code} has no consent record."
    ever_given = db.session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.witness_id == witness.id,
            getattr(ConsentRecord, ConsentPurpose(purpose).value).is_(True),
        )
        .limit(1)
    )
    if ever_given:
        return (
            f"{witness.code} withdrew consent to {what} "
            f"(record of {current.obtained_on.isoformat()})."
        )
    return f"{witness.code} has not consented to {what}."


def casefile_witnesses(casefile: Any) -> list[Witness]:
    """The witnesses a case file concerns, identities loaded: those whose testimony is in it,
    or whose testimony an evidence item in it records or accompanies."""
    items = select(CaseItem.item_id).where(CaseItem.casefile_id == casefile.id)
    interviews = select(Interview.witness_id).where(
        Interview.id.in_(items.where(CaseItem.item_type == ItemType.INTERVIEW.value))
    )
    via_evidence = (
        select(Interview.witness_id)
        .join(InterviewEvidence, InterviewEvidence.interview_id == Interview.id)
        .where(
            InterviewEvidence.evidence_id.in_(
                items.where(CaseItem.item_type == ItemType.EVIDENCE.value)
            )
        )
    )
    return list(
        db.session.scalars(
            select(Witness)
            .where(Witness.id.in_(interviews.union(via_evidence)))
            .options(undefer_group(IDENTITY_GROUP))
            .order_by(Witness.number)
        )
    )


def may_be_named(witness: Witness) -> bool:
    return consent_allows(witness, ConsentPurpose.NAMED.value)
