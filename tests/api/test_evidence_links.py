"""Evidence tied to incidents through the API: link, unlink, the evidence resource's links,
the evidence list's filters and the incident list's has-photo flag."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.incident_links import IncidentEvidence
from tests.api.helpers import assert_conforms, error_of
from tests.intake.builders import evidence_row, make_incident
from tests.intake.helpers import count


def links_path(world, item, rest=""):
    return world.path(f"/evidence/{item.id}/incidents{rest}")


def actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(LedgerEntry.action).order_by(LedgerEntry.seq)))


def test_link_then_unlink_through_the_api(world):
    incident = make_incident(world.investigation, world.field_a)
    item = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    api = world.api(world.field_a)
    linked = api.post(links_path(world, item), {"incident_id": incident.id, "shows": "victims"})
    assert linked.status_code == 201, linked.get_json()
    body = linked.get_json()
    assert_conforms(body, "EvidenceIncidentLinks")
    assert [(x["incident_id"], x["shows"]) for x in body["incidents"]] == [(incident.id, "victims")]
    reason = {"X-Access-Reason": "verification"}
    record = api.get(world.path(f"/evidence/{item.id}"), headers=reason)
    assert record.status_code == 200, record.get_json()
    assert_conforms(record.get_json(), "Evidence")
    assert record.get_json()["incidents"][0]["incident_id"] == incident.id
    unlinked = api.delete(links_path(world, item, f"/{incident.id}"))
    assert unlinked.status_code == 200
    assert unlinked.get_json()["incidents"] == []
    assert count(IncidentEvidence) == 0
    assert [a for a in actions() if "incident" in a and a != "received"] == [
        "linked_to_incident",
        "unlinked_from_incident",
    ]


def test_the_evidence_list_shows_links_and_filters_by_incident_and_kind(world):
    incident = make_incident(world.investigation, world.field_a)
    other = make_incident(world.investigation, world.field_a, place_name="Sarmin")
    photo = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    video = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a)
    api.post(links_path(world, photo), {"incident_id": incident.id, "shows": "aftermath"})
    api.post(links_path(world, video), {"incident_id": other.id, "shows": "attack"})
    listed = api.get(world.path(f"/evidence?incident={incident.id}")).get_json()
    assert [i["id"] for i in listed["items"]] == [photo.id]
    assert listed["items"][0]["incidents"][0]["shows"] == "aftermath"
    videos = api.get(world.path("/evidence?kind=video")).get_json()
    assert [i["id"] for i in videos["items"]] == [video.id]


def test_filtering_by_uploader_is_for_reviewers(world):
    mine = evidence_row(world.investigation, world.field_a)
    evidence_row(world.investigation, world.field_b)
    by_a = world.api(world.lawyer).get(world.path(f"/evidence?uploader={world.field_a.id}"))
    assert [i["id"] for i in by_a.get_json()["items"]] == [mine.id]
    refused = world.api(world.field_a).get(world.path(f"/evidence?uploader={world.field_a.id}"))
    assert refused.status_code == 400
    assert "uploader" in error_of(refused)["fields"]


def test_filtering_by_date_taken_needs_the_identity_grant(world):
    old = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    new = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    old.extracted_metadata = json.dumps({"fields": {"captured_at": "2016-04-27T10:15:00"}})
    new.client_facts = json.dumps({"captured_at": "2019-01-02T08:00:00"})
    db.session.commit()
    query = world.path("/evidence?taken_from=2016-04-01&taken_to=2016-05-01")
    cleared = world.api(world.lawyer_identities).get(query)
    assert [i["id"] for i in cleared.get_json()["items"]] == [old.id]
    assert cleared.get_json()["total"] == 1
    plain = world.api(world.lawyer).get(query)
    assert plain.status_code == 400
    assert "capture fact" in json.dumps(error_of(plain))


def test_bad_links_answer_422_naming_each_field_and_store_nothing(world):
    foreign = make_incident(world.other_investigation, world.outsider)
    item = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a)
    answer = api.post(links_path(world, item), {"incident_id": foreign.id, "shows": "rubble"})
    assert answer.status_code == 422
    fields = error_of(answer)["fields"]
    assert fields["incident_id"][0]["code"] == "unknown_incident"
    assert fields["shows"][0]["code"] == "unknown_shows"
    assert count(IncidentEvidence) == 0
    assert "linked_to_incident" not in actions()


def test_unlinking_what_is_not_linked_is_422(world):
    incident = make_incident(world.investigation, world.field_a)
    item = evidence_row(world.investigation, world.field_a)
    answer = world.api(world.field_a).delete(links_path(world, item, f"/{incident.id}"))
    assert answer.status_code == 422
    assert error_of(answer)["fields"]["incident_id"][0]["code"] == "not_linked_incident"


def test_another_field_worker_and_a_non_member_get_404(world):
    incident = make_incident(world.investigation, world.field_a)
    item = evidence_row(world.investigation, world.field_a)
    body = {"incident_id": incident.id, "shows": "attack"}
    assert world.api(world.field_b).post(links_path(world, item), body).status_code == 404
    assert world.api(world.outsider).post(links_path(world, item), body).status_code == 404
    assert count(IncidentEvidence) == 0


def test_a_read_only_token_cannot_link(world):
    incident = make_incident(world.investigation, world.field_a)
    item = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a, scope="read")
    answer = api.post(links_path(world, item), {"incident_id": incident.id, "shows": "attack"})
    assert answer.status_code == 403
    assert count(IncidentEvidence) == 0


def test_has_photo_counts_only_photos_the_viewer_may_see(world):
    incident = make_incident(world.investigation, world.field_a)
    make_incident(world.investigation, world.field_a, place_name="Sarmin")
    photo = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/jpeg")
    world.api(world.field_a).post(
        links_path(world, photo), {"incident_id": incident.id, "shows": "attack"}
    )
    for user, expected in ((world.lawyer, [incident.id]), (world.field_b, [])):
        answer = world.api(user).get(world.path("/incidents?has_photo=true")).get_json()
        assert [i["id"] for i in answer["items"]] == expected
    flagged = world.api(world.lawyer).get(world.path("/incidents")).get_json()["items"]
    assert {i["place_name"]: i["has_photo"] for i in flagged} == {
        "Al-Quds hospital": True,
        "Sarmin": False,
    }


def test_unlinking_with_another_investigations_incident_is_404(world):
    foreign = make_incident(world.other_investigation, world.outsider)
    item = evidence_row(world.investigation, world.field_a)
    answer = world.api(world.field_a).delete(links_path(world, item, f"/{foreign.id}"))
    assert answer.status_code == 404


def test_the_evidence_list_filters_by_has_provenance_findings(world):
    from app.consistency.models import ConsistencyCheck

    flagged = evidence_row(world.investigation, world.field_a)
    evidence_row(world.investigation, world.field_a)
    db.session.add(
        ConsistencyCheck(
            evidence_id=flagged.id,
            investigation_id=world.investigation.id,
            result="{}",
            result_sha256="0" * 64,
            findings=1,
        )
    )
    db.session.commit()
    listed = world.api(world.lawyer).get(world.path("/evidence?findings=1"))
    assert [item["id"] for item in listed.get_json()["items"]] == [flagged.id]
