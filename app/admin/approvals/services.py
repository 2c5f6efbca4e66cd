"""Four eyes for power: what one administrator may not do alone, requests, approval, the CLI.

Three actions hand one person the keys to what Custos protects: an administrator granting
themselves the sight of witness identities, a set-password link for an account someone is
using (whoever holds the link takes the account over), and resetting the second factor of a
lawyer or an administrator (half of a takeover). On the web each becomes a request that a
second administrator approves within a day; the requester cannot approve it. An organisation
with one administrator does these from the command line on the server, and the audit log
says that one person acted (`approval.sole_actor`).

The web entry points raise ApprovalRequested, a refusal carrying the message to show, after
committing the request: the caller's rollback of the refused action must not take it along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.admin import services as investigations
from app.admin.approvals.models import ApprovalKind, ApprovalOutcome, ApprovalRequest
from app.audit.services import record_event
from app.auth.models import ROLES_REQUIRING_2FA, Role, User
from app.auth.services.accounts import AccountError, issue_set_password_token, user_by_email
from app.auth.services.enrollment import reset_second_factor
from app.extensions import db
from app.investigations.models import Investigation, Membership
from app.timeutil import utcnow

REQUEST_LIFETIME = timedelta(days=1)
CLI_HINT = {
    ApprovalKind.IDENTITY_SELF_GRANT: "flask investigations add-member REF EMAIL "
    "--may-see-identities",
    ApprovalKind.REINVITE: "flask users reinvite EMAIL",
    ApprovalKind.RESET_SECOND_FACTOR: "flask users reset-2fa EMAIL",
}
WHAT = {
    ApprovalKind.IDENTITY_SELF_GRANT: "Granting yourself the sight of witness identities",
    ApprovalKind.REINVITE: "A new set-password link for an account in use",
    ApprovalKind.RESET_SECOND_FACTOR: "Resetting a lawyer's or administrator's second factor",
}


class ApprovalRequested(AccountError, investigations.InvestigationError):
    """Not done now: a request waits for a second administrator (the message says so)."""


class ApprovalError(AccountError):
    """A request that cannot be approved or refused; the message is for the administrator."""


@dataclass(frozen=True)
class Approved:
    request: ApprovalRequest
    set_password_token: str | None = None  # a re-invitation's link, shown to the approver once


# --- The web entry points: do it, or ask a second administrator ------------------------------


def grant_membership(
    investigation: Investigation, user: User, actor: User, role: str | None, identities: bool
) -> Membership:
    if identities and user.id == actor.id:
        _ask(ApprovalKind.IDENTITY_SELF_GRANT, actor, user, investigation, {"role": role})
    return investigations.grant_membership(
        investigation, user, actor=actor, role=role, may_see_identities=identities
    )


def grant_membership_by_email(
    investigation: Investigation,
    email: str,
    actor: User,
    role: str | None,
    may_see_identities: bool,
) -> Membership:
    user = user_by_email(email)
    if user is not None and may_see_identities and user.id == actor.id:
        _ask(ApprovalKind.IDENTITY_SELF_GRANT, actor, user, investigation, {"role": role})
    return investigations.grant_membership_by_email(
        investigation, email, actor=actor, role=role, may_see_identities=may_see_identities
    )


def change_membership(membership: Membership, actor: User, role: str, identities: bool) -> None:
    if identities and not membership.may_see_identities and membership.user_id == actor.id:
        if role != membership.role:  # the role change alone needs no second person
            investigations.change_membership(membership, actor, role, False)
        _ask(ApprovalKind.IDENTITY_SELF_GRANT, actor, membership.user, membership.investigation)
    investigations.change_membership(membership, actor, role, identities)


def reinvite(user: User, actor: User) -> str:
    """A set-password link; for an account whose password is set, a request instead."""
    if user.active and user.password_hash is not None:
        _ask(ApprovalKind.REINVITE, actor, user)
    return issue_set_password_token(user, actor=actor)


def reset_second_factor_of(user: User, actor: User) -> None:
    if user.role in ROLES_REQUIRING_2FA:
        _ask(ApprovalKind.RESET_SECOND_FACTOR, actor, user)
    reset_second_factor(user, actor=actor)


def _ask(
    kind: ApprovalKind,
    actor: User,
    target: User,
    investigation: Investigation | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record (or find) the pending request, commit it, and raise ApprovalRequested."""
    request = _pending_like(kind, target, investigation)
    if request is None:
        now = utcnow()
        request = ApprovalRequest(
            kind=kind.value,
            requested_by_id=actor.id,
            target_user_id=target.id,
            investigation_id=investigation.id if investigation else None,
            details=details or {},
            created_at=now,
            expires_at=now + REQUEST_LIFETIME,
        )
        db.session.add(request)
        db.session.flush()
        record_event(
            "approval.requested",
            actor=actor,
            target=target,
            details={"request": request.id, "kind": kind.value, **_where(investigation)},
        )
    db.session.commit()
    raise ApprovalRequested(_requested_message(kind, actor))


