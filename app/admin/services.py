"""Creating investigations and granting, changing and revoking membership (all audited)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.services import record_event
from app.auth.models import User
from app.auth.services.accounts import user_by_email
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.investigations.models import (
    REFERENCE_PATTERN,
    Investigation,
    InvestigationStatus,
    MemberRole,
    Membership,
)
from app.service_errors import ServiceError

MEMBER_ROLES = tuple(role.value for role in MemberRole)


class InvestigationError(ServiceError, ValueError):
    """A request about an investigation that cannot be carried out; the message is for the user."""


def investigation_by_reference(reference: str) -> Investigation | None:
    """Admin-side lookup by reference (not for content: content goes through access.py)."""
    return db.session.scalar(select(Investigation).where(Investigation.reference == reference))


def create_investigation(
    reference: str, title: str, description: str = "", actor: User | None = None
) -> Investigation:
    reference = reference.strip().upper()
    if not re.match(REFERENCE_PATTERN, reference):
        raise InvestigationError(
            "A reference looks like INV-2015-SYR-01: capital letters and digits in "
            "dash-separated parts."
        )
    if not title.strip():
        raise InvestigationError("A title is required.")
    if investigation_by_reference(reference) is not None:
        raise InvestigationError(f"An investigation {reference} already exists.")
    investigation = Investigation(
        reference=reference,
        title=title.strip(),
        description=description.strip(),
        status=InvestigationStatus.OPEN.value,
    )
    db.session.add(investigation)
    db.session.flush()
    record_event("investigation.created", actor=actor, target=investigation)
    return investigation


def default_member_role(user: User) -> str:
    return MemberRole.LAWYER.value if user.role == "lawyer" else MemberRole.FIELD.value


def accounts_to_add(investigation: Investigation) -> list[User]:
    """The active accounts that are not members of the investigation yet, by name."""
    members = select(Membership.user_id).where(Membership.investigation_id == investigation.id)
    return list(
        db.session.scalars(
            select(User).where(User.active.is_(True), User.id.not_in(members)).order_by(User.name)
        )
    )


def grant_membership_by_email(
    investigation: Investigation,
    email: str,
    actor: User | None,
    role: str | None = None,
    may_see_identities: bool = False,
) -> Membership:
    """grant_membership to the account with this email (the admin page's form)."""
    user = user_by_email(email)
    if user is None:
        raise InvestigationError("No account has this email.", "email")
    return grant_membership(investigation, user, actor, role, may_see_identities)


def grant_membership(
    investigation: Investigation,
    user: User,
    actor: User | None,
    role: str | None = None,
    may_see_identities: bool = False,
) -> Membership:
    """Add a member. Granting oneself is allowed and recorded exactly like any other grant."""
    role = role or default_member_role(user)
    if role not in MEMBER_ROLES:
        raise InvestigationError(f"Unknown member role {role!r}; choose {', '.join(MEMBER_ROLES)}.")
    if not user.active:
        raise InvestigationError("A deactivated account cannot be made a member.")
    existing = db.session.scalar(
        select(Membership).where(
            Membership.investigation_id == investigation.id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        raise InvestigationError(f"{user.email} is already a member of {investigation.reference}.")
    membership = Membership(
        investigation_id=investigation.id,
        user_id=user.id,
        role=role,
        may_see_identities=may_see_identities,
        granted_by_id=getattr(actor, "id", None),
    )
    db.session.add(membership)
    db.session.flush()
    record_event(
        "membership.granted",
        actor=actor,
        target=investigation,
        details={
            "member": user.email,
            "role": role,
            "may_see_identities": may_see_identities,
            "self_grant": actor is not None and actor.id == user.id,
        },
    )
    _record_access_in_ledger(CustodyAction.ACCESS_GRANTED, membership, actor)
    return membership


def change_membership(
    membership: Membership, actor: User, role: str, may_see_identities: bool
) -> None:
    if role not in MEMBER_ROLES:
        raise InvestigationError(f"Unknown member role {role!r}.")
    before = {"role": membership.role, "may_see_identities": membership.may_see_identities}
    membership.role = role
    membership.may_see_identities = may_see_identities
    record_event(
        "membership.changed",
        actor=actor,
        target=membership.investigation,
        details={
            "member": membership.user.email,
            "before": before,
            "after": {"role": role, "may_see_identities": may_see_identities},
        },
    )
    _record_access_in_ledger(CustodyAction.ACCESS_GRANTED, membership, actor, changed=True)


def revoke_membership(membership: Membership, actor: User) -> None:
    record_event(
        "membership.revoked",
        actor=actor,
        target=membership.investigation,
        details={"member": membership.user.email},
    )
    _record_access_in_ledger(CustodyAction.ACCESS_REVOKED, membership, actor)
    db.session.delete(membership)


def _record_access_in_ledger(
    action: CustodyAction, membership: Membership, actor: User | None, changed: bool = False
) -> None:
    # Who could see the evidence, and since when, is part of its custody (issue 4, item 1).
    # Staff ids and roles only: the ledger ships in exports.
    details = {
        "membership_id": membership.id,
        "role": membership.role,
        "may_see_identities": bool(membership.may_see_identities),
    }
    if changed:
        details["changed"] = True
    append_custody_event(
        membership.investigation_id, actor, action, "user", membership.user_id, details
    )
