"""Which incidents an evidence item is tied to: the one place the consistency check asks.

An item reaches an incident directly (incident_evidence: linked on upload, on the item page
or through the API) or through an interview it belongs to (interview_evidence, then
interview_incidents); every check follows both.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.intake.models import Incident, InterviewEvidence
from app.intake.models.interviews import interview_incidents
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem


def incidents_for(item: EvidenceItem) -> list[Incident]:
    """The incidents of the item's own investigation it is tied to, each once, by id."""
    through_interviews = (
        select(interview_incidents.c.incident_id)
        .join(
            InterviewEvidence,
            InterviewEvidence.interview_id == interview_incidents.c.interview_id,
        )
        .where(InterviewEvidence.evidence_id == item.id)
    )
    direct = select(IncidentEvidence.incident_id).where(IncidentEvidence.evidence_id == item.id)
    stmt = (
        select(Incident)
        .where(
            Incident.id.in_(through_interviews.union(direct)),
            Incident.investigation_id == item.investigation_id,
        )
        .order_by(Incident.id)
    )
    return list(db.session.scalars(stmt))
