"""Languages as BCP 47 codes chosen from a list, and the interpreter on the record (issue 21)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.errors import IntakeValidationError, SealedTestimonyError
from app.intake.models import Interview
from app.intake.services import sealing  # its testimony_* names would look like tests
from app.intake.services.interview_languages import fix_languages
from app.intake.services.sealing import seal_testimony
from app.intake.services.sealing import verify_sealed_testimony as hash_still_matches
from app.language_codes import choices, codes_from_text
from tests.helpers.web import post_form
from tests.intake.builders import make_interview, make_witness
from tests.intake.helpers import interview_form, shows_error

EXTERNAL = dict(
    interpreter_present=True,
    interpreter_code="INT-07",
    interpreter="Nadia Example, +90 555 111 2222",
    interpreted_from="ar",
    interpreted_to="en",
    read_back=True,
    read_back_language="ar",
)


@pytest.mark.parametrize(
    ("written", "codes"),
    [
        ("Arabic", ["ar"]),
        ("العربية", ["ar"]),
        ("арабский", ["ar"]),
        ("Arabic and Kurdish", ["ar", "ku"]),
        ("Farsi", ["fa"]),
        ("Sorani", ["ckb"]),
        ("Syrian dialect", None),
        ("Arabic, Syrian dialect", None),
    ],
)
def test_free_text_is_read_into_codes_or_left_for_a_person(written, codes):
    assert codes_from_text(written) == codes


def test_the_list_names_each_language_in_its_own_name_and_the_readers():
    in_english, in_russian = dict(choices("en")), dict(choices("ru"))
    assert in_english["ar"] == "العربية · Arabic (ar)"
    assert in_russian["ar"] == "العربية · арабский (ar)"
    assert list(in_english)[:2] == ["ar", "ku"]  # the investigations' languages come first


def test_the_form_offers_codes_labelled_in_the_readers_language(world, client_for):
    page = client_for(world.field_a).get(world.url("/interviews/new")).get_data(as_text=True)
    assert '<option value="ar">العربية · Arabic (ar)</option>' in page
    assert 'name="interpreter_code"' in page and 'name="read_back_language"' in page


def test_a_language_not_on_the_list_is_refused_and_nothing_stored(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    response = post_form(client, url, interview_form(witness.id, languages=["Arabic"]), page=url)
    assert response.status_code == 400
    assert shows_error(response, "unknown_language")
    assert db.session.scalar(select(Interview.id)) is None


def test_sealing_needs_codes_and_an_answer_about_the_interpreter(world):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(
        world.investigation, world.field_a, witness, languages=[], interpreter_present=None
    )
    with pytest.raises(IntakeValidationError) as refused:
        seal_testimony(interview, world.field_a)
    codes = {error.code for error in refused.value.errors}
    assert codes == {"language_required", "interpreter_unanswered"}
    db.session.rollback()
    assert db.session.get(Interview, interview.id).status == "draft"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (dict(EXTERNAL, interpreter_user_id="member"), "interpreter_who"),
        (dict(EXTERNAL, interpreter_code=""), "interpreter_who"),
        (dict(EXTERNAL, interpreter_code="INT 07!"), "invalid_interpreter_code"),
        (dict(EXTERNAL, interpreted_to="ar"), "language_pair_same"),
        (dict(EXTERNAL, interpreted_to=""), "language_pair_required"),
        (dict(EXTERNAL, interpreted_from="xx-arabic"), "unknown_language"),
        (dict(EXTERNAL, read_back_language=""), "read_back_language_required"),
        (dict(EXTERNAL, read_back=False), "read_back_language_without_read_back"),
        (dict(interpreter_present=False, interpreter_code="INT-07"), "interpreter_not_present"),
    ],
)
def test_inconsistent_interpreter_details_are_refused(world, fields, code):
    witness = make_witness(world.investigation, world.field_a)
    if fields.get("interpreter_user_id") == "member":
        fields = dict(fields, interpreter_user_id=world.field_b.id)
    with pytest.raises(IntakeValidationError) as refused:
        make_interview(world.investigation, world.field_a, witness, **fields)
    assert code in {error.code for error in refused.value.errors}
    db.session.rollback()
    assert db.session.scalar(select(Interview.id)) is None


def test_a_member_who_interpreted_is_on_the_record(world):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(
        world.investigation,
        world.field_a,
        witness,
        interpreter_present=True,
        interpreter_user_id=world.field_b.id,
        interpreted_from="ku",
        interpreted_to="ar",
    )
    assert interview.interpreter_user_id == world.field_b.id
    outsider = make_witness(world.investigation, world.field_a)
    with pytest.raises(IntakeValidationError):
        make_interview(
            world.investigation,
            world.field_a,
            outsider,
            interpreter_present=True,
            interpreter_user_id=world.outsider.id,  # not a member of this investigation
            interpreted_from="ku",
            interpreted_to="ar",
        )


def test_the_seal_covers_the_languages_and_the_interpreter(world):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, **EXTERNAL)
    seal_testimony(interview, world.field_a)
    db.session.commit()
    document = sealing.testimony_document(interview)
    assert document["format"] == "custos-testimony-v2"
    assert document["languages"] == ["ar"]
    assert document["interpreter"]["code"] == "INT-07"
    assert document["interpreter"]["read_back_language"] == "ar"
    assert hash_still_matches(interview)
    interview.read_back_language = "en"
    with pytest.raises(SealedTestimonyError):
        db.session.flush()


def test_an_external_interpreters_identity_is_shown_like_a_witnesss(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, **EXTERNAL)
    seal_testimony(interview, world.field_a)
    db.session.commit()
    url = world.url(f"/interviews/{interview.id}")
    plain = client_for(world.lawyer).get(url).get_data(as_text=True)
    cleared = client_for(world.lawyer_identities).get(url).get_data(as_text=True)
    assert "INT-07" in plain and "Nadia Example" not in plain
    assert "Nadia Example" in cleared


def test_the_sealed_identity_is_not_stored_in_the_clear(world):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, **EXTERNAL)
    db.session.commit()
    raw = db.session.execute(
        select(Interview.__table__.c.interpreter).where(Interview.id == interview.id)
    ).scalar()
    assert b"Nadia" not in bytes(raw)


def _format_1_testimony(world, written: str) -> Interview:
    """Testimony sealed before codes: its free text in the seal, no codes (as 0035 leaves it)."""
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    interview.record_format, interview.languages, interview.language = 1, "", written
    db.session.flush()
    seal_testimony(interview, world.field_a)
    db.session.commit()
    return interview


def test_a_flagged_sealed_language_is_fixed_beside_the_seal_and_logged(world, client_for):
    interview = _format_1_testimony(world, "Syrian dialect")
    assert sealing.testimony_document(interview)["language"] == "Syrian dialect"
    url = world.url(f"/interviews/{interview.id}")
    client = client_for(world.lawyer)
    assert "Syrian dialect" in client.get(url).get_data(as_text=True)
    response = post_form(client, f"{url}/languages", {"languages": ["ar"]}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    fixed = db.session.get(Interview, interview.id)
    assert fixed.languages == "ar" and fixed.language == "Syrian dialect"
    assert hash_still_matches(fixed)
    entry = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.action == "testimony_languages_recorded")
        .order_by(LedgerEntry.id)
    ).one()
    assert json.loads(entry.body)["details"]["content_hash"] == fixed.content_hash


def test_once_fixed_the_languages_of_sealed_testimony_do_not_change(world):
    interview = _format_1_testimony(world, "Syrian dialect")
    fix_languages(interview, world.lawyer, ["ar"])
    db.session.commit()
    with pytest.raises(IntakeValidationError):
        fix_languages(interview, world.lawyer, ["ku"])
    db.session.rollback()
    interview.language = "Kurdish"
    with pytest.raises(SealedTestimonyError):
        db.session.flush()


def test_a_language_to_fix_refuses_what_is_not_on_the_list(world, client_for):
    interview = _format_1_testimony(world, "Syrian dialect")
    url = world.url(f"/interviews/{interview.id}")
    client = client_for(world.lawyer)
    response = post_form(client, f"{url}/languages", {"languages": ["Levantine"]}, page=url)
    assert response.status_code == 400 and shows_error(response, "unknown_language")
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).languages == ""


# --- the one-language fields: one shared list (issue 21; the page was 135 KB with four lists) --


def test_the_form_holds_the_language_list_once_and_stays_small(world, client_for):
    response = client_for(world.field_a).get(world.url("/interviews/new"))
    page = response.get_data(as_text=True)
    assert page.count("<datalist") == 1 and page.count('list="all-languages"') == 3
    assert page.count('<option value="العربية · Arabic (ar)">') == 1
    assert page.count('<option value="ar">') == 1  # the spoken languages' select
    assert len(response.get_data()) < 90_000


def test_a_language_typed_or_picked_from_the_list_is_stored_as_its_code(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    picked = dict(
        interview_form(witness.id),
        interpreter_present="yes",
        interpreter_code="INT-07",
        interpreted_from="العربية · Arabic (ar)",  # picked from the list
        interpreted_to="English",  # typed as a name
        read_back="yes",
        read_back_language="ar",  # typed as the code
    )
    assert post_form(client, url, picked, page=url).status_code == 302
    interview = db.session.scalar(select(Interview))
    assert (interview.interpreted_from, interview.interpreted_to) == ("ar", "en")
    assert interview.read_back_language == "ar"
    edit = client.get(world.url(f"/interviews/{interview.id}/edit")).get_data(as_text=True)
    assert 'name="interpreted_to" type="text" value="English (en)"' in edit


def test_a_typed_language_not_on_the_list_is_refused_by_name(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url("/interviews/new")
    data = dict(
        interview_form(witness.id),
        interpreter_present="yes",
        interpreter_code="INT-07",
        interpreted_from="Syrian dialect",
        interpreted_to="en",
    )
    response = post_form(client, url, data, page=url)
    assert response.status_code == 400 and shows_error(response, "unknown_language")
    assert 'value="Syrian dialect"' in response.get_data(as_text=True)  # kept for correcting
    assert db.session.scalar(select(Interview.id)) is None
