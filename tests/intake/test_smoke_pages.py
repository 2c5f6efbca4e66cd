"""Every intake page answers for its owner: a quick end-to-end pass over the whole flow."""

from __future__ import annotations

from tests.helpers.web import post_form
from tests.intake.builders import make_incident, make_interview, make_witness


def test_every_intake_page_renders_for_the_owner(world, client_for):
    incident = make_incident(world.investigation, world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, incidents=[incident])
    client = client_for(world.field_a)
    for path in (
        "/incidents",
        "/incidents/new",
        f"/incidents/{incident.id}",
        f"/incidents/{incident.id}/edit",
        "/incidents/map",
        "/incidents/map.json",
        "/incidents/timeline",
        "/witnesses",
        "/witnesses/new",
        f"/witnesses/{witness.id}",
        f"/witnesses/{witness.id}/edit",
        f"/witnesses/{witness.id}/consent",
        "/interviews",
        "/interviews/new",
        f"/interviews/{interview.id}",
        f"/interviews/{interview.id}/edit",
        f"/interviews/{interview.id}/seal",
    ):
        response = client.get(world.url(path))
        assert response.status_code == 200, (path, response.status_code)
    sealed = post_form(
        client,
        world.url(f"/interviews/{interview.id}/seal"),
        {"confirm": "y"},
        page=world.url(f"/interviews/{interview.id}/seal"),
    )
    assert sealed.status_code == 302, sealed.get_data(as_text=True)[-2000:]
    assert client.get(world.url(f"/interviews/{interview.id}")).status_code == 200
