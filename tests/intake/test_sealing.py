"""Drafts, sealing and addenda: the hash in the custody ledger, and no way to change sealed text."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.errors import ImmutableRecordError, SealedTestimonyError
from app.intake.models import Addendum, Interview, InterviewEvidence
from app.intake.services import sealing  # its testimony_* names would look like tests
from app.intake.services.interviews import InterviewInput, update_interview
from app.intake.services.sealing import (
    add_addendum,
    seal_testimony,
    verify_addendum,
    verify_sealed_testimony,
)
from tests.helpers.web import post_form
from tests.intake.builders import (
    evidence_row,
    make_incident,
    make_interview,
    make_witness,
)
from tests.intake.helpers import interview_form, shows_error

TRANSCRIPT = "I saw the second strike hit the entrance."


@pytest.fixture
def draft(world):
    incident = make_incident(world.investigation, world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    return make_interview(world.investigation, world.field_a, witness, incidents=[incident])


def seal_url(world, interview):
    return world.url(f"/interviews/{interview.id}/seal")


def seal_through_the_page(world, client, interview):
    url = seal_url(world, interview)
    response = post_form(client, url, {"confirm": "y"}, page=url)
    assert response.status_code == 302, response.status_code
    db.session.expire_all()
    return db.session.get(Interview, interview.id)


def ledger_entries(action: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
    )
    return [json.loads(row.body) for row in rows]


def test_a_draft_can_be_saved_and_continued_later(world, client_for, draft):
    client = client_for(world.field_a)
    url = world.url(f"/interviews/{draft.id}/edit")
    data = interview_form(draft.witness_id, transcript=TRANSCRIPT + " Then a third.")
    data["interviewer_id"] = world.field_a.id
    assert post_form(client, url, data, page=url).status_code == 302
    db.session.expire_all()
    again = db.session.get(Interview, draft.id)
    assert again.status == "draft"
    assert again.transcript.endswith("Then a third.")


def test_sealing_records_the_content_hash_here_and_in_the_custody_ledger(world, client_for, draft):
    sealed = seal_through_the_page(world, client_for(world.field_a), draft)
    assert sealed.status == "sealed" and sealed.sealed_by_id == world.field_a.id
    assert sealed.content_hash == sealing.testimony_content_hash(sealed)
    (entry,) = ledger_entries("testimony_sealed")
    assert entry["object"] == {"type": "testimony", "id": sealed.id}
    assert entry["details"]["content_hash"] == sealed.content_hash
    assert entry["actor"]["id"] == world.field_a.id
    body = json.dumps(entry)
    assert TRANSCRIPT not in body and "Gaziantep" not in body  # words stay encrypted here


def test_the_hash_covers_the_transcript_and_the_linked_files(world, client_for, draft):
    video = evidence_row(world.investigation, world.field_a)
    client = client_for(world.field_a)
    page = world.url(f"/interviews/{draft.id}")
    linked = post_form(
        client,
        world.url(f"/interviews/{draft.id}/evidence"),
        {"evidence_id": video.id, "role": "recording"},
        page=page,
    )
    assert linked.status_code == 302
    sealed = seal_through_the_page(world, client, draft)
    document = sealing.testimony_document(sealed)
    assert document["transcript"] == TRANSCRIPT
    assert [e["sha256"] for e in document["evidence"]] == [video.sha256]
    assert verify_sealed_testimony(sealed)
    # Any change below the seal shows: the file's recorded hash, or the words.
    video.sha256 = "0" * 64
    db.session.commit()
    assert not verify_sealed_testimony(db.session.get(Interview, sealed.id))


def test_a_sealed_testimony_cannot_be_edited_through_the_form(world, client_for, draft):
    client = client_for(world.field_a)
    sealed = seal_through_the_page(world, client, draft)
    edit = world.url(f"/interviews/{sealed.id}/edit")
    assert client.get(edit).status_code == 302  # back to the page, with a note
    data = interview_form(sealed.witness_id, transcript="Rewritten story.")
    data["interviewer_id"] = world.field_a.id
    response = post_form(client, edit, data, page=world.url(f"/interviews/{sealed.id}"))
    assert response.status_code == 409
    db.session.expire_all()
    after = db.session.get(Interview, sealed.id)
    assert after.transcript == TRANSCRIPT and verify_sealed_testimony(after)


@pytest.mark.parametrize(
    "path,data",
    [
        ("/evidence", {"evidence_id": "EVIDENCE", "role": "attachment"}),
        ("/evidence/remove", {"evidence_id": "EVIDENCE"}),
        ("/seal", {"confirm": "y"}),
    ],
    ids=["link-file", "unlink-file", "seal-again"],
)
def test_crafted_posts_cannot_change_a_sealed_testimony(world, client_for, draft, path, data):
    client = client_for(world.field_a)
    video = evidence_row(world.investigation, world.field_a)
    post_form(
        client,
        world.url(f"/interviews/{draft.id}/evidence"),
        {"evidence_id": video.id, "role": "attachment"},
        page=world.url(f"/interviews/{draft.id}"),
    )
    sealed = seal_through_the_page(world, client, draft)
    before = sealed.content_hash
    other = evidence_row(world.investigation, world.field_a)
    # Linking tries to add a new file; unlinking tries to remove the one sealed with it.
    target = other.id if path == "/evidence" else video.id
    data = {key: target if value == "EVIDENCE" else value for key, value in data.items()}
    response = post_form(client, world.url(f"/interviews/{sealed.id}{path}"), data)
    assert response.status_code == 409
    db.session.expire_all()
    after = db.session.get(Interview, sealed.id)
    assert after.content_hash == before and verify_sealed_testimony(after)
    links = db.session.scalars(select(InterviewEvidence.evidence_id)).all()
    assert links == [video.id]
    assert len(ledger_entries("testimony_sealed")) == 1


def test_the_services_refuse_to_change_sealed_testimony(world, draft):
    seal_testimony(draft, world.field_a)
    db.session.commit()
    data = InterviewInput(
        witness_id=draft.witness_id,
        conducted_on=draft.conducted_on,
        mode="remote",
        first_hand=False,
        transcript="Rewritten.",
    )
    with pytest.raises(SealedTestimonyError):
        update_interview(draft, world.field_a, data)
    db.session.rollback()
    with pytest.raises(SealedTestimonyError):
        seal_testimony(draft, world.field_a)


def test_the_orm_refuses_changes_to_sealed_testimony_whatever_the_code_path(world, draft):
    seal_testimony(draft, world.field_a)
    db.session.commit()
    changes = [
        lambda iv: setattr(iv, "transcript", "Rewritten."),
        lambda iv: setattr(iv, "first_hand", False),
        lambda iv: iv.incidents.clear(),
        lambda iv: db.session.add(
            InterviewEvidence(
                interview_id=iv.id,
                evidence_id=evidence_row(world.investigation, world.field_a).id,
                role="attachment",
            )
        ),
        lambda iv: db.session.delete(iv),
    ]
    for change in changes:
        interview = db.session.get(Interview, draft.id)
        change(interview)
        with pytest.raises(SealedTestimonyError):
            db.session.commit()
        db.session.rollback()
    db.session.expire_all()
    assert verify_sealed_testimony(db.session.get(Interview, draft.id))


def test_corrections_are_sealed_addenda_and_the_original_stays(world, client_for, draft):
    client = client_for(world.field_a)
    sealed = seal_through_the_page(world, client, draft)
    original_hash = sealed.content_hash
    page = world.url(f"/interviews/{sealed.id}")
    for text in ("The strike was at 14:10, not 14:30.", "The witness later named a second source."):
        response = post_form(
            client, world.url(f"/interviews/{sealed.id}/addenda"), {"text": text}, page=page
        )
        assert response.status_code == 302
    db.session.expire_all()
    interview = db.session.get(Interview, sealed.id)
    addenda = db.session.scalars(select(Addendum).order_by(Addendum.seq)).all()
    assert [a.seq for a in addenda] == [1, 2]
    assert all(verify_addendum(a, interview) for a in addenda)
    assert interview.content_hash == original_hash and interview.transcript == TRANSCRIPT
    entries = ledger_entries("addendum_added")
    assert [e["details"]["content_hash"] for e in entries] == [a.content_hash for a in addenda]
    assert all(e["details"]["interview_content_hash"] == original_hash for e in entries)
    shown = client.get(page).get_data(as_text=True)
    assert "The strike was at 14:10, not 14:30." in shown and TRANSCRIPT in shown


def test_an_addendum_is_never_changed_or_deleted(world, draft):
    seal_testimony(draft, world.field_a)
    addendum = add_addendum(draft, world.field_a, "A correction.")
    db.session.commit()
    addendum.text = "Another correction."
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Addendum, addendum.id))
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()


def test_an_addendum_to_a_draft_is_refused_with_its_reason(world, client_for, draft):
    client = client_for(world.field_a)
    page = world.url(f"/interviews/{draft.id}")
    response = post_form(
        client, world.url(f"/interviews/{draft.id}/addenda"), {"text": "x"}, page=page
    )
    assert response.status_code == 400
    assert shows_error(response, "not_sealed")
    assert db.session.scalar(select(Addendum)) is None


def test_a_reviewer_may_add_an_addendum_but_not_seal_or_edit(world, client_for, draft):
    lawyer = client_for(world.lawyer)
    page = world.url(f"/interviews/{draft.id}")
    assert lawyer.get(page).status_code == 200
    assert post_form(lawyer, seal_url(world, draft), {"confirm": "y"}, page=page).status_code == 403
    assert lawyer.get(world.url(f"/interviews/{draft.id}/edit")).status_code == 403
    seal_through_the_page(world, client_for(world.field_a), draft)
    added = post_form(
        lawyer, world.url(f"/interviews/{draft.id}/addenda"), {"text": "Lawyer's note."}, page=page
    )
    assert added.status_code == 302
    assert db.session.scalar(select(Addendum.author_id)) == world.lawyer.id
