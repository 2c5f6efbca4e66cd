"""Where an export may go: each destination names the consent purposes it needs, and whether
it leaves the organisation (then the case file must be approved by two lawyers first).

The purposes are the witness's own words on the consent form (intake ConsentPurpose). Each
destination asks for the purposes that cover what the receiver will do with the testimony:
- a court or prosecutor uses it in legal proceedings;
- a UN investigative mechanism or commission receives it under "sharing with the UN";
- another organisation under a data-sharing agreement receives it for accountability work,
  which the agreement limits to legal proceedings;
- publication or the media publish it;
- internal review keeps it inside the organisation that interviewed the witness: the consent
  to the interview (and to keeping its record) covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.casefiles.models import CaseFile, CaseStatus, Destination
from app.casefiles.services.errors import CaseFileError, CaseFileForbidden
from app.casefiles.services.witnesses import PURPOSE_LABELS
from app.intake.models import ConsentPurpose
from app.vocabulary.labels import label_of


@dataclass(frozen=True)
class DestinationRule:
    value: str
    label: str
    purposes: tuple[str, ...]
    external: bool

    @property
    def purpose_text(self) -> str:
        """In English, for the bag's metadata (bag-info.txt is read by machines and courts)."""
        return ", ".join(PURPOSE_LABELS[p] for p in self.purposes)

    @property
    def shown_purposes(self) -> str:
        """The purposes' labels in the reader's language, for the export page."""
        return ", ".join(label_of("consent_purpose", p) for p in self.purposes)


RULES: dict[str, DestinationRule] = {
    rule.value: rule
    for rule in (
        DestinationRule(
            Destination.COURT.value,
            "A court or prosecutor",
            (ConsentPurpose.LEGAL_PROCEEDINGS.value,),
            external=True,
        ),
        DestinationRule(
            Destination.UN_MECHANISM.value,
            "A UN investigative mechanism or commission of inquiry",
            (ConsentPurpose.UN_SHARING.value,),
            external=True,
        ),
        DestinationRule(
            Destination.PARTNER.value,
            "Another organisation under a data-sharing agreement",
            (ConsentPurpose.LEGAL_PROCEEDINGS.value,),
            external=True,
        ),
        DestinationRule(
            Destination.PUBLICATION.value,
            "Publication or the media",
            (ConsentPurpose.PUBLICATION.value,),
            external=True,
        ),
        DestinationRule(
            Destination.INTERNAL_REVIEW.value,
            "Internal review (stays inside the organisation)",
            (ConsentPurpose.INTERVIEW.value,),
            external=False,
        ),
    )
}

DRAFT_MARK = "Draft, not approved"


def rule_for(destination: str | None) -> DestinationRule:
    rule = RULES.get(destination or "")
    if rule is None:
        raise CaseFileError("Choose where this export goes.", "destination")
    return rule


def destination_refusal(casefile: CaseFile, rule: DestinationRule) -> str | None:
    """Why the case file may not go there now, or None: only approved files leave."""
    if rule.external and casefile.status != CaseStatus.APPROVED.value:
        return (
            "This case file is not approved for referral: it can be exported for internal "
            "review only. An external destination needs approval by two lawyers."
        )
    return None


def check_destination(casefile: CaseFile, rule: DestinationRule) -> None:
    refusal = destination_refusal(casefile, rule)
    if refusal:
        raise CaseFileForbidden(refusal, "destination")
