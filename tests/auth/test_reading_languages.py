"""Reading languages (issue 21, item 1): BCP 47 codes chosen from the list on the settings page,
most preferred first; what Custos chooses for a person follows them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.extensions import db
from app.reading_languages import preferred_reading_languages
from tests.helpers.web import page_messages, post_form


def test_the_settings_page_offers_the_list_with_own_and_readers_names(signed_in, make_user):
    page = signed_in(make_user(language="ru")).get("/auth/settings").get_data(as_text=True)
    assert 'name="reading_languages"' in page
    assert '<option value="ar">العربية · арабский (ar)</option>' in page


def test_chosen_reading_languages_are_saved_as_codes_in_order(signed_in, make_user):
    user = make_user(language="en")
    client = signed_in(user)
    data = {"language": "en", "reading_languages": ["fr", "ar"]}
    assert post_form(client, "/auth/settings/language", data).status_code == 302
    db.session.refresh(user)
    assert user.reading_languages == "fr ar"
    page = client.get("/auth/settings").get_data(as_text=True)
    # Chosen ones come first in the list, in their order, and stay chosen.
    assert page.index('<option selected value="fr">') < page.index('<option selected value="ar">')
    assert page.index('<option selected value="ar">') < page.index('<option value="en">')


@pytest.mark.parametrize(
    ("data", "chosen"),
    [
        ({"language": "ru", "reading_languages": ["ar", "arabic-ish"]}, "ar"),
        ({"language": "klingon", "reading_languages": ["fr"]}, "fr"),  # refused by the form
    ],
)
def test_a_language_not_offered_is_refused_the_form_given_back_and_nothing_changes(
    signed_in, make_user, data, chosen
):
    """Issue 18, item 1: the settings page again (not a bare error page), what was chosen
    still chosen, the error announced; nothing changed."""
    user = make_user(language="en", reading_languages="ar")
    client = signed_in(user)
    response = post_form(client, "/auth/settings/language", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert f'<option selected value="{chosen}">' in page
    if data["language"] == "ru":
        assert "Choose your reading languages from the list." in page_messages(response)
    db.session.refresh(user)
    assert (user.language, user.reading_languages) == ("en", "ar")


def test_clearing_the_reading_languages_keeps_the_interface_language(signed_in, make_user):
    user = make_user(language="ar", reading_languages="ar en")
    client = signed_in(user)
    assert post_form(client, "/auth/settings/language", {"language": "ar"}).status_code == 302
    db.session.refresh(user)
    assert (user.language, user.reading_languages) == ("ar", "")


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("stored", "interface", "expected"),
    [
        ("", "en", ["en"]),  # nobody chose any: the interface language
        ("", "ar", ["ar"]),
        ("fr ar", "ru", ["fr", "ar", "ru"]),  # the interface language after the chosen ones
        ("en ar", "ar", ["en", "ar"]),  # listed already: kept where the person put it
        ("xx-old ckb", "en", ["ckb", "en"]),  # a code no longer on the list is left out
    ],
)
def test_preferred_reading_languages(stored, interface, expected):
    user = SimpleNamespace(reading_languages=stored, language=interface)
    assert preferred_reading_languages(user) == expected


def test_a_label_missing_in_the_interface_language_comes_in_the_next_reading_language(
    world_for_labels, signed_in
):
    from app.intake.models import WeaponType

    url, reader = world_for_labels
    db.session.get(WeaponType, "guided_bomb").label_ru = ""
    reader.language, reader.reading_languages = "ru", "ar en"
    db.session.commit()
    page = signed_in(reader).get(url)
    assert "قنبلة موجّهة" in page.get_data(as_text=True)  # Arabic before the English
    reader.reading_languages = "en ar"
    db.session.commit()
    page = signed_in(reader).get(url)
    assert "Guided bomb" in page.get_data(as_text=True)


@pytest.fixture
def world_for_labels(app_ctx):
    from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
    from tests.intake.builders import make_incident

    investigation = InvestigationFactory()
    reader = UserFactory(role="field")
    MembershipFactory(user=reader, investigation=investigation)
    incident = make_incident(investigation, reader)
    return f"/investigations/{investigation.reference}/incidents/{incident.id}", reader
