"""Who sees what, through the intake pages: field staff see their own witnesses and testimony
only (404 for the rest, whatever id they guess); lawyers who are members see all; every member
sees every incident; non-members get 404 for everything."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.models import Interview, InterviewEvidence
from app.intake.services import search
from app.intake.services.sealing import seal_testimony
from app.investigations.viewer import viewer_of
from tests.helpers.web import post_form
from tests.intake.builders import evidence_row, make_incident, make_interview, make_witness
from tests.intake.helpers import interview_form, shows_error


@pytest.fixture
def records(world):
    """Field worker B's incident, witness and testimony (one draft, one sealed)."""
    incident = make_incident(world.investigation, world.field_b, place_name="Maarat al-Numan")
    witness = make_witness(world.investigation, world.field_b)
    draft = make_interview(world.investigation, world.field_b, witness, incidents=[incident])
    sealed = make_interview(world.investigation, world.field_b, witness, incidents=[incident])
    seal_testimony(sealed, world.field_b)
    db.session.commit()
    return {"incident": incident, "witness": witness, "draft": draft, "sealed": sealed}


def b_paths(records) -> list[str]:
    witness, draft, sealed = records["witness"], records["draft"], records["sealed"]
    return [
        f"/witnesses/{witness.id}",
        f"/witnesses/{witness.id}/edit",
        f"/witnesses/{witness.id}/consent",
        f"/interviews/{draft.id}",
        f"/interviews/{draft.id}/edit",
        f"/interviews/{draft.id}/seal",
        f"/interviews/{sealed.id}",
    ]


def test_field_staff_cannot_list_another_field_workers_witnesses_or_testimony(
    world, client_for, records
):
    client = client_for(world.field_a)
    for path in ("/witnesses", "/interviews", f"/incidents/{records['incident'].id}"):
        page = client.get(world.url(path)).get_data(as_text=True)
        assert records["witness"].code not in page, path
        assert records["draft"].id not in page and records["sealed"].id not in page, path


def test_field_staff_get_404_for_another_field_workers_records_by_id(world, client_for, records):
    client = client_for(world.field_a)
    for path in b_paths(records):
        assert client.get(world.url(path)).status_code == 404, path


def test_guessed_ids_in_crafted_posts_answer_404_and_change_nothing(world, client_for, records):
    client = client_for(world.field_a)
    draft = records["draft"]
    posts = [
        (f"/witnesses/{records['witness'].id}/consent", {"consent_language": "Arabic"}),
        (f"/interviews/{draft.id}/edit", interview_form(records["witness"].id)),
        (f"/interviews/{draft.id}/seal", {"confirm": "y"}),
        (f"/interviews/{records['sealed'].id}/addenda", {"text": "Not mine to add."}),
    ]
    for path, data in posts:
        assert post_form(client, world.url(path), data).status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Interview, draft.id).status == "draft"


def test_field_staff_cannot_record_testimony_against_another_workers_witness(
    world, client_for, records
):
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    data = interview_form(records["witness"].id)
    data["interviewer_id"] = world.field_a.id
    response = post_form(client, url, data, page=url)
    assert response.status_code == 400
    assert shows_error(response, "unknown_witness")


def test_field_staff_cannot_attach_another_workers_upload(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    theirs = evidence_row(world.investigation, world.field_b)
    client = client_for(world.field_a)
    page = world.url(f"/interviews/{interview.id}")
    assert theirs.id not in client.get(page).get_data(as_text=True)  # not offered
    post_form(
        client,
        world.url(f"/interviews/{interview.id}/evidence"),
        {"evidence_id": theirs.id, "role": "attachment"},
        page=page,
    )
    assert db.session.scalar(select(InterviewEvidence)) is None


def test_every_member_sees_every_incident(world, client_for, records):
    for user in (world.field_a, world.lawyer):
        client = client_for(user)
        assert "Maarat al-Numan" in client.get(world.url("/incidents")).get_data(as_text=True)
        assert client.get(world.url(f"/incidents/{records['incident'].id}")).status_code == 200


def test_a_lawyer_member_sees_all_witnesses_and_testimony(world, client_for, records):
    client = client_for(world.lawyer)
    listing = client.get(world.url("/interviews")).get_data(as_text=True)
    assert records["draft"].id in listing and records["sealed"].id in listing
    assert records["witness"].code in client.get(world.url("/witnesses")).get_data(as_text=True)
    for path in (f"/witnesses/{records['witness'].id}", f"/interviews/{records['sealed'].id}"):
        assert client.get(world.url(path)).status_code == 200


def test_non_members_get_404_for_everything(world, client_for, records):
    client = client_for(world.outsider)
    for path in ["/incidents", "/witnesses", "/interviews", *b_paths(records)]:
        assert client.get(world.url(path)).status_code == 404, path


def test_testimony_counts_on_incidents_only_count_what_the_viewer_may_see(world, records):
    mine = make_witness(world.investigation, world.field_a)
    make_interview(world.investigation, world.field_a, mine, incidents=[records["incident"]])
    counts = {}
    for user in (world.field_a, world.field_b, world.lawyer):
        viewer = viewer_of(world.investigation, user)
        (row,) = search.search_incidents(viewer, search.IncidentFilters()).items
        counts[user.name] = row.testimony_count
    assert counts == {"Field Worker A": 1, "Field Worker B": 2, "Lawyer Plain": 3}
