"""Witness identities reach a page only for members with `may_see_identities`, and never a log.

The lawyer without the flag walks every page they can reach, following every link from the
investigations list (and every data-*-url the pages' scripts would fetch), plus every GET route
of the app filled with the ids of this world; no identity string may appear anywhere.
"""

from __future__ import annotations

import html
import logging
import re

import pytest
from sqlalchemy import text

from app.extensions import db
from app.intake.models import Witness
from app.intake.services.sealing import add_addendum, seal_testimony
from tests.helpers.web import post_form
from tests.intake.builders import make_incident, make_interview
from tests.intake.helpers import witness_form

IDENTITY = {
    "full_name": "Zaynab Qahtani-Oumeiri",
    "date_of_birth": "1983-07-14",
    "contact": "+963 944 123 456",
    "current_location": "Atmeh camp, tent 4471",
}
LINK_RE = re.compile(r'(?:href|data-[a-z-]*url)="(/[^"#]*)"')
# Account pages show no investigation content, and visiting the sign-in page signs out.
NEVER_FOLLOW = ("/auth/", "/static/")


@pytest.fixture
def identified_world(world, client_for):
    """A witness registered through the form by field worker A, with testimony about them."""
    client = client_for(world.field_a)
    url = world.url("/witnesses/new")
    response = post_form(client, url, witness_form(**IDENTITY), page=url)
    assert response.status_code == 302
    witness_id = response.headers["Location"].rsplit("/", 1)[1]
    witness = db.session.get(Witness, witness_id)
    incident = make_incident(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, incidents=[incident])
    seal_testimony(interview, world.field_a)
    add_addendum(interview, world.field_a, "Correction: the second strike came first.")
    db.session.commit()
    return {"witness": witness, "incident": incident, "interview": interview}


def crawl(client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every page reachable by GET from `start` through same-site links: {path: body}."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = html.unescape(queue.pop(0))
        if path in seen or path.startswith(NEVER_FOLLOW):
            continue
        response = client.get(path)
        body = response.get_data(as_text=True)
        seen[path] = body
        queue.extend(LINK_RE.findall(body))
    return seen


def every_get_route(app, values: dict[str, str]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<{name}>", value)
        if "<" not in path:
            paths.append(path)
    return paths


def leaked(pages: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (path, name)
        for path, body in pages.items()
        for name, value in IDENTITY.items()
        if value in html.unescape(body)
    ]


def test_a_lawyer_without_the_flag_never_sees_an_identity_on_any_page(
    app, world, client_for, identified_world
):
    client = client_for(world.lawyer)
    values = {
        "reference": world.ref,
        "witness_id": identified_world["witness"].id,
        "interview_id": identified_world["interview"].id,
        "incident_id": identified_world["incident"].id,
    }
    pages = crawl(client, ["/", "/investigations/", *every_get_route(app, values)])
    witness_page = world.url(f"/witnesses/{identified_world['witness'].id}")
    assert witness_page in pages and identified_world["witness"].code in pages[witness_page]
    assert len(pages) > 15
    assert leaked(pages) == []


def test_the_field_worker_who_registered_them_cannot_read_the_identity_back(
    world, client_for, identified_world
):
    client = client_for(world.field_a)
    pages = crawl(client, ["/investigations/", world.url("/witnesses")])
    assert leaked(pages) == []
    edit = client.get(world.url(f"/witnesses/{identified_world['witness'].id}/edit"))
    assert "recorded (hidden)" in edit.get_data(as_text=True)


def test_a_lawyer_with_the_flag_sees_the_identity_once_they_say_why(
    world, client_for, identified_world
):
    client = client_for(world.lawyer_identities)
    witness_url = world.url(f"/witnesses/{identified_world['witness'].id}")
    page = html.unescape(client.get(witness_url).get_data(as_text=True))
    assert not [value for value in IDENTITY.values() if value in page]
    assert "Reveal identity" in page
    listing = html.unescape(client.get(world.url("/witnesses")).get_data(as_text=True))
    assert IDENTITY["full_name"] not in listing  # a list names no one
    reveal = witness_url + "/identity"
    refused = post_form(client, reveal, {"access_reason": ""}, page=reveal)
    assert refused.status_code == 400 and IDENTITY["full_name"] not in refused.get_data(
        as_text=True
    )
    shown = post_form(client, reveal, {"access_reason": "case_review"}, page=reveal)
    body = html.unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and all(value in body for value in IDENTITY.values())


def test_identities_never_reach_the_logs(app, world, client_for, caplog, identified_world):
    caplog.set_level(logging.DEBUG)
    for user in (world.lawyer, world.lawyer_identities, world.field_a):
        crawl(client_for(user), ["/investigations/", world.url("/witnesses")], limit=60)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert text, "the request log should have recorded something"
    assert not [name for name, value in IDENTITY.items() if value in text]


def test_the_identity_is_encrypted_at_rest(world, identified_world):
    raw = db.session.execute(
        text("SELECT full_name, contact, current_location, date_of_birth FROM witnesses")
    ).one()
    for value in raw:
        stored = bytes(value)
        assert all(secret.encode() not in stored for secret in IDENTITY.values())
