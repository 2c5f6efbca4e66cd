"""Interviews and testimony: drafts (create, replace), sealing, addenda, evidence links.

Field staff see and change only their own interviews (404 for anyone else's, as for one that
does not exist); sealed testimony never changes (409 testimony_sealed). Both rules are the
intake services', raised as their exceptions and mapped in app/api/errors.py.
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload, undefer_group

from app.api import bp
from app.api.errors import ApiError
from app.api.pagination import page_request, paginated, window
from app.api.routes.reasons import api_reason
from app.api.routes.receipts import receipt_page
from app.api.routes.responses import created, ok
from app.api.schemas.fields import json_body, safe_query_text
from app.api.schemas.interviews import addendum_text, interview_input, link_input
from app.extensions import db
from app.intake import receipt_lists
from app.intake.errors import IntakePermissionError, SealedTestimonyError
from app.intake.models import Addendum, Interview, InterviewEvidence, InterviewStatus
from app.intake.models.interviews import TESTIMONY_GROUP
from app.intake.receipts import INTERVIEW_RECEIPT_LOAD
from app.intake.services import search, testimony_lists
from app.intake.services.interviews import (
    create_interview,
    link_evidence,
    unlink_evidence,
    update_interview,
)
from app.intake.services.reads import record_testimony_read
from app.intake.services.sealing import add_addendum, seal_testimony
from app.intake.views import interview_view
from app.intake.visibility import (
    interview_or_404,
    may_add_addendum,
    may_edit_interview,
    may_see_interpreter_identity,
)
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only

STATUSES = tuple(status.value for status in InterviewStatus)


def load_interview(viewer: InvestigationViewer, interview_id: str) -> Interview:
    return interview_or_404(
        viewer,
        interview_id,
        undefer_group(TESTIMONY_GROUP),
        joinedload(Interview.witness),
        selectinload(Interview.incidents),
        selectinload(Interview.evidence_links).joinedload(InterviewEvidence.evidence),
        selectinload(Interview.addenda).joinedload(Addendum.author),
    )


def editable(viewer: InvestigationViewer, interview_id: str) -> Interview:
    """The interview, if the viewer may change it now: refusals come before reading a body,
    as on the website (403 for a reviewer, 409 once sealed, then the body's own problems)."""
    record = load_interview(viewer, interview_id)
    if not may_edit_interview(viewer, record):
        raise IntakePermissionError("only the author of a testimony may change it")
    if record.is_sealed:
        raise SealedTestimonyError()
    return record


def testimony(viewer: InvestigationViewer, interview_id: str) -> dict:
    """The interview as stored now (re-read after a change, so the answer shows the result)."""
    db.session.expire_all()
    if intake_only():
        return receipt(viewer, interview_id)
    record = load_interview(viewer, interview_id)
    return interview_view(record, may_see_interpreter_identity(viewer, record))


def receipt(viewer: InvestigationViewer, interview_id: str) -> dict:
    """On an intake-only node: the receipt, from the columns its database role may read."""
    return interview_view(interview_or_404(viewer, interview_id, *INTERVIEW_RECEIPT_LOAD))


def interview_location(reference: str, interview_id: str) -> str:
    return url_for("api.interview", reference=reference, interview_id=interview_id)


def interview_filters() -> dict[str, str]:
    """The list's query filters; a status other than draft or sealed is refused (400)."""
    status = safe_query_text("status", 16)
    if status and status not in STATUSES:
        raise ApiError(
            400,
            "invalid_query",
            "Some query parameters are not valid.",
            {"status": [{"code": "invalid_choice", "message": "Use draft or sealed."}]},
        )
    return {
        "status": status,
        "witness_id": safe_query_text("witness_id", 64),
        "incident_id": safe_query_text("incident_id", 64),
    }


@bp.get("/investigations/<reference>/interviews")
def interviews(reference: str):
    viewer = viewer_for(reference)
    filters = interview_filters()
    wanted = page_request()
    if intake_only():
        return ok(receipt_page(receipt_lists.interview_receipts(viewer, wanted.page)))

    def fetch(number: int):
        page = testimony_lists.list_interviews(viewer, **filters, page=number)
        return page.items, page.total

    items, total = window(fetch, search.PER_PAGE, wanted)
    query = {name: value for name, value in filters.items() if value}
    return ok(paginated(items, total, wanted, query))


@bp.post("/investigations/<reference>/interviews")
def new_interview(reference: str):
    viewer = viewer_for(reference)
    data, client_id = interview_input(json_body(), new=True)
    record = create_interview(viewer.investigation, current_user, data, client_id=client_id)
    db.session.commit()
    return created(testimony(viewer, record.id), interview_location(reference, record.id))


@bp.get("/investigations/<reference>/interviews/<interview_id>")
def interview(reference: str, interview_id: str):
    """The testimony: a read recorded on the access log (X-Access-Reason states why)."""
    viewer = viewer_for(reference)
    reason = api_reason()
    if intake_only():
        return ok(receipt(viewer, interview_id))  # no testimony read: none can be read here
    record = load_interview(viewer, interview_id)
    record_testimony_read(viewer, record, reason, channel="api")
    return ok(interview_view(record, may_see_interpreter_identity(viewer, record)))


@bp.put("/investigations/<reference>/interviews/<interview_id>")
def replace_interview(reference: str, interview_id: str):
    """Save the whole draft again (continue later); sealed testimony answers 409."""
    viewer = viewer_for(reference)
    record = editable(viewer, interview_id)
    data, _ = interview_input(json_body(), new=False)
    update_interview(record, current_user, data)
    db.session.commit()
    return ok(testimony(viewer, interview_id))


@bp.post("/investigations/<reference>/interviews/<interview_id>/seal")
def seal_interview(reference: str, interview_id: str):
    """Submit: seal the testimony; its content hash goes into the custody ledger."""
    viewer = viewer_for(reference)
    record = editable(viewer, interview_id)
    json_body(optional=True)  # nothing to send; a body that is there must still be JSON
    seal_testimony(record, current_user)
    db.session.commit()
    return ok(testimony(viewer, interview_id))


@bp.post("/investigations/<reference>/interviews/<interview_id>/addenda")
def add_interview_addendum(reference: str, interview_id: str):
    """A correction to sealed testimony, sealed with its own hash; the original stays."""
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    if not may_add_addendum(viewer, record):
        raise IntakePermissionError("you may not add to this testimony")
    text = addendum_text(json_body())
    added_id = add_addendum(record, current_user, text).id
    db.session.commit()
    view = testimony(viewer, interview_id)
    added = next(item for item in view["addenda"] if item["id"] == added_id)
    return created(added, interview_location(reference, interview_id))


@bp.post("/investigations/<reference>/interviews/<interview_id>/evidence")
def link_interview_evidence(reference: str, interview_id: str):
    """Attach one of the user's own uploads (recording or attachment) to a draft."""
    viewer = viewer_for(reference)
    record = editable(viewer, interview_id)
    evidence_id, role = link_input(json_body())
    link_evidence(record, current_user, evidence_id, role)
    db.session.commit()
    return ok(testimony(viewer, interview_id))


@bp.delete("/investigations/<reference>/interviews/<interview_id>/evidence/<evidence_id>")
def unlink_interview_evidence(reference: str, interview_id: str, evidence_id: str):
    """Detach a file from a draft; the evidence item itself stays in the vault."""
    viewer = viewer_for(reference)
    record = editable(viewer, interview_id)
    unlink_evidence(record, current_user, evidence_id)
    db.session.commit()
    return ok(testimony(viewer, interview_id))
