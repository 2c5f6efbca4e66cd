"""Weapon and target labels in the reader's language (issue 21, item 6): Arabic and Russian
kept beside each English label, English where a translation is missing, and admins edit them."""

from __future__ import annotations

from app.extensions import db
from app.intake.models import TargetType, WeaponType
from tests.helpers.factories import UserFactory
from tests.helpers.web import post_form
from tests.intake.builders import make_incident

ARABIC_GUIDED_BOMB = "قنبلة موجّهة"
ARABIC_HOSPITAL = "مستشفى أو منشأة طبية"


def reading_in(user, language):
    user.language = language
    db.session.commit()
    return user


def test_an_arabic_reader_sees_arabic_labels_on_the_incident_page(world, client_for):
    incident = make_incident(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "ar"))
    page = client.get(world.url(f"/incidents/{incident.id}")).get_data(as_text=True)
    assert ARABIC_GUIDED_BOMB in page and ARABIC_HOSPITAL in page
    assert "Guided bomb" not in page and "Hospital or medical facility" not in page


def test_an_arabic_reader_filters_the_list_by_arabic_labels(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "ar"))
    page = client.get(world.url("/incidents")).get_data(as_text=True)
    assert f'<option value="guided_bomb">{ARABIC_GUIDED_BOMB}</option>' in page
    assert f'<option value="medical_facility">{ARABIC_HOSPITAL}</option>' in page
    filtered = client.get(world.url("/incidents?weapon=guided_bomb")).get_data(as_text=True)
    assert f'<td data-label="السلاح">{ARABIC_GUIDED_BOMB}</td>' in filtered


def test_a_russian_reader_sees_russian_labels_on_the_map_markers(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "ru"))
    markers = client.get(world.url("/incidents/map.json")).get_json()
    assert [m["weapon"] for m in markers["markers"]] == ["Управляемая авиабомба"]


def test_a_missing_translation_falls_back_to_english(world, client_for):
    incident = make_incident(world.investigation, world.field_a)
    db.session.get(WeaponType, "guided_bomb").label_ar = ""
    db.session.get(TargetType, "medical_facility").label_ar = "  "
    client = client_for(reading_in(world.field_a, "ar"))
    page = client.get(world.url(f"/incidents/{incident.id}")).get_data(as_text=True)
    assert "Guided bomb" in page and "Hospital or medical facility" in page


def test_an_english_reader_keeps_the_english_labels(world, client_for):
    incident = make_incident(world.investigation, world.field_a)
    client = client_for(reading_in(world.field_a, "en"))
    page = client.get(world.url(f"/incidents/{incident.id}")).get_data(as_text=True)
    assert "Guided bomb" in page and ARABIC_GUIDED_BOMB not in page


def test_an_admin_edits_the_arabic_and_russian_labels(world, client_for):
    incident = make_incident(world.investigation, world.field_a)
    client = client_for(UserFactory(role="admin"))
    url = "/admin/taxonomy/weapons"
    form = client.get(url).get_data(as_text=True)
    assert f'value="{ARABIC_GUIDED_BOMB}"' in form
    data = {"code": "guided_bomb", "label": "Guided bomb", "active": "y", "label_ar": "قنبلة ذكية"}
    data["label_ru"] = ""
    assert post_form(client, "/admin/taxonomy/weapons/update", data, page=url).status_code == 302
    db.session.expire_all()
    weapon = db.session.get(WeaponType, "guided_bomb")
    assert (weapon.label_ar, weapon.label_ru) == ("قنبلة ذكية", "")
    reader = client_for(reading_in(world.field_a, "ar"))
    page = reader.get(world.url(f"/incidents/{incident.id}")).get_data(as_text=True)
    assert "قنبلة ذكية" in page
    added = {"code": "thermobaric", "label": "Thermobaric weapon", "label_ar": "سلاح حراري ضغطي"}
    assert post_form(client, url, added, page=url).status_code == 302
    assert db.session.get(WeaponType, "thermobaric").label_ar == "سلاح حراري ضغطي"


def test_an_edit_without_the_language_fields_keeps_the_translations(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(UserFactory(role="admin"))
    data = {"code": "guided_bomb", "label": "Guided bomb", "active": "y"}
    url = "/admin/taxonomy/weapons"
    assert post_form(client, url + "/update", data, page=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(WeaponType, "guided_bomb").label_ar == ARABIC_GUIDED_BOMB


def test_an_overlong_translation_is_refused_and_nothing_changes(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(UserFactory(role="admin"))
    data = {"code": "guided_bomb", "label": "Guided bomb", "active": "y", "label_ar": "ب" * 121}
    url = "/admin/taxonomy/weapons"
    assert post_form(client, url + "/update", data, page=url).status_code == 400
    db.session.expire_all()
    assert db.session.get(WeaponType, "guided_bomb").label_ar == ARABIC_GUIDED_BOMB
