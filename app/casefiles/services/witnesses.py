"""What a witness's consent allows an export to do: use their testimony, and name them.

The decision is intake's (`consent_allows`: the consent record in force wins); this module
adds the reason an export lists when it leaves testimony out (issue 6, item 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.intake.models import ConsentPurpose, ConsentRecord, Interview, Witness
from app.intake.services.consent import consent_allows, current_consent


@dataclass(frozen=True)
class LegalUse:
    allowed: bool
    reason: str = ""


def legal_use(interview: Interview) -> LegalUse:
    """May this testimony go into a legal export, and if not, why (no identities in the reason)."""
    witness = interview.witness
    purpose = ConsentPurpose.LEGAL_PROCEEDINGS.value
    if not consent_allows(witness, purpose):
        current = current_consent(witness)
        if current is None:
            return LegalUse(False, f"{witness.code} has no consent record.")
        ever_given = db.session.scalar(
            select(ConsentRecord.id).where(
                ConsentRecord.witness_id == witness.id,
                ConsentRecord.legal_proceedings.is_(True),
            )
        )
        if ever_given:
            return LegalUse(
                False,
                f"{witness.code} withdrew consent to use in legal proceedings "
                f"(record of {current.obtained_on.isoformat()}).",
            )
        return LegalUse(False, f"{witness.code} has not consented to use in legal proceedings.")
    if not interview.is_sealed:
        return LegalUse(False, "The testimony is a draft (not sealed).")
    return LegalUse(True)


def may_be_named(witness: Witness) -> bool:
    return consent_allows(witness, ConsentPurpose.NAMED.value)
