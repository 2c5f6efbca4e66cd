"""Intake views, split by concern; importing this module registers them on the blueprint."""

from app.intake.routes import incident_map, incidents, interviews, refusals, witnesses  # noqa: F401
