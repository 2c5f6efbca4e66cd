"""Consent purposes and custody actions in the reader's language (issue 21, item 6): labels
kept as data in English, Arabic and Russian, shown on consent forms and lists and on the
custody pages, English where a translation is missing, edited by admins."""

from __future__ import annotations

from app.extensions import db
from app.vocabulary.models import VocabularyLabel
from tests.helpers.factories import UserFactory
from tests.helpers.web import page_messages, post_form
from tests.intake.builders import make_witness

ARABIC_LEGAL_USE = "استخدام الشهادة في الإجراءات القانونية"
ARABIC_CONSENT_RECORDED = "تسجيل الموافقة"
RUSSIAN_CONSENT_RECORDED = "Запись согласия"


def reading_in(user, language):
    user.language = language
    db.session.commit()
    return user


def test_an_arabic_reader_sees_the_consent_purposes_in_arabic(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "ar"))
    detail = client.get(world.url(f"/witnesses/{witness.id}")).get_data(as_text=True)
    form = client.get(world.url(f"/witnesses/{witness.id}/consent")).get_data(as_text=True)
    assert ARABIC_LEGAL_USE in detail
    assert f"{ARABIC_LEGAL_USE}</label>" in form  # the checkbox of the consent form
    assert "Use of the testimony in legal proceedings" not in detail + form


def test_the_ledger_names_its_actions_in_the_readers_language(world, client_for):
    make_witness(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "ru"))
    page = client.get(world.url("/custody?action=consent_recorded")).get_data(as_text=True)
    assert f"<td>{RUSSIAN_CONSENT_RECORDED}</td>" in page
    assert f'<option selected value="consent_recorded">{RUSSIAN_CONSENT_RECORDED}</option>' in page


def test_a_missing_translation_shows_english_and_an_unlisted_code_itself(world, client_for):
    from app.intake.services.taxonomy import sync_taxonomies

    witness = make_witness(world.investigation, world.field_a)
    db.session.get(VocabularyLabel, ("custody_action", "consent_recorded")).label_ar = ""
    db.session.delete(db.session.get(VocabularyLabel, ("consent_purpose", "named")))
    db.session.commit()
    client = client_for(reading_in(world.field_a, "ar"))
    page = client.get(world.url("/custody")).get_data(as_text=True)
    assert "<td>Consent recorded</td>" in page
    # A row missing from the table (before `flask taxonomy sync`) takes the shipped label.
    detail = client.get(world.url(f"/witnesses/{witness.id}")).get_data(as_text=True)
    assert "ذكر الاسم" in detail
    sync_taxonomies()
    db.session.commit()
    assert db.session.get(VocabularyLabel, ("consent_purpose", "named")).label_ar == "ذكر الاسم"
    # sync fills a translation nobody wrote, and keeps the English an admin chose
    assert db.session.get(VocabularyLabel, ("custody_action", "consent_recorded")).label_ar == (
        ARABIC_CONSENT_RECORDED
    )


def test_an_admin_edits_the_labels_and_readers_see_them(world, client_for):
    make_witness(world.investigation, world.field_a)
    admin = client_for(UserFactory(role="admin"))
    url = "/admin/taxonomy/labels/custody_action"
    form = admin.get(url).get_data(as_text=True)
    assert f'value="{ARABIC_CONSENT_RECORDED}"' in form
    data = {
        "code": "consent_recorded",
        "label": "Consent written down",
        "label_ar": "  تدوين   الموافقة ",
        "label_ru": "",
    }
    assert post_form(admin, url, data, page=url).status_code == 302
    db.session.expire_all()
    row = db.session.get(VocabularyLabel, ("custody_action", "consent_recorded"))
    assert (row.label, row.label_ar, row.label_ru) == ("Consent written down", "تدوين الموافقة", "")
    assert row.updated_by_id is not None
    reader = client_for(reading_in(world.field_a, "ru"))
    assert "<td>Consent written down</td>" in reader.get(world.url("/custody")).get_data(
        as_text=True
    )


def test_an_edit_without_english_or_with_an_unknown_code_is_refused(world, client_for):
    admin = client_for(UserFactory(role="admin"))
    url = "/admin/taxonomy/labels/consent_purpose"
    empty = post_form(admin, url, {"code": "named", "label": "", "label_ar": "x"}, page=url)
    unknown = post_form(admin, url, {"code": "sold", "label": "Sold"}, page=url)
    assert (empty.status_code, unknown.status_code) == (400, 400)
    assert page_messages(unknown)
    db.session.expire_all()
    assert db.session.get(VocabularyLabel, ("consent_purpose", "named")).label == "Being named"
    assert db.session.get(VocabularyLabel, ("consent_purpose", "sold")) is None
    assert admin.get("/admin/taxonomy/labels/weapons").status_code == 404
