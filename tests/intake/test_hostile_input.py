"""Odd bytes in ids, filters and form fields get a clear answer (404, 400, or an empty result),
never a 500: PostgreSQL refuses NUL bytes outright, so nothing like them may reach a query."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.models import Incident
from tests.helpers.web import post_form
from tests.intake.builders import make_incident, make_interview, make_witness
from tests.intake.helpers import incident_form, interview_form

ODD_IDS = ["%00", "x%00y", "'%3B%20DROP%20TABLE%20witnesses%3B--", "9" * 300, "..%2F..%2Fetc"]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_in_urls_answer_404(world, client_for, odd):
    client = client_for(world.lawyer)
    for kind in ("incidents", "witnesses", "interviews"):
        assert client.get(world.url(f"/{kind}/{odd}")).status_code == 404, kind
        assert client.get(world.url(f"/{kind}/{odd}/edit")).status_code == 404, kind


def test_nul_bytes_in_filters_just_filter(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(world.lawyer)
    odd = {
        "q": "a\x00b",
        "area": "\x00",
        "perpetrator": "\x00",
        "weapon": "\x00",
        "target": "\x00",
        "date_from": "\x00",
    }
    for path in ("/incidents", "/incidents/map.json", "/incidents/timeline", "/incidents/map"):
        assert client.get(world.url(path), query_string=odd).status_code == 200, path
    assert client.get(world.url("/witnesses"), query_string={"q": "\x00"}).status_code == 200
    assert client.get(world.url("/interviews"), query_string={"status": "\x00"}).status_code == 200


def test_nul_bytes_in_form_ids_are_refused_with_a_message(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    data = interview_form("\x00", incident_ids=["\x00"])
    data["interviewer_id"] = "\x00"
    assert post_form(client, url, data, page=url).status_code == 400
    url = world.url("/incidents/new")
    data = incident_form(weapon_code="\x00", target_codes=["\x00"], place_name="Idlib\x00")
    assert post_form(client, url, data, page=url).status_code == 400
    url = world.url(f"/witnesses/{witness.id}/consent")
    data = {"consent_language": "Arabic", "consent_obtained_by_id": "\x00"}
    assert post_form(client, url, data, page=url).status_code == 400
    page = world.url(f"/interviews/{interview.id}")
    for action in ("/evidence", "/evidence/remove"):
        response = post_form(client, f"{page}{action}", {"evidence_id": "\x00"}, page=page)
        assert response.status_code in (302, 400), action


def test_control_characters_are_dropped_from_stored_text(world, client_for):

    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    data = incident_form(place_name="Al\x00-Quds\x07 hospital", description="line one\r\nline two")
    assert post_form(client, url, data, page=url).status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.place_name == "Al-Quds hospital"
    assert incident.description == "line one\nline two"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_intake_pages_have_no_inline_script_or_style_and_fit_a_phone(world, client_for):
    """Strict CSP (script-src 'self', style-src 'self'): nothing inline would run or apply."""
    incident = make_incident(world.investigation, world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, [incident])
    client = client_for(world.field_a)
    for path in (
        "/incidents", "/incidents/new", f"/incidents/{incident.id}",
        f"/incidents/{incident.id}/edit",
        "/incidents/map", "/incidents/timeline", "/witnesses", "/witnesses/new",
        f"/witnesses/{witness.id}", f"/witnesses/{witness.id}/edit",
        f"/witnesses/{witness.id}/consent", "/interviews", "/interviews/new",
        f"/interviews/{interview.id}", f"/interviews/{interview.id}/edit",
        f"/interviews/{interview.id}/seal",
    ):  # fmt: skip
        body = client.get(world.url(path)).get_data(as_text=True)
        assert not INLINE.findall(body), (path, INLINE.findall(body))
        assert 'name="viewport" content="width=device-width' in body
        assert "css/intake.css" in body, path
