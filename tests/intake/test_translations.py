"""Translations as sealed versions: one person translates, a second revises and seals, the ledger
names the original's hash, sealed versions never change, and an addendum dates a translation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.accesslog.models import AccessRecord
from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.errors import SealedTranslationError
from app.intake.models import Interview, Translation
from app.intake.services.sealing import add_addendum, seal_testimony
from app.intake.services.translation_sealing import (
    translation_content_hash,
    verify_sealed_translation,
)
from tests.helpers.web import post_form
from tests.intake.builders import make_incident, make_interview, make_witness
from tests.intake.helpers import count, messages, shows_error

ARABIC = "رأيت الضربة الثانية تصيب المدخل."
ENGLISH = "I saw the second strike hit the entrance."


@pytest.fixture
def sealed(world):
    """A sealed Arabic testimony taken by field worker A."""
    incident = make_incident(world.investigation, world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(
        world.investigation, world.field_a, witness, incidents=[incident], transcript=ARABIC
    )
    seal_testimony(interview, world.field_a)
    db.session.commit()
    return interview


def new_url(world, interview, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return world.url(f"/interviews/{interview.id}/translations/new") + (
        f"?{suffix}" if suffix else ""
    )


def page_url(world, interview, translation_id, action=""):
    return world.url(f"/interviews/{interview.id}/translations/{translation_id}{action}")


def draft_form(interview, **overrides):
    data = {
        "source": "testimony",
        "source_hash": interview.content_hash,
        "supersedes_id": "",
        "source_language": "ar",
        "target_language": "en",
        "translated_by": "human",
        "engine": "",
        "engine_version": "",
        "text": ENGLISH,
    }
    data.update(overrides)
    return data


def translate(world, client, interview, **overrides):
    url = new_url(world, interview)
    return post_form(client, url, draft_form(interview, **overrides), page=url)


def only_translation() -> Translation:
    db.session.expire_all()
    (row,) = db.session.scalars(select(Translation)).all()
    return row


def seal(world, client, interview, translation_id):
    page = page_url(world, interview, translation_id)
    return post_form(
        client, page_url(world, interview, translation_id, "/seal"), {"confirm": "y"}, page=page
    )


def ledger(action: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
    )
    return [json.loads(row.body) for row in rows]


def translated_and_sealed(world, client_for, interview) -> Translation:
    assert translate(world, client_for(world.lawyer), interview).status_code == 302
    draft = only_translation()
    response = seal(world, client_for(world.lawyer_identities), interview, draft.id)
    assert response.status_code == 302, messages(response)
    db.session.expire_all()
    return db.session.get(Translation, draft.id)


def test_an_arabic_testimony_is_translated_by_one_person_and_sealed_by_another(
    world, client_for, sealed
):
    translation = translated_and_sealed(world, client_for, sealed)
    assert translation.is_sealed
    assert translation.translator_id == world.lawyer.id
    assert translation.reviser_id == world.lawyer_identities.id
    assert (translation.source_language, translation.target_language) == ("ar", "en")
    assert translation.source_hash == sealed.content_hash
    assert translation.content_hash == translation_content_hash(translation, sealed)
    assert verify_sealed_translation(translation, sealed)
    (entry,) = ledger("translation_sealed")
    assert entry["object"] == {"type": "testimony", "id": sealed.id}
    assert entry["actor"]["id"] == world.lawyer_identities.id
    details = entry["details"]
    assert details["interview_content_hash"] == sealed.content_hash
    assert details["source"]["content_hash"] == sealed.content_hash
    assert details["content_hash"] == translation.content_hash
    assert details["method"]["kind"] == "human"
    assert (details["translator_id"], details["reviser_id"]) == (
        world.lawyer.id,
        world.lawyer_identities.id,
    )
    body = json.dumps(entry, ensure_ascii=False)
    assert ENGLISH not in body and ARABIC not in body  # the words stay encrypted here


def test_the_translation_page_shows_the_original_first_and_records_the_read(
    world, client_for, sealed
):
    translation = translated_and_sealed(world, client_for, sealed)
    page = client_for(world.field_a).get(page_url(world, sealed, translation.id))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index(ARABIC) < text.index(ENGLISH)  # the authoritative text comes first
    assert 'lang="ar"' in text and 'lang="en"' in text
    reads = db.session.scalars(
        select(AccessRecord).where(
            AccessRecord.object_id == sealed.id, AccessRecord.user_id == world.field_a.id
        )
    ).all()
    assert [read.kind for read in reads] == ["testimony"]


def test_the_translator_cannot_seal_their_own_translation(world, client_for, sealed):
    client = client_for(world.lawyer)
    assert translate(world, client, sealed).status_code == 302
    draft = only_translation()
    response = seal(world, client, sealed, draft.id)
    assert response.status_code == 400
    assert shows_error(response, "reviser_is_translator")
    assert not only_translation().is_sealed and ledger("translation_sealed") == []


def test_the_translator_cannot_edit_the_sealed_version(world, client_for, sealed):
    translation = translated_and_sealed(world, client_for, sealed)
    client = client_for(world.lawyer)
    edit = page_url(world, sealed, translation.id, "/edit")
    assert client.get(edit).status_code == 409
    data = draft_form(sealed, text="Rewritten.")
    response = post_form(client, edit, data, page=page_url(world, sealed, translation.id))
    assert response.status_code == 409
    assert only_translation().text == ENGLISH


def test_no_code_path_changes_a_sealed_translation(world, client_for, sealed):
    translation = translated_and_sealed(world, client_for, sealed)
    translation.text = "Rewritten behind the forms."
    with pytest.raises(SealedTranslationError):
        db.session.commit()
    db.session.rollback()
    assert verify_sealed_translation(db.session.get(Translation, translation.id), sealed)


def test_only_the_translator_edits_a_draft(world, client_for, sealed):
    assert translate(world, client_for(world.lawyer), sealed).status_code == 302
    draft = only_translation()
    edit = page_url(world, sealed, draft.id, "/edit")
    other = client_for(world.lawyer_identities)
    response = post_form(
        other, edit, draft_form(sealed, text="Mine now."), page=edit.rsplit("/", 1)[0]
    )
    assert response.status_code == 403
    assert only_translation().text == ENGLISH
    mine = client_for(world.lawyer)
    assert post_form(mine, edit, draft_form(sealed, text="Better."), page=edit).status_code == 302
    assert only_translation().text == "Better."


def test_an_addendum_marks_the_translation_as_translating_an_earlier_version(
    world, client_for, sealed
):
    translated_and_sealed(world, client_for, sealed)
    testimony_page = world.url(f"/interviews/{sealed.id}")
    reader = client_for(world.lawyer)
    assert "translates an earlier version" not in reader.get(testimony_page).get_data(as_text=True)
    addendum = add_addendum(db.session.get(Interview, sealed.id), world.field_a, "وكان الوقت ليلاً.")
    db.session.commit()
    assert "translates an earlier version" in reader.get(testimony_page).get_data(as_text=True)
    # A sealed translation of the addendum into the same language brings it up to date.
    url = new_url(world, sealed, source=addendum.id)
    data = draft_form(
        sealed, source=addendum.id, source_hash=addendum.content_hash, text="It was night."
    )
    assert post_form(reader, url, data, page=url).status_code == 302
    draft = db.session.scalar(select(Translation).where(Translation.addendum_id == addendum.id))
    assert seal(world, client_for(world.lawyer_identities), sealed, draft.id).status_code == 302
    assert "translates an earlier version" not in reader.get(testimony_page).get_data(as_text=True)


def test_a_draft_testimony_cannot_be_translated(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    draft = make_interview(world.investigation, world.field_a, witness)
    client = client_for(world.field_a)
    url = new_url(world, draft)
    assert client.get(url).status_code == 302  # back to the testimony, saying why
    response = post_form(
        client,
        url,
        draft_form(draft, source_hash="a" * 64),
        page=world.url(f"/interviews/{draft.id}"),
    )
    assert response.status_code == 400 and shows_error(response, "translation_of_draft")
    assert count(Translation) == 0


def test_a_hash_that_is_not_the_testimonys_is_refused(world, client_for, sealed):
    response = translate(world, client_for(world.lawyer), sealed, source_hash="0" * 64)
    assert response.status_code == 400 and shows_error(response, "source_hash_mismatch")
    assert count(Translation) == 0


def test_a_translation_into_its_own_language_is_refused(world, client_for, sealed):
    response = translate(world, client_for(world.lawyer), sealed, target_language="ar")
    assert response.status_code == 400 and shows_error(response, "same_language")
    assert count(Translation) == 0


def test_field_staff_see_translations_only_of_testimony_they_can_see(world, client_for, sealed):
    translation = translated_and_sealed(world, client_for, sealed)
    url = page_url(world, sealed, translation.id)
    assert client_for(world.field_a).get(url).status_code == 200  # their own testimony
    assert client_for(world.field_b).get(url).status_code == 404  # another's: as if absent
    assert client_for(world.outsider).get(url).status_code == 404
    other_page = client_for(world.field_b).get(world.url(f"/interviews/{sealed.id}"))
    assert other_page.status_code == 404


def test_a_correction_is_a_new_version_that_supersedes_the_sealed_one(world, client_for, sealed):
    first = translated_and_sealed(world, client_for, sealed)
    client = client_for(world.lawyer)
    url = new_url(world, sealed, supersedes=first.id)
    form_page = client.get(url)
    assert form_page.status_code == 200 and ENGLISH in form_page.get_data(as_text=True)
    data = draft_form(sealed, supersedes_id=first.id, text=ENGLISH + " Twice.")
    assert post_form(client, url, data, page=url).status_code == 302
    db.session.expire_all()
    second = db.session.scalar(select(Translation).where(Translation.supersedes_id == first.id))
    assert seal(world, client_for(world.lawyer_identities), sealed, second.id).status_code == 302
    page = client.get(page_url(world, sealed, first.id)).get_data(as_text=True)
    assert "superseded by a corrected version" in page
    db.session.expire_all()
    assert db.session.get(Translation, first.id).text == ENGLISH  # the old version stands
    (_, entry) = ledger("translation_sealed")
    assert entry["details"]["supersedes"] == {
        "translation_id": first.id,
        "content_hash": first.content_hash,
    }


def test_a_machine_translation_names_its_engine_and_is_marked(world, client_for, sealed):
    client = client_for(world.lawyer)
    refused = translate(world, client, sealed, translated_by="machine")
    assert refused.status_code == 400 and shows_error(refused, "engine_required")
    made = translate(
        world, client, sealed, translated_by="machine", engine="Argos", engine_version="1.9"
    )
    assert made.status_code == 302
    draft = only_translation()
    page = client.get(page_url(world, sealed, draft.id)).get_data(as_text=True)
    assert "machine translation" in page and "Argos" in page
    listing = client.get(world.url(f"/interviews/{sealed.id}")).get_data(as_text=True)
    assert "machine translation" in listing
