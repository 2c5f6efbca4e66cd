"""Two-person requests: one reviewer asks (with a reason), a different reviewer decides."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.retention.errors import RetentionError, SecondPersonRequired
from app.retention.models import RequestKind, RequestOutcome, RetentionRequest
from app.retention.reviewers import require_reviewer
from app.timeutil import utcnow

MAX_REASON = 2000


def open_request(
    viewer: InvestigationViewer, kind: RequestKind, target_id: str, label: str, reason: str
) -> RetentionRequest:
    """Record the request (one pending per kind and target); the caller commits."""
    require_reviewer(viewer)
    reason = (reason or "").strip()
    if not reason:
        raise RetentionError(_("Say why."), field="reason")
    if len(reason) > MAX_REASON:
        raise RetentionError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    waiting = db.session.scalar(
        select(RetentionRequest).where(
            RetentionRequest.kind == kind.value,
            RetentionRequest.target_id == target_id,
            RetentionRequest.outcome.is_(None),
        )
    )
    if waiting is not None:
        raise RetentionError(_("The same request already waits for a second person."))
    request = RetentionRequest(
        investigation_id=viewer.investigation.id,
        kind=kind.value,
        target_id=target_id,
        target_label=label,
        reason=reason,
        requested_by_id=viewer.user.id,
        requested_at=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    record_event(
        "retention.requested",
        actor=viewer.user,
        target=request,
        details={"investigation": viewer.investigation.reference, "kind": kind.value},
    )
    return request


def decidable(viewer: InvestigationViewer, request_id: str) -> RetentionRequest:
    """The pending request, if this viewer may decide it: never the person who asked."""
    require_reviewer(viewer)
    request = db.session.scalar(
        select(RetentionRequest).where(
            RetentionRequest.id == request_id,
            RetentionRequest.investigation_id == viewer.investigation.id,
        )
    )
    if request is None or not request.pending:
        raise RetentionError(_("This request is no longer waiting (decided or withdrawn)."))
    if request.requested_by_id == viewer.user.id:
        raise SecondPersonRequired(
            _("You asked for this: a second person, another reviewer, must approve it.")
        )
    return request


def close(request: RetentionRequest, viewer: InvestigationViewer, outcome: RequestOutcome) -> None:
    request.outcome = outcome.value
    request.decided_by_id = viewer.user.id
    request.decided_at = utcnow()
    record_event(
        f"retention.{outcome.value}",
        actor=viewer.user,
        target=request,
        details={
            "investigation": viewer.investigation.reference,
            "kind": request.kind,
            "requested_by": request.requested_by_id,
        },
    )


def requests_of(viewer: InvestigationViewer, pending: bool) -> list[RetentionRequest]:
    require_reviewer(viewer)
    waiting = RetentionRequest.outcome.is_(None)
    stmt = (
        select(RetentionRequest)
        .where(RetentionRequest.investigation_id == viewer.investigation.id)
        .where(waiting if pending else ~waiting)
        .order_by(RetentionRequest.requested_at.desc())
    )
    return list(db.session.scalars(stmt))
