"""The witness and interview lists: by code alone, within what the viewer may see, a fixed
number of queries whatever their length (the incident lists are in search.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.intake.models import (
    ConsentRecord,
    Interview,
    InterviewStatus,
    RiskLevel,
    Witness,
    interview_incidents,
)
from app.intake.services.search import LABEL_LOAD, PER_PAGE, Page, page_number
from app.intake.textinput import clean_line, looks_like_row_id
from app.intake.views import interview_summary, witness_view
from app.intake.visibility import visible_interview_ids, visible_interviews, visible_witnesses
from app.investigations.viewer import InvestigationViewer


def list_witnesses(
    viewer: InvestigationViewer, q: str = "", risk_level: str = "", page: int = 1
) -> Page[dict[str, Any]]:
    """The witnesses the viewer may see, newest code first, by code alone.

    A list never carries identities, even to members with the grant: an identity is revealed
    one witness at a time with a stated reason, which the access log records.
    """
    page = page_number(page)
    interview_count = (
        select(func.count())
        .select_from(Interview)
        .where(Interview.witness_id == Witness.id, Interview.id.in_(visible_interview_ids(viewer)))
        .correlate(Witness)
        .scalar_subquery()
    )
    stmt = visible_witnesses(select(Witness, interview_count.label("interviews")), viewer)
    q = clean_line(q)[:40]
    if q:
        stmt = stmt.where(Witness.code.icontains(q, autoescape=True))
    if risk_level in tuple(RiskLevel):
        stmt = stmt.where(Witness.risk_level == risk_level)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    options = [
        selectinload(Witness.consent_records).options(
            joinedload(ConsentRecord.obtained_by), joinedload(ConsentRecord.recorded_by)
        ),
        joinedload(Witness.created_by),
    ]
    stmt = (
        stmt.options(*options)
        .order_by(Witness.number.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    items = []
    for witness, count in db.session.execute(stmt):
        view = witness_view(witness, None)
        view["interview_count"] = int(count or 0)
        items.append(view)
    return Page(items=items, total=int(total or 0), page=page, per_page=PER_PAGE)


def list_interviews(
    viewer: InvestigationViewer,
    status: str = "",
    witness_id: str = "",
    incident_id: str = "",
    page: int = 1,
) -> Page[dict[str, Any]]:
    """The interviews the viewer may see (field staff: their own), newest first."""
    page = page_number(page)
    stmt = visible_interviews(select(Interview), viewer)
    if status in tuple(InterviewStatus):
        stmt = stmt.where(Interview.status == status)
    if witness_id:
        stmt = stmt.where(
            Interview.witness_id == witness_id if looks_like_row_id(witness_id) else false()
        )
    if incident_id and not looks_like_row_id(incident_id):
        stmt = stmt.where(false())
    elif incident_id:
        stmt = stmt.where(
            Interview.id.in_(
                select(interview_incidents.c.interview_id).where(
                    interview_incidents.c.incident_id == incident_id
                )
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    stmt = (
        stmt.options(
            joinedload(Interview.witness),
            joinedload(Interview.interviewer),
            joinedload(Interview.created_by),
            joinedload(Interview.sealed_by),
            selectinload(Interview.incidents).options(LABEL_LOAD),
        )
        .order_by(Interview.conducted_on.desc(), Interview.created_at.desc(), Interview.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    items = [interview_summary(interview) for interview in db.session.scalars(stmt).unique()]
    return Page(items=items, total=int(total or 0), page=page, per_page=PER_PAGE)
