"""Evidence tied to incidents through the web: the item page's link and unlink forms, the
incident page's evidence within the viewer's visibility, and refusals that store nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.incident_links import IncidentEvidence
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.helpers.web import error_summary_in, post_form
from tests.intake.builders import evidence_row, make_incident
from tests.intake.helpers import count


@pytest.fixture
def incident(world):
    return make_incident(world.investigation, world.field_a)


def link(world, client, item, incident_id, shows="attack", note=""):
    return post_form(
        client,
        world.url(f"/evidence/{item.id}/incidents"),
        {"incident_id": incident_id, "shows": shows, "note": note},
    )


def ledger(action: str) -> list[dict]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
    )
    return [json.loads(row.body) for row in rows]


def test_linking_from_the_item_page_stores_the_link_and_a_ledger_entry(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    answer = link(world, client_for(world.field_a), item, incident.id, "aftermath")
    assert answer.status_code == 302
    row = db.session.scalar(select(IncidentEvidence))
    assert (row.evidence_id, row.incident_id, row.shows) == (item.id, incident.id, "aftermath")
    [entry] = ledger("linked_to_incident")
    assert entry["object"] == {"type": "evidence", "id": item.id}
    assert entry["details"] == {"incident_id": incident.id, "shows": "aftermath"}


def test_the_note_is_sealed_and_only_its_hash_enters_the_ledger(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    note = "The boy in the red coat, second from the left"
    answer = link(world, client_for(world.field_a), item, incident.id, "other", note)
    assert answer.status_code == 302
    [entry] = ledger("linked_to_incident")
    assert note not in json.dumps(entry)
    assert len(entry["details"]["note_sha256"]) == 64
    raw = db.session.execute(select(IncidentEvidence.__table__.c.note)).scalar_one()
    assert note.encode() not in bytes(raw)


def test_unlinking_removes_the_link_and_is_a_ledger_entry(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    client = client_for(world.field_a)
    link(world, client, item, incident.id)
    answer = post_form(client, world.url(f"/evidence/{item.id}/incidents/{incident.id}/unlink"))
    assert answer.status_code == 302
    assert count(IncidentEvidence) == 0
    [entry] = ledger("unlinked_from_incident")
    assert entry["details"] == {"incident_id": incident.id, "shows": "attack"}


@pytest.mark.parametrize(
    ("incident_id", "shows", "note", "message"),
    [
        ("0" * 8 + "-0000-4000-8000-" + "0" * 12, "attack", "", "Choose incidents of this"),
        ("not-an-id", "attack", "", "Choose incidents of this"),
        (None, "rubble", "", "Say what the file shows"),
        (None, "other", "", "Say in the note what the file shows"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(
    world, client_for, incident, incident_id, shows, note, message
):
    item = evidence_row(world.investigation, world.field_a)
    answer = link(world, client_for(world.field_a), item, incident_id or incident.id, shows, note)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert count(IncidentEvidence) == 0
    assert ledger("linked_to_incident") == []


def test_a_refused_link_comes_back_on_the_item_page_as_it_was_sent(world, client_for, incident):
    """Issue 18: "other" without its note, the note typed is not lost: the item page again, the
    form with the incident and what it shows chosen, the error at its top and beside the note."""
    item = evidence_row(world.investigation, world.field_a)
    client = client_for(world.field_a)
    entries = count(LedgerEntry)
    answer = link(world, client, item, incident.id, "other", "   ")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    form = page[page.index('id="incidents-heading"') :]
    summary = error_summary_in(form, 'id="incidents-heading"')
    assert 'href="#link-note"' in summary and "Say in the note what the file shows" in summary
    assert f'<option value="{incident.id}" selected>' in form
    assert '<option value="other" selected>' in form
    assert 'id="link-note" name="note" maxlength="500" rows="2" aria-invalid="true"' in form
    assert 'aria-describedby="link-note-error"' in form and 'id="link-note-error"' in form
    assert count(IncidentEvidence) == 0
    assert count(LedgerEntry) == entries  # not even a view: the page is only given back
    # A refusal that names no field is said at the top of the form too.
    assert link(world, client, item, incident.id).status_code == 302
    again = link(world, client, item, incident.id, "victims", "the second time")
    summary = error_summary_in(again.get_data(as_text=True), 'id="incidents-heading"')
    assert "already linked to that incident" in summary
    assert "the second time</textarea>" in again.get_data(as_text=True)


def test_another_investigations_incident_is_refused(world, client_for):
    other = InvestigationFactory()
    MembershipFactory(user=world.field_a, investigation=other)
    foreign = make_incident(other, world.field_a)
    item = evidence_row(world.investigation, world.field_a)
    answer = link(world, client_for(world.field_a), item, foreign.id)
    assert answer.status_code == 400
    assert "Choose incidents of this investigation." in answer.get_data(as_text=True)
    assert count(IncidentEvidence) == 0


def test_linking_twice_is_refused(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    client = client_for(world.field_a)
    assert link(world, client, item, incident.id).status_code == 302
    again = link(world, client, item, incident.id, "victims")
    assert again.status_code == 400
    assert "already linked to that incident" in again.get_data(as_text=True)
    assert count(IncidentEvidence) == 1


def test_a_colleague_cannot_link_an_item_they_may_not_see(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    answer = link(world, client_for(world.field_b), item, incident.id)
    assert answer.status_code == 404
    assert count(IncidentEvidence) == 0


def test_a_non_member_gets_404_for_the_link_form(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    answer = link(world, client_for(world.outsider), item, incident.id)
    assert answer.status_code == 404
    assert count(IncidentEvidence) == 0


def test_the_item_page_lists_its_incidents_and_offers_the_form(world, client_for, incident):
    item = evidence_row(world.investigation, world.field_a)
    client = client_for(world.field_a)
    link(world, client, item, incident.id, "weapon_remnant")
    page = client.get(world.url(f"/evidence/{item.id}")).get_data(as_text=True)
    assert f"/incidents/{incident.id}" in page
    assert "A weapon remnant" in page
    assert f"/evidence/{item.id}/incidents/{incident.id}/unlink" in page


# --- The incident page --------------------------------------------------------------------------


def linked_item(world, client_for, incident, user, kind="photo", media_type="image/jpeg"):
    item = evidence_row(world.investigation, user, kind=kind, media_type=media_type)
    assert link(world, client_for(user), item, incident.id).status_code == 302
    return item


def test_the_incident_page_lists_linked_evidence(world, client_for, incident):
    item = linked_item(world, client_for, incident, world.field_a)
    page = client_for(world.lawyer).get(world.url(f"/incidents/{incident.id}"))
    assert page.status_code == 200
    assert f'data-evidence-id="{item.id}"' in page.get_data(as_text=True)


def test_a_colleague_without_visibility_does_not_see_the_item(world, client_for, incident):
    item = linked_item(world, client_for, incident, world.field_a)
    page = client_for(world.field_b).get(world.url(f"/incidents/{incident.id}"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert item.id not in body
    assert "No evidence you can see is linked to this incident yet." in body


def test_file_names_on_the_incident_page_need_the_identity_grant(world, client_for, incident):
    item = linked_item(world, client_for, incident, world.field_a)
    name = item.original_filename
    plain = client_for(world.lawyer).get(world.url(f"/incidents/{incident.id}"))
    cleared = client_for(world.lawyer_identities).get(world.url(f"/incidents/{incident.id}"))
    assert name not in plain.get_data(as_text=True)
    assert name in cleared.get_data(as_text=True)


def test_photos_show_their_thumbnail_and_videos_their_duration(world, client_for, incident):
    from app.vault.models import Derivative

    photo = linked_item(world, client_for, incident, world.field_a)
    thumb = Derivative(
        evidence_id=photo.id,
        investigation_id=photo.investigation_id,
        kind="thumbnail",
        media_type="image/jpeg",
        size=10,
        sha256="a" * 64,
        blob_key="test/thumb-of-photo",
    )
    db.session.add(thumb)
    video = linked_item(world, client_for, incident, world.field_a, "video", "video/mp4")
    video.extracted_metadata = json.dumps({"fields": {"duration_seconds": 65.4}})
    db.session.commit()
    body = client_for(world.lawyer).get(world.url(f"/incidents/{incident.id}")).get_data(True)
    assert f"/evidence/{photo.id}/derivatives/{thumb.id}" in body
    assert '<span class="muted duration">1:05</span>' in body


def test_a_non_member_gets_404_for_the_incident_page(world, client_for, incident):
    linked_item(world, client_for, incident, world.field_a)
    assert client_for(world.outsider).get(world.url(f"/incidents/{incident.id}")).status_code == 404


# --- Filters ------------------------------------------------------------------------------------


def listed_ids(response) -> list[str]:
    import re

    assert response.status_code == 200, response.status_code
    return re.findall(r'/evidence/([0-9a-f-]{36})"', response.get_data(as_text=True))


def test_the_evidence_list_filters_by_incident_and_kind(world, client_for, incident):
    photo = linked_item(world, client_for, incident, world.field_a)
    video = evidence_row(world.investigation, world.field_a)
    client = client_for(world.lawyer)
    by_incident = client.get(world.url(f"/evidence?incident={incident.id}"))
    assert set(listed_ids(by_incident)) == {photo.id}
    by_kind = client.get(world.url("/evidence?kind=video"))
    assert set(listed_ids(by_kind)) == {video.id}
    assert client.get(world.url("/evidence?kind=hologram")).status_code == 400


def test_the_uploader_filter_is_offered_and_allowed_to_lawyers_only(world, client_for):
    mine = evidence_row(world.investigation, world.field_a)
    evidence_row(world.investigation, world.field_b)
    lawyer = client_for(world.lawyer)
    page = lawyer.get(world.url(f"/evidence?uploader={world.field_a.id}"))
    assert set(listed_ids(page)) == {mine.id}
    assert 'name="uploader"' in page.get_data(as_text=True)
    field = client_for(world.field_a)
    assert 'name="uploader"' not in field.get(world.url("/evidence")).get_data(as_text=True)
    refused = field.get(world.url(f"/evidence?uploader={world.field_a.id}"))
    assert refused.status_code == 400
    assert "Only lawyers and leads may filter by uploader." in refused.get_data(as_text=True)


def test_the_date_taken_filter_needs_the_identity_grant(world, client_for):
    taken = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    taken.extracted_metadata = json.dumps({"fields": {"captured_at": "2016-04-27T10:15:00"}})
    evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    db.session.commit()
    query = world.url("/evidence?taken_from=2016-04-27&taken_to=2016-04-27")
    assert set(listed_ids(client_for(world.lawyer_identities).get(query))) == {taken.id}
    assert client_for(world.lawyer).get(query).status_code == 400
    plain_page = client_for(world.lawyer).get(world.url("/evidence")).get_data(as_text=True)
    assert 'name="taken_from"' not in plain_page


def test_a_field_worker_lists_only_their_own_items_whatever_the_filter(world, client_for, incident):
    linked_item(world, client_for, incident, world.field_a)
    page = client_for(world.field_b).get(world.url(f"/evidence?incident={incident.id}"))
    assert listed_ids(page) == []


def test_incident_list_and_map_filter_by_has_photos(world, client_for, incident):
    other = make_incident(world.investigation, world.field_a, place_name="Sarmin")
    linked_item(world, client_for, incident, world.field_a)
    client = client_for(world.lawyer)
    listed = client.get(world.url("/incidents?has_photo=yes")).get_data(as_text=True)
    assert incident.id in listed and other.id not in listed
    without = client.get(world.url("/incidents?has_photo=no")).get_data(as_text=True)
    assert other.id in without and incident.id not in without
    markers = client.get(world.url("/incidents/map.json?has_photo=yes")).get_json()
    assert [(m["id"], m["has_photo"]) for m in markers["markers"]] == [(incident.id, True)]
    # Field worker B may not see A's photo: for B the incident has none.
    for_b = client_for(world.field_b).get(world.url("/incidents?has_photo=yes"))
    assert incident.id not in for_b.get_data(as_text=True)


def test_has_video_counts_a_directly_linked_video(world, client_for, incident):
    linked_item(world, client_for, incident, world.field_a, "video", "video/mp4")
    listed = client_for(world.lawyer).get(world.url("/incidents?has_video=yes"))
    assert incident.id in listed.get_data(as_text=True)


def test_the_timeline_filters_by_has_photos_and_markers_say_has_video(world, client_for, incident):
    other = make_incident(world.investigation, world.field_a, place_name="Sarmin")
    linked_item(world, client_for, incident, world.field_a, "video", "video/mp4")
    client = client_for(world.lawyer)
    timeline = client.get(world.url("/incidents/timeline?has_video=yes")).get_data(as_text=True)
    assert incident.id in timeline and other.id not in timeline
    no_photos = client.get(world.url("/incidents/timeline?has_photo=yes")).get_data(as_text=True)
    assert incident.id not in no_photos
    markers = client.get(world.url("/incidents/map.json")).get_json()["markers"]
    flags = {m["id"]: (m["has_photo"], m["has_video"]) for m in markers}
    assert flags == {incident.id: (False, True), other.id: (False, False)}


def test_the_date_taken_filter_reads_only_the_newest_items_up_to_its_limit(
    world, client_for, monkeypatch
):
    from datetime import timedelta

    import app.vault.reading.evidence as reading

    older = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    older.extracted_metadata = json.dumps({"fields": {"captured_at": "2016-04-27T10:15:00"}})
    older.received_at = older.received_at - timedelta(days=1)
    evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    db.session.commit()
    query = world.url("/evidence?taken_from=2016-04-27&taken_to=2016-04-27")
    client = client_for(world.lawyer_identities)
    assert set(listed_ids(client.get(query))) == {older.id}
    monkeypatch.setattr(reading, "TAKEN_SCAN_LIMIT", 1)
    assert listed_ids(client.get(query)) == []


def _consistency_check(item, findings, minutes_ago):
    from datetime import timedelta

    from app.consistency.models import ConsistencyCheck
    from app.timeutil import utcnow

    db.session.add(
        ConsistencyCheck(
            evidence_id=item.id,
            investigation_id=item.investigation_id,
            result="{}",
            result_sha256="0" * 64,
            findings=findings,
            checked_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )


def test_the_evidence_list_filters_by_has_provenance_findings(world, client_for):
    from app.timeutil import utcnow
    from app.webcapture.models import WebCaptureCheck

    flagged = evidence_row(world.investigation, world.field_a)
    _consistency_check(flagged, 2, minutes_ago=1)
    rechecked = evidence_row(world.investigation, world.field_a)
    _consistency_check(rechecked, 1, minutes_ago=10)
    _consistency_check(rechecked, 0, minutes_ago=1)  # the latest check found nothing
    capture = evidence_row(world.investigation, world.field_a, "web_capture", "application/wacz")
    db.session.add(
        WebCaptureCheck(
            evidence_id=capture.id,
            investigation_id=capture.investigation_id,
            result="{}",
            result_sha256="0" * 64,
            verdict="failed",
            checked_at=utcnow(),
        )
    )
    evidence_row(world.investigation, world.field_a)  # never checked
    db.session.commit()
    query = world.url("/evidence?findings=1")
    page = client_for(world.lawyer).get(query)
    assert set(listed_ids(page)) == {flagged.id, capture.id}
    assert 'name="findings"' in page.get_data(as_text=True)
    assert listed_ids(client_for(world.field_b).get(query)) == []
    assert client_for(world.lawyer).get(world.url("/evidence?findings=maybe")).status_code == 400
