"""A reviewer confirms or rejects a suggested near-duplicate; each decision is a ledger entry."""

from __future__ import annotations

import enum

from flask import abort
from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.duplicates.models import EvidenceLink, LinkStatus
from app.duplicates.visibility import visible_links
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.security.refusals import refuse
from app.service_errors import ServiceError
from app.timeutil import utcnow


class DecisionConflict(ServiceError):
    """The suggestion was decided already (409): a decision is never changed in place."""

    status = 409
    code = "conflict"


class Decision(enum.StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


ACTIONS = {Decision.CONFIRM: "duplicate_confirmed", Decision.REJECT: "duplicate_rejected"}
OUTCOMES = {Decision.CONFIRM: LinkStatus.CONFIRMED, Decision.REJECT: LinkStatus.REJECTED}


def may_decide(viewer: InvestigationViewer) -> bool:
    """Reviewers decide (member role lawyer or lead, on an account that is not a field one)."""
    return viewer.sees_all


def link_in(viewer: InvestigationViewer, evidence_id: str, link_id: str) -> EvidenceLink:
    """A link of this item whose two items the viewer may see; 404 otherwise."""
    link = db.session.scalar(
        visible_links(select(EvidenceLink), viewer).where(EvidenceLink.id == link_id)
    )
    if link is None or evidence_id not in (link.first_id, link.second_id):
        abort(404)
    return link


def decidable_link(viewer: InvestigationViewer, evidence_id: str, link_id: str) -> EvidenceLink:
    """The link, if the viewer may see it (else 404) and decide on it (else 403)."""
    link = link_in(viewer, evidence_id, link_id)
    if not may_decide(viewer):
        refuse(403, "not_a_reviewer")
    return link


def decide(viewer: InvestigationViewer, link: EvidenceLink, decision: Decision) -> EvidenceLink:
    """Confirm (the same capture: the items stay linked) or reject a suggestion; once."""
    if not may_decide(viewer):
        refuse(403, "not_a_reviewer")
    if link.status != LinkStatus.SUGGESTED.value:
        raise DecisionConflict("This suggestion has already been decided.")
    link.status = OUTCOMES[decision].value
    link.decided_by_id = viewer.user.id
    link.decided_at = utcnow()
    append_custody_event(
        link.investigation_id,
        viewer.user,
        ACTIONS[decision],
        "evidence_link",
        link.id,
        {
            "kind": link.kind,
            "first_id": link.first_id,
            "second_id": link.second_id,
            "distance": link.distance,
        },
    )
    db.session.commit()
    return link
