"""Each form's validation: a bad value gives its named error, on the page and from the service,
and nothing at all is stored."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.errors import IntakeValidationError
from app.intake.models import ConsentRecord, Incident, Interview, Witness
from app.intake.services.incidents import create_incident
from app.timeutil import utcnow
from tests.helpers.web import post_form
from tests.intake.builders import consent_input, incident_input, make_witness
from tests.intake.helpers import (
    count,
    incident_form,
    interview_form,
    messages,
    shows_error,
    witness_form,
)

FUTURE = (utcnow().date() + timedelta(days=3)).isoformat()

# (form overrides, service overrides, the named error)
INCIDENT_CASES = {
    "date in the future": (
        {"start_date": FUTURE},
        {"start_date": date.fromisoformat(FUTURE)},
        "date_in_future",
    ),
    "range end before start": (
        {"time_certainty": "range", "start_date": "2016-04-27", "end_date": "2016-04-20"},
        {"time_certainty": "range", "end_date": date(2016, 4, 20)},
        "range_end_before_start",
    ),
    "range end in the future": (
        {"time_certainty": "range", "end_date": FUTURE},
        {"time_certainty": "range", "end_date": date.fromisoformat(FUTURE)},
        "date_in_future",
    ),
    "range without end": (
        {"time_certainty": "range"},
        {"time_certainty": "range"},
        "range_end_required",
    ),
    "exact without time": (
        {"time_certainty": "exact"},
        {"time_certainty": "exact"},
        "time_required",
    ),
    "latitude above 90": ({"latitude": "90.5"}, {"latitude": 90.5}, "latitude_out_of_range"),
    "latitude below -90": ({"latitude": "-91"}, {"latitude": -91.0}, "latitude_out_of_range"),
    "latitude not a number": (
        {"latitude": "nan"},
        {"latitude": float("nan")},
        "latitude_out_of_range",
    ),
    "longitude above 180": (
        {"longitude": "180.01"},
        {"longitude": 180.01},
        "longitude_out_of_range",
    ),
    "longitude below -180": (
        {"longitude": "-200"},
        {"longitude": -200.0},
        "longitude_out_of_range",
    ),
    "latitude without longitude": (
        {"longitude": ""},
        {"longitude": None},
        "coordinates_incomplete",
    ),
    "negative precision": ({"precision_m": "-5"}, {"precision_m": -5}, "precision_negative"),
    "negative killed": ({"killed": "-1"}, {"killed": -1}, "negative_casualties"),
    "negative injured": ({"injured": "-20"}, {"injured": -20}, "negative_casualties"),
    "absurd casualty count": (
        {"killed": "99999999999"},
        {"killed": 99_999_999_999},
        "number_too_large",
    ),
    "no place": ({"place_name": "  "}, {"place_name": ""}, "required"),
    "no weapon": ({"weapon_code": ""}, {"weapon_code": None}, "required"),
    "unknown target": (
        {"target_codes": ["moon_base"]},
        {"target_codes": ["moon_base"]},
        "unknown_target",
    ),
}


@pytest.mark.parametrize("case", INCIDENT_CASES, ids=list(INCIDENT_CASES))
def test_incident_service_names_the_error_and_stores_nothing(world, case):
    _, overrides, code = INCIDENT_CASES[case]
    with pytest.raises(IntakeValidationError) as raised:
        create_incident(world.investigation, world.field_a, incident_input(**overrides))
    assert code in raised.value.codes
    assert count(Incident) == 0


@pytest.mark.parametrize("case", INCIDENT_CASES, ids=list(INCIDENT_CASES))
def test_incident_form_shows_the_named_error_and_stores_nothing(world, client_for, case):
    overrides, _, code = INCIDENT_CASES[case]
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    response = post_form(client, url, incident_form(**overrides), page=url)
    assert response.status_code == 400
    assert shows_error(response, code)
    assert count(Incident) == 0


def test_a_valid_incident_is_stored_once_even_if_the_form_is_sent_twice(world, client_for):
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    data = incident_form(
        time_certainty="exact", start_time="14:30", perpetrators="Air force\nair FORCE\nMilitia"
    )
    first = post_form(client, url, data, page=url)
    again = post_form(client, url, data, page=url)  # the answer was lost; the phone retries
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Incident) == 1
    stored = db.session.scalar(select(Incident))
    assert stored.occurred_from.time() == time(14, 30)
    assert list(stored.perpetrators) == ["Air force", "Militia"]
    assert [t.code for t in stored.targets] == ["medical_facility"]


WITNESS_CASES = {
    "no risk level": ({"risk_level": ""}, "risk_level", "required"),
    "date of birth not a date": (
        {"date_of_birth": "last spring"},
        "date_of_birth",
        "invalid_date_of_birth",
    ),
    "date of birth in the future": (
        {"date_of_birth": FUTURE},
        "date_of_birth",
        "invalid_date_of_birth",
    ),
    "date of birth impossible": (
        {"date_of_birth": "1990-02-30"},
        "date_of_birth",
        "invalid_date_of_birth",
    ),
    "consent language missing": ({"consent_language": ""}, "consent_language", "required"),
    "consent date in the future": (
        {"consent_obtained_on": FUTURE},
        "consent_obtained_on",
        "date_in_future",
    ),
    "name too long": ({"full_name": "x" * 201}, "full_name", "too_long"),
}


@pytest.mark.parametrize("case", WITNESS_CASES, ids=list(WITNESS_CASES))
def test_witness_form_shows_the_named_error_and_stores_nothing(world, client_for, case):
    overrides, _, code = WITNESS_CASES[case]
    client = client_for(world.field_a)
    url = world.url("/witnesses/new")
    response = post_form(client, url, witness_form(**overrides), page=url)
    assert response.status_code == 400
    assert shows_error(response, code)
    assert count(Witness) == 0
    assert count(ConsentRecord) == 0


def test_consent_form_without_language_records_nothing(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url(f"/witnesses/{witness.id}/consent")
    data = {"consent_interview": "y", "consent_obtained_on": "2016-06-01", "consent_language": ""}
    data["consent_obtained_by_id"] = world.field_a.id
    response = post_form(client, url, data, page=url)
    assert response.status_code == 400
    assert shows_error(response, "required")
    assert count(ConsentRecord) == 1  # only the first, from registration


INTERVIEW_CASES = {
    "date in the future": ({"conducted_on": FUTURE}, "date_in_future"),
    "no witness": ({"witness": ""}, "required"),
    "transcript far too long": ({"transcript": "x" * 1_000_001}, "too_long"),
}


@pytest.mark.parametrize("case", INTERVIEW_CASES, ids=list(INTERVIEW_CASES))
def test_interview_form_shows_the_named_error_and_stores_nothing(world, client_for, case):
    overrides, code = dict(INTERVIEW_CASES[case][0]), INTERVIEW_CASES[case][1]
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    witness_id = overrides.pop("witness", witness.id)
    response = post_form(client, url, interview_form(witness_id, **overrides), page=url)
    assert response.status_code == 400
    assert shows_error(response, code), messages(response)
    assert count(Interview) == 0


def test_sealing_without_consent_to_interview_is_refused_with_its_reason(world, client_for):
    witness = make_witness(
        world.investigation, world.field_a, consent=consent_input(interview=False)
    )
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    response = post_form(client, url, interview_form(witness.id), page=url)
    assert response.status_code == 302
    interview_url = response.headers["Location"]
    seal = post_form(client, f"{interview_url}/seal", {"confirm": "y"}, page=interview_url)
    assert seal.status_code == 400
    assert shows_error(seal, "no_interview_consent")
    assert db.session.scalar(select(Interview.status)) == "draft"
