"""Testimony through the API: drafts saved and continued, sealing with the hash in the custody
ledger, and sealed testimony that no API call can change (409 testimony_sealed)."""

from __future__ import annotations

import sqlalchemy as sa

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models import Interview
from app.intake.services.sealing import verify_sealed_testimony
from tests.api.helpers import error_of, interview_body, witness_body


def new_draft(world, user=None, **overrides):
    api = world.api(user or world.field_a)
    witness = api.post(world.path("/witnesses"), json=witness_body()).get_json()
    response = api.post(world.path("/interviews"), json=interview_body(witness["id"], **overrides))
    assert response.status_code == 201, response.get_json()
    return api, witness, response.get_json()


def test_draft_is_saved_and_continued_later(world):
    api, witness, draft = new_draft(world, transcript="First part.")
    assert draft["status"] == "draft" and draft["content_hash"] is None
    url = world.path(f"/interviews/{draft['id']}")
    saved = api.put(url, json=interview_body(witness["id"], transcript="First part. Second part."))
    assert saved.status_code == 200
    assert api.get(url).get_json()["transcript"] == "First part. Second part."


def test_retried_create_with_the_same_client_id_makes_one_draft(world):
    api, witness, _ = new_draft(world)
    body = interview_body(witness["id"], client_id="0b6b7c9e-6a3a-4a1e-9f55-1f0b2c3d4e5f")
    first = api.post(world.path("/interviews"), json=body)
    again = api.post(world.path("/interviews"), json=body)
    assert first.get_json()["id"] == again.get_json()["id"]
    # Someone else sending the same id gets a conflict, not the other person's draft.
    taken = world.api(world.field_b).post(world.path("/interviews"), json=body)
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "client_id_conflict"


def test_sealing_records_the_content_hash_in_the_custody_ledger(world):
    api, _, draft = new_draft(world)
    sealed = api.post(world.path(f"/interviews/{draft['id']}/seal"))
    assert sealed.status_code == 200
    body = sealed.get_json()
    assert body["status"] == "sealed" and len(body["content_hash"]) == 64
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.object_id == draft["id"]))
    assert entry is not None and body["content_hash"].encode() in entry.body


def test_sealed_testimony_cannot_be_edited_through_the_api(world):
    api, witness, draft = new_draft(world)
    url = world.path(f"/interviews/{draft['id']}")
    api.post(url + "/seal")
    upload = api.upload(world.path("/evidence"), b"a note\n", "note.txt")
    evidence_id = upload.get_json()["id"]
    attempts = {
        "replace": api.put(url, json=interview_body(witness["id"], transcript="Changed.")),
        "seal again": api.post(url + "/seal"),
        "attach": api.post(
            url + "/evidence", json={"evidence_id": evidence_id, "role": "attachment"}
        ),
        "detach": api.delete(url + f"/evidence/{evidence_id}"),
    }
    for name, response in attempts.items():
        assert response.status_code == 409, name
        assert error_of(response)["code"] == "testimony_sealed", name
    db.session.expire_all()
    stored = db.session.get(Interview, draft["id"])
    assert stored.transcript == "I saw the second strike hit the entrance."
    assert verify_sealed_testimony(stored)


def test_corrections_go_in_as_addenda_and_leave_the_original(world):
    api, _, draft = new_draft(world)
    url = world.path(f"/interviews/{draft['id']}")
    sealed = api.post(url + "/seal").get_json()
    added = api.post(url + "/addenda", json={"text": "The strike was at 10:15, not 10:30."})
    assert added.status_code == 201
    assert added.get_json()["seq"] == 1 and len(added.get_json()["content_hash"]) == 64
    now = api.get(url).get_json()
    assert now["content_hash"] == sealed["content_hash"]
    assert now["transcript"] == sealed["transcript"]
    assert [a["text"] for a in now["addenda"]] == ["The strike was at 10:15, not 10:30."]


def test_a_draft_takes_no_addenda_and_a_reviewer_does_not_seal(world):
    api, _, draft = new_draft(world)
    url = world.path(f"/interviews/{draft['id']}")
    addendum = api.post(url + "/addenda", json={"text": "early"})
    assert addendum.status_code == 422
    assert error_of(addendum)["fields"]["text"][0]["code"] == "not_sealed"
    by_lawyer = world.api(world.lawyer).post(url + "/seal")
    assert by_lawyer.status_code == 403
    assert error_of(by_lawyer)["code"] == "forbidden"


def test_sealing_without_interview_consent_is_refused_with_its_code(world):
    api = world.api(world.field_a)
    consent = dict(witness_body()["consent"], interview=False)
    witness = api.post(world.path("/witnesses"), json=witness_body(consent=consent)).get_json()
    draft = api.post(world.path("/interviews"), json=interview_body(witness["id"])).get_json()
    response = api.post(world.path(f"/interviews/{draft['id']}/seal"))
    assert response.status_code == 422
    assert error_of(response)["fields"]["witness_id"][0]["code"] == "no_interview_consent"


def test_recording_is_linked_and_unlinked_on_a_draft(world):
    api, _, draft = new_draft(world)
    url = world.path(f"/interviews/{draft['id']}")
    upload = api.upload(world.path("/evidence"), b"notes taken during the interview\n", "n.txt")
    evidence_id = upload.get_json()["id"]
    as_recording = api.post(
        url + "/evidence", json={"evidence_id": evidence_id, "role": "recording"}
    )
    assert error_of(as_recording)["fields"]["evidence_id"][0]["code"] == "recording_kind"
    linked = api.post(url + "/evidence", json={"evidence_id": evidence_id, "role": "attachment"})
    assert [e["evidence_id"] for e in linked.get_json()["evidence"]] == [evidence_id]
    unlinked = api.delete(url + f"/evidence/{evidence_id}")
    assert unlinked.status_code == 200 and unlinked.get_json()["evidence"] == []


def test_a_language_not_on_the_list_is_refused_with_its_field(world):
    api = world.api(world.field_a)
    witness = api.post(world.path("/witnesses"), json=witness_body()).get_json()
    body = interview_body(witness["id"], languages=["Arabic"])
    response = api.post(world.path("/interviews"), json=body)
    assert response.status_code == 422
    assert error_of(response)["fields"]["languages"][0]["code"] == "unknown_language"
    assert db.session.scalar(sa.select(Interview.id)) is None


def test_an_external_interpreters_identity_reaches_only_the_identities_grant(world):
    interpreter = dict(
        interpreter_present=True,
        interpreter_code="INT-3",
        interpreter="Interpreter Example (fictional)",
        interpreted_from="ar",
        interpreted_to="en",
    )
    api, _, draft = new_draft(world, **interpreter)
    assert api.post(world.path(f"/interviews/{draft['id']}/seal")).status_code == 200
    url = world.path(f"/interviews/{draft['id']}")
    reason = {"X-Access-Reason": "verification"}
    plain = world.api(world.lawyer).get(url, headers=reason).get_json()["interpreter"]
    cleared = world.api(world.lawyer_identities).get(url, headers=reason).get_json()["interpreter"]
    assert plain["code"] == "INT-3" and "identity" not in plain
    assert cleared["identity"] == "Interpreter Example (fictional)"