def _pending_like(
    kind: ApprovalKind, target: User, investigation: Investigation | None
) -> ApprovalRequest | None:
    same_place = (
        ApprovalRequest.investigation_id == investigation.id
        if investigation
        else ApprovalRequest.investigation_id.is_(None)
    )
    return db.session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.kind == kind.value,
            ApprovalRequest.target_user_id == target.id,
            same_place,
            ApprovalRequest.outcome.is_(None),
            ApprovalRequest.expires_at > utcnow(),
        )
    )


def _requested_message(kind: ApprovalKind, actor: User) -> str:
    message = (
        f"{WHAT[kind]} needs a second administrator: your request waits on the Approvals "
        "page for another administrator, for one day."
    )
    if other_admins(actor) == 0:
        message += (
            " You are the only administrator: do it on the server with "
            f"`{CLI_HINT[kind]}`, which records that one person acted."
        )
    return message


def _where(investigation: Investigation | None) -> dict[str, str]:
    return {"investigation": investigation.reference} if investigation else {}


# --- Deciding --------------------------------------------------------------------------------


def pending_requests() -> list[ApprovalRequest]:
    """Every request still waiting, oldest first: shown to every administrator."""
    return list(
        db.session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.outcome.is_(None), ApprovalRequest.expires_at > utcnow())
            .order_by(ApprovalRequest.created_at)
        )
    )


def other_admins(admin: User) -> int:
    """Active administrators other than `admin`: who could approve their requests."""
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != admin.id)
    )


def approve(request_id: str, approver: User) -> Approved:
    """Carry the request out in the approver's name; the caller commits."""
    request = _decidable(request_id, approver)
    kind = ApprovalKind(request.kind)
    target = request.target_user
    token = None
    if kind is ApprovalKind.IDENTITY_SELF_GRANT:
        _grant_identities(request, approver)
    elif kind is ApprovalKind.REINVITE:
        token = issue_set_password_token(target, actor=approver)
    else:
        reset_second_factor(target, actor=approver)
    _decide(request, approver, ApprovalOutcome.APPROVED)
    return Approved(request, token)


def refuse(request_id: str, admin: User) -> ApprovalRequest:
    """Close the request undone (any other administrator may); the caller commits."""
    request = _decidable(request_id, admin)
    _decide(request, admin, ApprovalOutcome.REFUSED)
    return request


def _decidable(request_id: str, admin: User) -> ApprovalRequest:
    request = db.session.get(ApprovalRequest, request_id)
    if request is None or not request.is_pending():
        raise ApprovalError("This request is no longer waiting (decided or expired).")
    if admin.role != Role.ADMIN.value:
        raise ApprovalError("Only an administrator decides these requests.")
    if request.requested_by_id == admin.id:
        raise ApprovalError("You asked for this: another administrator must decide it.")
    if not request.target_user.active:
        raise ApprovalError("The account this request is about is deactivated.")
    return request


def _grant_identities(request: ApprovalRequest, approver: User) -> None:
    investigation, user = request.investigation, request.target_user
    membership = db.session.scalar(
        select(Membership).where(
            Membership.investigation_id == investigation.id, Membership.user_id == user.id
        )
    )
    if membership is None:
        investigations.grant_membership(
            investigation,
            user,
            actor=approver,
            role=request.details.get("role"),
            may_see_identities=True,
        )
    else:
        investigations.change_membership(membership, approver, membership.role, True)


def _decide(request: ApprovalRequest, admin: User, outcome: ApprovalOutcome) -> None:
    request.outcome = outcome.value
    request.decided_at = utcnow()
    request.decided_by_id = admin.id
    record_event(
        f"approval.{outcome.value}",
        actor=admin,
        target=request.target_user,
        details={
            "request": request.id,
            "kind": request.kind,
            "requested_by": request.requested_by.email,
            **_where(request.investigation),
        },
    )


# --- One administrator: the command line -------------------------------------------------------


def record_sole_actor(
    action: str, target: User, investigation: Investigation | None = None
) -> None:
    """Note that an action needing four eyes was done on the server by one person."""
    record_event(
        "approval.sole_actor",
        target=target,
        details={"action": action, "via": "cli", "member": target.email, **_where(investigation)},
    )
