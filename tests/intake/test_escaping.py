"""Hostile text in every intake text field comes back escaped, and SQL metacharacters are
stored and shown exactly as typed."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import inspect, select

from app.extensions import db
from app.intake.models import Addendum, Incident, Interview, Witness
from tests.helpers.web import post_form
from tests.intake.helpers import incident_form, interview_form, witness_form

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "sql": "'; DROP TABLE incidents; --",
}


def fill_everything(world, client_for, payload: str) -> dict[str, str]:
    """Every text field of every intake form, through the forms, as field worker A."""
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    incident = post_form(
        client,
        url,
        incident_form(
            place_name=payload,
            admin_area=payload,
            perpetrators=f"{payload}\nAir force",
            casualties_reported_by=payload,
            description=payload,
        ),
        page=url,
    )
    assert incident.status_code == 302, incident.status_code
    incident_id = incident.headers["Location"].rsplit("/", 1)[1]
    url = world.url("/witnesses/new")
    witness = post_form(
        client,
        url,
        witness_form(
            full_name=payload,
            contact=payload,
            current_location=payload,
            consent_language="Arabic",  # a code of the list since issue 21: no free text
        ),
        page=url,
    )
    assert witness.status_code == 302, witness.status_code
    witness_id = witness.headers["Location"].rsplit("/", 1)[1]
    url = world.url("/interviews/new")
    data = interview_form(
        witness_id,
        place=payload,
        interpreter_present="yes",
        interpreter_code="INT-1",
        interpreter=payload,
        interpreted_from="ar",
        interpreted_to="en",
        transcript=f"{payload}\n{payload}",
        notes=payload,
        incident_ids=[incident_id],
    )
    data["interviewer_id"] = world.field_a.id
    interview = post_form(client, url, data, page=url)
    assert interview.status_code == 302, interview.get_data(as_text=True)
    interview_path = interview.headers["Location"]
    # The draft's own pages, with the text inside form fields, as its author sees them.
    draft_pages = [
        client.get(f"{interview_path}/edit").get_data(as_text=True),
        client.get(f"{interview_path}/seal").get_data(as_text=True),
    ]
    seal = post_form(client, f"{interview_path}/seal", {"confirm": "y"}, page=interview_path)
    assert seal.status_code == 302
    added = post_form(client, f"{interview_path}/addenda", {"text": payload}, page=interview_path)
    assert added.status_code == 302
    return {
        "incident": incident_id,
        "witness": witness_id,
        "interview": interview_path,
        "draft_pages": draft_pages,
    }


def pages(world, ids) -> list[str]:
    return [
        world.url("/incidents"),
        world.url(f"/incidents/{ids['incident']}"),
        world.url(f"/incidents/{ids['incident']}/edit"),
        world.url("/incidents/timeline"),
        world.url("/incidents/map"),
        world.url("/witnesses"),
        world.url(f"/witnesses/{ids['witness']}"),
        world.url(f"/witnesses/{ids['witness']}/edit"),
        world.url(f"/witnesses/{ids['witness']}/consent"),
        world.url("/interviews"),
        ids["interview"],
    ]


@pytest.mark.parametrize("name", ["script", "attribute"])
def test_markup_in_every_text_field_comes_back_escaped(world, client_for, name):
    payload = PAYLOADS[name]
    ids = fill_everything(world, client_for, payload)
    # The lawyer with the identities flag sees every field, identity included.
    client = client_for(world.lawyer_identities)
    shown_somewhere = 0
    responses = {path: client.get(path) for path in pages(world, ids)}
    assert {path: r.status_code for path, r in responses.items() if r.status_code != 200} == {}
    bodies = {path: r.get_data(as_text=True) for path, r in responses.items()}
    bodies.update(enumerate(ids["draft_pages"]))
    for path, body in bodies.items():
        assert payload not in body, path
        assert "<img src=x" not in body and "<script>alert" not in body, path
        shown_somewhere += html.unescape(body).count(payload)
    assert shown_somewhere >= 15


def test_the_map_data_is_json_with_the_text_as_it_was_typed(world, client_for):
    payload = PAYLOADS["script"]
    fill_everything(world, client_for, payload)
    response = client_for(world.lawyer).get(world.url("/incidents/map.json"))
    assert response.mimetype == "application/json"
    (marker,) = response.get_json()["markers"]
    assert marker["place_name"] == payload
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sql_metacharacters_are_stored_and_shown_verbatim(world, client_for):
    payload = PAYLOADS["sql"]
    ids = fill_everything(world, client_for, payload)
    assert "incidents" in inspect(db.engine).get_table_names()
    db.session.expire_all()
    incident = db.session.get(Incident, ids["incident"])
    assert incident.place_name == payload and incident.description == payload
    assert incident.perpetrators[0] == payload
    witness = db.session.get(Witness, ids["witness"])
    assert witness.full_name == payload
    interview = db.session.scalar(select(Interview))
    assert interview.transcript == f"{payload}\n{payload}" and interview.interpreter == payload
    assert db.session.scalar(select(Addendum)).text == payload
    client = client_for(world.lawyer_identities)
    # The witness list and page name no one; the identity is revealed with a stated reason.
    named_nowhere = {world.url("/witnesses"), world.url(f"/witnesses/{ids['witness']}")}
    # The consent page shows no free text since its language became a code (issue 21).
    named_nowhere.add(world.url(f"/witnesses/{ids['witness']}/consent"))
    for path in pages(world, ids):
        if path not in named_nowhere:
            assert payload in html.unescape(client.get(path).get_data(as_text=True)), path
    reveal = world.url(f"/witnesses/{ids['witness']}/identity")
    revealed = post_form(client, reveal, {"access_reason": "case_review"}, page=reveal)
    assert payload in html.unescape(revealed.get_data(as_text=True))
    for body in ids["draft_pages"]:
        assert payload in html.unescape(body)
    # Searching with it is just a search.
    found = client.get(world.url("/incidents"), query_string={"q": payload, "perpetrator": payload})
    assert found.status_code == 200 and payload in html.unescape(found.get_data(as_text=True))
