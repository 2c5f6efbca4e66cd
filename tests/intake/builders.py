"""Intake records for tests, made through the real services (so they obey the real rules)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from app.extensions import db
from app.intake.services.consent import ConsentInput
from app.intake.services.incidents import IncidentInput, create_incident
from app.intake.services.interviews import InterviewInput, create_interview
from app.intake.services.taxonomy import sync_taxonomies
from app.intake.services.witnesses import WitnessInput, register_witness
from app.vault.models import EvidenceItem

ALL_CONSENT = dict(
    interview=True, legal_proceedings=True, un_sharing=True, publication=True, named=True
)


def incident_input(**overrides) -> IncidentInput:
    values = dict(
        time_certainty="day",
        start_date=date(2016, 4, 27),
        place_name="Al-Quds hospital",
        admin_area="Aleppo",
        latitude=36.2021,
        longitude=37.1343,
        precision_m=50,
        perpetrators=["Air force"],
        weapon_code="guided_bomb",
        target_codes=["medical_facility"],
        killed=55,
        injured=80,
        casualties_reported_by="Civil defence",
        description="Airstrike on the hospital.",
    )
    values.update(overrides)
    return IncidentInput(**values)


def consent_input(**overrides) -> ConsentInput:
    values = dict(ALL_CONSENT, obtained_on=date(2016, 5, 2), language="Arabic")
    values.update(overrides)
    return ConsentInput(**values)


def make_incident(investigation, user, **overrides):
    sync_taxonomies()
    incident = create_incident(investigation, user, incident_input(**overrides))
    db.session.commit()
    return incident


def make_witness(investigation, user, consent: ConsentInput | None = None, **identity):
    data = WitnessInput(risk_level=identity.pop("risk_level", "high"), **identity)
    witness = register_witness(investigation, user, data, consent or consent_input())
    db.session.commit()
    return witness


def make_interview(investigation, user, witness, incidents=(), **overrides):
    values = dict(
        witness_id=witness.id,
        conducted_on=date(2016, 5, 2),
        mode="in_person",
        first_hand=True,
        place="Gaziantep",
        languages=["ar"],
        interpreter_present=False,
        incident_ids=[incident.id for incident in incidents],
        transcript="I saw the second strike hit the entrance.",
        notes="Calm, consistent.",
    )
    values.update(overrides)
    interview = create_interview(investigation, user, InterviewInput(**values))
    db.session.commit()
    return interview


def evidence_row(investigation, user, kind: str = "video", media_type: str = "video/mp4"):
    """An EvidenceItem row as the vault records it (for link and filter tests; no blob read)."""
    content = secrets.token_bytes(32)
    item = EvidenceItem(
        investigation_id=investigation.id,
        kind=kind,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        blob_key=f"test/{secrets.token_hex(16)}",
        original_filename=f"clip-{secrets.token_hex(3)}.mp4",
        uploaded_by_id=user.id,
    )
    db.session.add(item)
    db.session.commit()
    return item
