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
- witness identities, evidence file names and capture facts only with the membership's
  `may_see_identities` flag (the identity class of docs/security.md);
- the custody ledger: lawyers, leads and admins of the investigation read all of it; everyone
  else reads only the entries about objects they may see (each domain package registers, per
  ledger object type, which ids a viewer may see: `ledger_object_kind`; a type nobody
  registered is hidden), and other people appear to them by role and a stable pseudonymous
  handle (`actor_label`), never by email.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, or_, select

from app.investigations.access import investigation_by_reference_or_404, membership_for, visible
from app.investigations.models import Investigation, MemberRole, Membership
from app.security.org_keys import intake_only
from app.security.refusals import refuse

REVIEWER_MEMBER_ROLES = frozenset({MemberRole.LAWYER.value, MemberRole.LEAD.value})
ROLE_NAMES = {"field": _l("Field researcher"), "lawyer": _l("Lawyer"), "admin": _l("Admin")}

# Ledger object type -> the ids of that type a (restricted) viewer may see, as a subquery.
LedgerObjectScope = Callable[["InvestigationViewer"], Select]
_LEDGER_OBJECT_SCOPES: dict[str, LedgerObjectScope] = {}


def ledger_object_kind(object_type: str) -> Callable[[LedgerObjectScope], LedgerObjectScope]:
    """Register which ids of `object_type` a viewer who does not see the whole ledger may see."""

    def register(scope: LedgerObjectScope) -> LedgerObjectScope:
        _LEDGER_OBJECT_SCOPES[object_type] = scope
        return scope

    return register


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

    @property
    def sees_full_ledger(self) -> bool:
        """Lawyers, leads and admins of the investigation read every entry of its ledger."""
        return self.sees_all or self.user.role == "admin"

    def ledger_scope(self, stmt: Select, object_type: Any, object_id: Any) -> Select:
        """Narrow a select over ledger rows (type and id columns) to what the viewer may see."""
        if self.sees_full_ledger:
            return stmt
        allowed: list[ColumnElement] = [
            (object_type == kind) & object_id.in_(scope(self))
            for kind, scope in sorted(_LEDGER_OBJECT_SCOPES.items())
        ]
        return stmt.where(or_(*allowed) if allowed else false())

    def actor_label(self, actor_id: str | None, email: str | None, role: str | None) -> str:
        """Who acted, as this viewer may read it: the email, or role and a stable handle.

        The handle is HMAC-SHA256 of the actor's id under a key derived from the secret key and
        the investigation: the same person keeps one handle in an investigation, and handles do
        not link a person across investigations.
        """
        if actor_id is None or not actor_id or actor_id.startswith("system"):
            return actor_id or "system"
        if self.sees_full_ledger or actor_id == self.user.id:
            return email or actor_id
        return f"{ROLE_NAMES.get(role or '', _l('Member'))} {self.handle_of(actor_id)}"

    def handle_of(self, user_id: str) -> str:
        secret = str(current_app.config["SECRET_KEY"]).encode()
        key = hmac.new(secret, b"custos/ledger-handle/" + self.investigation.id.encode(), "sha256")
        return hmac.new(key.digest(), user_id.encode(), hashlib.sha256).hexdigest()[:4]

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


@ledger_object_kind("user")
def _own_membership(viewer: InvestigationViewer) -> Select:
    """Entries about a person (membership changes): only one's own."""
    return select(Membership.user_id).where(
        Membership.investigation_id == viewer.investigation.id,
        Membership.user_id == viewer.user.id,
    )


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
