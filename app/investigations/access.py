"""The ONE place that decides which investigation content a user may reach (deny by default).

Every query for investigation content goes through `visible()` or one of the getters here.
A request for an object outside the user's investigations answers 404, never 403, so the
existence of another investigation's objects is not revealed. The per-investigation viewer
built on this scope is `viewer.py`. Admins manage investigations and memberships without
being members: their lookups (`managed_*`) return those records only, never content.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select

from app.extensions import db
from app.investigations.models import Investigation, Membership
from app.security.refusals import refuse

T = TypeVar("T")


def member_investigation_ids(user: Any) -> Select:
    """Subquery of the ids of investigations the user is a member of (empty for anonymous)."""
    user_id = getattr(user, "id", None)
    return select(Membership.investigation_id).where(Membership.user_id == user_id)


def visible(stmt: Select, model: type, user: Any) -> Select:
    """Narrow a select over `model` (which has investigation_id, or is Investigation)."""
    if model is Investigation:
        return stmt.where(Investigation.id.in_(member_investigation_ids(user)))
    return stmt.where(model.investigation_id.in_(member_investigation_ids(user)))


def membership_for(investigation: Investigation, user: Any) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.investigation_id == investigation.id,
            Membership.user_id == getattr(user, "id", None),
        )
    )


def investigation_by_reference_or_404(reference: str, user: Any) -> Investigation:
    stmt = visible(select(Investigation), Investigation, user).where(
        Investigation.reference == reference
    )
    investigation = db.session.scalar(stmt)
    if investigation is None:
        refuse(404, "not_a_member_or_missing")
    return investigation


def get_or_404(model: type[T], object_id: str, user: Any) -> T:
    """One object of investigation content, only if the user is a member of its investigation."""
    stmt = visible(select(model), model, user).where(model.id == object_id)
    obj = db.session.scalar(stmt)
    if obj is None:
        refuse(404, "not_a_member_or_missing")
    return obj


def my_investigations(user: Any) -> list[Investigation]:
    stmt = visible(select(Investigation), Investigation, user).order_by(Investigation.reference)
    return list(db.session.scalars(stmt))


def may_see_identities(investigation: Investigation, user: Any) -> bool:
    membership = membership_for(investigation, user)
    return bool(membership and membership.may_see_identities)


def managed_investigation_or_404(reference: str) -> Investigation:
    """The investigation record for the admin who manages its memberships (not its content)."""
    investigation = db.session.scalar(
        select(Investigation).where(Investigation.reference == reference)
    )
    if investigation is None:
        abort(404)
    return investigation


def managed_membership_or_404(investigation: Investigation, membership_id: str) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.investigation_id != investigation.id:
        abort(404)
    return membership
