"""Intake views, split by concern; importing this module registers them on the blueprint."""

from app.intake.routes import (  # noqa: F401
    evidence_links,
    incident_map,
    incidents,
    interview_media,
    interviews,
    refusals,
    translations,
    witnesses,
)
