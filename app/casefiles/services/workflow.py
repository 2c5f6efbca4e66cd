"""Case-file workflow: draft -> in review -> approved for referral, every step with a comment.

The four-eyes rule (issue 6, item 4) lives here, not in a template or a route: approval needs a
lawyer member of the investigation who is neither the case file's author nor the lawyer who
sent it to review. The status changes by compare-and-swap on the current status, so two
concurrent transitions cannot both succeed from the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update

from app.casefiles.models import (
    CaseFile,
    CaseStatus,
    ElementLink,
    LegalElement,
    Stance,
    Transition,
)
from app.casefiles.services.casefiles import elements_of
from app.casefiles.services.errors import CaseFileConflict, CaseFileError, CaseFileForbidden
from app.casefiles.services.review_mail import queue_reviewer_mail
from app.extensions import db
from app.investigations.access import membership_for, visible
from app.investigations.models import Investigation
from app.timeutil import utcnow

COMMENT_MAX = 4000
AWAITING_LIMIT = 50

# (from, to) -> what the button says
TRANSITIONS: dict[tuple[str, str], str] = {
    (CaseStatus.DRAFT.value, CaseStatus.IN_REVIEW.value): "Send for review",
    (CaseStatus.IN_REVIEW.value, CaseStatus.DRAFT.value): "Return to draft",
    (CaseStatus.IN_REVIEW.value, CaseStatus.APPROVED.value): "Approve for referral",
    (CaseStatus.APPROVED.value, CaseStatus.DRAFT.value): "Reopen as draft",
}
STATUS_LABELS = {
    CaseStatus.DRAFT.value: "Draft",
    CaseStatus.IN_REVIEW.value: "In review",
    CaseStatus.APPROVED.value: "Approved for referral",
}


@dataclass(frozen=True)
class TransitionChoice:
    to_status: str
    label: str
    allowed: bool
    reason: str = ""


def approval_refusal(casefile: CaseFile, user: Any) -> str | None:
    """Why `user` may not approve this case file, or None if they may."""
    if casefile.author_id == user.id:
        return "The author of a case file cannot approve it: a second lawyer must."
    if casefile.submitted_by_id == user.id:
        return "The lawyer who sent a case file for review cannot also approve it."
    return None


def choices(casefile: CaseFile, user: Any) -> list[TransitionChoice]:
    """The transitions from the current status, each marked allowed or not for this user."""
    out = []
    for (source, target), label in TRANSITIONS.items():
        if source != casefile.status:
            continue
        reason = approval_refusal(casefile, user) if target == CaseStatus.APPROVED.value else None
        out.append(TransitionChoice(target, label, reason is None, reason or ""))
    return out


def unsupported_elements(casefile: CaseFile) -> list[LegalElement]:
    """The elements of the file's characterizations that no item is linked to as supporting."""
    supported = set(
        db.session.scalars(
            select(ElementLink.element_id).where(
                ElementLink.casefile_id == casefile.id,
                ElementLink.stance == Stance.SUPPORTING.value,
            )
        )
    )
    return [element for element in elements_of(casefile) if element.id not in supported]


def _require_gaps_confirmed(casefile: CaseFile, confirmed: bool) -> None:
    gaps = unsupported_elements(casefile)
    if gaps and not confirmed:
        total = len(elements_of(casefile))
        named = ", ".join(f"{e.crime.code} el. {e.code}" for e in gaps)
        raise CaseFileError(
            f"{len(gaps)} of {total} elements have no supporting evidence ({named}). "
            "Tick the confirmation to approve the file with these gaps.",
            "confirm_unsupported",
        )


def transition(
    investigation: Investigation,
    casefile: CaseFile,
    user: Any,
    to_status: str,
    comment: str,
    gaps_confirmed: bool = False,
) -> Transition:
    """Move the case file to `to_status`, recording who, when and why.

    Approving a file with elements that nothing supports needs `gaps_confirmed`: the approver
    has seen the list of those elements and ticked a second confirmation.
    """
    comment = (comment or "").strip()
    if not comment:
        raise CaseFileError("Every status change needs a comment.", "comment")
    if len(comment) > COMMENT_MAX:
        raise CaseFileError("The comment is too long.", "comment")
    if getattr(user, "role", None) != "lawyer" or membership_for(investigation, user) is None:
        raise CaseFileForbidden("Only lawyers of this investigation change a case file's status.")
    if casefile.investigation_id != investigation.id:
        raise CaseFileForbidden("This case file belongs to another investigation.")
    source = casefile.status
    if (source, to_status) not in TRANSITIONS:
        raise CaseFileConflict(
            f"A case file that is {STATUS_LABELS.get(source, source).lower()} cannot go to "
            f"{STATUS_LABELS.get(to_status, 'that status').lower()}."
        )
    values: dict[str, Any] = {"status": to_status, "updated_at": utcnow()}
    if to_status == CaseStatus.APPROVED.value:
        refusal = approval_refusal(casefile, user)
        if refusal:
            raise CaseFileForbidden(refusal)
        _require_gaps_confirmed(casefile, gaps_confirmed)
        values.update(approved_by_id=user.id, approved_at=utcnow())
    elif to_status == CaseStatus.IN_REVIEW.value:
        values.update(submitted_by_id=user.id, approved_by_id=None, approved_at=None)
    else:
        values.update(submitted_by_id=None, approved_by_id=None, approved_at=None)
    result = db.session.execute(
        update(CaseFile)
        .where(CaseFile.id == casefile.id, CaseFile.status == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CaseFileConflict("Someone else changed this case file's status; reload the page.")
    record = Transition(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        from_status=source,
        to_status=to_status,
        comment=comment,
        actor_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    db.session.refresh(casefile)
    if to_status == CaseStatus.IN_REVIEW.value:
        queue_reviewer_mail(casefile, user)
    return record


@dataclass(frozen=True)
class AwaitingApproval:
    casefile: CaseFile
    investigation_reference: str


def awaiting_approval_by(user: Any) -> list[AwaitingApproval]:
    """Case files in review that `user` may approve: the reviewer's notice on the home page.

    Only a lawyer's, in investigations they are a member of, and never one they wrote or sent
    for review (the four-eyes rule above); oldest first, since those have waited longest.
    """
    if getattr(user, "role", None) != "lawyer":
        return []
    stmt = (
        visible(select(CaseFile, Investigation.reference), CaseFile, user)
        .join(Investigation, Investigation.id == CaseFile.investigation_id)
        .where(
            CaseFile.status == CaseStatus.IN_REVIEW.value,
            CaseFile.author_id != user.id,
            or_(CaseFile.submitted_by_id.is_(None), CaseFile.submitted_by_id != user.id),
        )
        .order_by(CaseFile.updated_at, CaseFile.reference)
        .limit(AWAITING_LIMIT)
    )
    return [AwaitingApproval(casefile, ref) for casefile, ref in db.session.execute(stmt)]


def history(casefile: CaseFile) -> list[Transition]:
    return list(
        db.session.scalars(
            select(Transition)
            .where(Transition.casefile_id == casefile.id)
            .order_by(Transition.at, Transition.id)
        )
    )
