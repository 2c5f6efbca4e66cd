"""Small helpers shared by the intake tests: counting rows and reading messages."""

from __future__ import annotations

import html
import re
from uuid import uuid4

from sqlalchemy import func, select

from app.extensions import db
from app.intake.errors import FieldError
from tests.helpers.web import page_messages


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


SUMMARY_RE = re.compile(r'class="error-text">([^<]*)<')


def messages(response) -> list[str]:
    """Flash and field messages, and the entries of the error summary at the top of a form."""
    found = page_messages(response) + SUMMARY_RE.findall(response.get_data(as_text=True))
    return [html.unescape(m).strip() for m in found]


def shows_error(response, code: str) -> bool:
    wanted = FieldError("any", code).message
    return any(wanted in message for message in messages(response))


def incident_form(**overrides) -> dict:
    data = {
        "client_id": str(uuid4()),
        "time_certainty": "day",
        "start_date": "2016-04-27",
        "place_name": "Al-Quds hospital",
        "admin_area": "Aleppo",
        "latitude": "36.2021",
        "longitude": "37.1343",
        "precision_m": "50",
        "perpetrators": "Air force\nAllied militia",
        "weapon_code": "guided_bomb",
        "target_codes": ["medical_facility"],
        "killed": "55",
        "injured": "80",
        "casualties_reported_by": "Civil defence",
        "description": "Airstrike on the hospital.",
    }
    data.update(overrides)
    return data


def witness_form(**overrides) -> dict:
    data = {
        "client_id": str(uuid4()),
        "risk_level": "high",
        "full_name": "Amal Example",
        "date_of_birth": "1980",
        "contact": "+90 555 000 0000",
        "current_location": "Gaziantep",
        "consent_interview": "y",
        "consent_legal_proceedings": "y",
        "consent_obtained_on": "2016-05-02",
        "consent_language": "Arabic",
    }
    data.update(overrides)
    return data


def interview_form(witness_id: str, **overrides) -> dict:
    data = {
        "client_id": str(uuid4()),
        "witness_id": witness_id,
        "conducted_on": "2016-05-02",
        "place": "Gaziantep",
        "mode": "in_person",
        "languages": ["ar"],
        "interpreter_present": "no",
        "first_hand": "yes",
        "transcript": "I saw the second strike.",
        "notes": "Consistent.",
        "save": "Save draft",
    }
    data.update(overrides)
    return data
