"""An "other" target type with a note saying what it was (issue 18, item 9): the note is needed
with "other" and refused without it, kept sealed like the description, and read the same way on
the incident's page, the list, the timeline, the API and the case-file export's report."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.intake.errors import IntakeValidationError
from app.intake.models import Incident
from app.intake.target_labels import target_labels
from tests.helpers.web import post_form
from tests.intake.builders import make_incident
from tests.intake.helpers import incident_form, shows_error

NOTE = "Bakery on the square"


def test_other_with_a_note_reads_as_what_it_was(world):
    incident = make_incident(
        world.investigation, world.field_a, target_codes=["school", "other"], target_note=NOTE
    )
    assert target_labels(incident) == ["School", f"Other: {NOTE}"]


@pytest.mark.parametrize(
    "codes,note,error",
    [
        (["other"], "", "required"),
        (["other"], "x" * 201, "too_long"),
        (["school"], NOTE, "target_note_without_other"),
    ],
)
def test_the_note_goes_with_other_and_only_with_it(world, codes, note, error):
    with pytest.raises(IntakeValidationError) as refused:
        make_incident(world.investigation, world.field_a, target_codes=codes, target_note=note)
    assert ("target_note", error) in {(e.field, e.code) for e in refused.value.errors}
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_the_note_is_sealed_at_rest(world):
    incident = make_incident(
        world.investigation, world.field_a, target_codes=["other"], target_note=NOTE
    )
    raw = db.session.execute(
        sa.text("SELECT target_note FROM incidents WHERE id = :id"), {"id": incident.id}
    ).scalar()
    assert raw and NOTE.encode() not in bytes(raw)


def test_through_the_pages_the_note_shows_on_the_incident_list_and_timeline(world, client_for):
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    response = post_form(
        client, url, incident_form(target_codes=["other"], target_note=NOTE), page=url
    )
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Other: {NOTE}" in detail
    for path in ("/incidents", "/incidents/timeline"):
        page = client.get(world.url(path))
        assert page.status_code == 200, path
        assert f"Other: {NOTE}" in page.get_data(as_text=True), path


def test_a_note_without_other_is_refused_on_the_form(world, client_for):
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    response = post_form(client, url, incident_form(target_note=NOTE), page=url)
    assert response.status_code == 400
    assert shows_error(response, "target_note_without_other")
    assert NOTE in response.get_data(as_text=True)  # what was typed comes back
