"""The language consent was explained in, as a BCP 47 code chosen from the list (issue 21,
item 1): typed or picked from the page's one list, stored as the code, shown with its names;
a language not on the list is refused and nothing stored; older free text is shown as written."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.intake.models import ConsentRecord
from tests.helpers.web import post_form
from tests.intake.builders import make_witness
from tests.intake.helpers import shows_error


def consent_form(world, **overrides) -> dict:
    return {
        "consent_interview": "y",
        "consent_language": "العربية · Arabic (ar)",
        "consent_obtained_on": "2016-09-01",
        "consent_obtained_by_id": world.field_a.id,
        **overrides,
    }


def records() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ConsentRecord))


def test_a_language_picked_from_the_list_is_stored_as_its_code(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url(f"/witnesses/{witness.id}/consent")
    page = client.get(url).get_data(as_text=True)
    assert 'list="all-languages"' in page and page.count("<datalist") == 1
    assert (
        post_form(
            client, url, consent_form(world, consent_language="Kurdish"), page=url
        ).status_code
        == 302
    )
    latest = db.session.scalar(select(ConsentRecord).order_by(ConsentRecord.seq.desc()))
    assert (latest.language, latest.language_code) == ("ku", "ku")
    detail = client.get(world.url(f"/witnesses/{witness.id}")).get_data(as_text=True)
    assert "· Kurdish (ku)" in detail


def test_a_language_not_on_the_list_is_refused_and_nothing_stored(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = world.url(f"/witnesses/{witness.id}/consent")
    before = records()
    response = post_form(
        client, url, consent_form(world, consent_language="Syrian dialect"), page=url
    )
    assert response.status_code == 400 and shows_error(response, "unknown_language")
    assert records() == before


def test_a_record_made_before_codes_shows_its_text_as_written(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    db.session.execute(
        ConsentRecord.__table__.update()
        .where(ConsentRecord.witness_id == witness.id)
        .values(language="Syrian dialect", language_code=None)
    )  # as migration 0041 leaves a text that names no language of the list
    db.session.commit()
    page = client_for(world.field_a).get(world.url(f"/witnesses/{witness.id}"))
    assert "in Syrian dialect," in page.get_data(as_text=True)
