"""The ONE per-investigation viewer: a member, their membership, and what it lets them see.

Built on the membership scope of `access.py`, it adds the one rule layer every package shares
(DESIGN.md, The people; issue 5, item 5):
- a non-member gets 404 for the investigation and everything in it, never 403;
- reviewers (member role lawyer or lead, on an account that is not a field account) see every
  submission of the investigation;
- everyone else (field staff, and any member with the field role) sees only the submissions
  they made themselves. Which column names the submitter is the domain package's business: it
  passes that column to `InvestigationViewer.scope`, so this package imports no domain model
  and the rule itself stays here, in one place.
- witness identities only with the membership's `may_see_identities` flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_login import current_user
from sqlalchemy import Select

from app.investigations.access import investigation_by_reference_or_404, membership_for, visible
from app.investigations.models import Investigation, MemberRole, Membership
from app.security.org_keys import intake_only
from app.security.refusals import refuse

REVIEWER_MEMBER_ROLES = frozenset({MemberRole.LAWYER.value, MemberRole.LEAD.value})


@dataclass(frozen=True)
class InvestigationViewer:
    """A member looking at one investigation, with what the rules grant them."""

    investigation: Investigation
    user: Any
    membership: Membership

    @property
    def sees_all(self) -> bool:
        # Deny by default: a field account stays limited to its own records whatever member
        # role it was given, so a mistaken grant cannot open every testimony to it.
        return self.membership.role in REVIEWER_MEMBER_ROLES and self.user.role != "field"

    @property
    def may_see_identities(self) -> bool:
        # An intake-only node holds no key to read identities: nobody sees them there.
        return bool(self.membership.may_see_identities) and not intake_only()

    def is_author(self, author_id: str | None) -> bool:
        """Whether the viewer is the person an id names (the creator or uploader of a row)."""
        return author_id is not None and author_id == self.user.id

    def scope(self, stmt: Select, model: type, *, submitted_by: Any = None) -> Select:
        """Narrow a select over `model` to this investigation's rows the viewer may see.

        `submitted_by` is the column naming who submitted a row, for the kinds that field staff
        see only their own of (witnesses, testimony, uploads); None for kinds every member sees.
        """
        stmt = visible(stmt, model, self.user).where(
            model.investigation_id == self.investigation.id
        )
        if submitted_by is not None and not self.sees_all:
            stmt = stmt.where(submitted_by == self.user.id)
        return stmt


def viewer_of(investigation: Investigation, user: Any) -> InvestigationViewer:
    """The user's standing in an investigation already in hand; 404 for a non-member."""
    membership = membership_for(investigation, user)
    if membership is None:
        refuse(404, "not_a_member")
    return InvestigationViewer(investigation=investigation, user=user, membership=membership)


def viewer_for(reference: str) -> InvestigationViewer:
    """What every page and API view of an investigation starts from: 404 for a non-member."""
    investigation = investigation_by_reference_or_404(reference, current_user)
    return viewer_of(investigation, current_user)
