"""Languages: Arabic pages right-to-left, the saved choice, localised dates, complete catalogs."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import render_template_string

from app.extensions import db
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import post_form, sign_in
from tests.intake.builders import make_interview, make_witness

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
COMPLETE_LANGUAGES = ["ar"]  # must translate every message; others may lag behind English
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
HTML_TAG = re.compile(r"<html[^>]*>")


def html_tag(response) -> str:
    match = HTML_TAG.search(response.get_data(as_text=True))
    assert match, "no <html> tag"
    return match.group(0)


def placeholders(text: str | tuple) -> set[str]:
    """The named placeholders of a message (or of all forms of a plural one)."""
    forms = text if isinstance(text, tuple) else (text,)
    return {name for form in forms for name in PLACEHOLDER.findall(form)}


def catalogs() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def load_po(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale=path.parent.parent.name)


# --- pages in the reader's language -------------------------------------------------------------


def test_arabic_user_gets_right_to_left_arabic_navigation(signed_in, make_user):
    client = signed_in(make_user(language="ar"))
    response = client.get("/investigations/")
    page = response.get_data(as_text=True)
    assert html_tag(response) == '<html lang="ar" dir="rtl">'
    for label in ("التحقيقات", "الإعدادات", "تسجيل الخروج", "الانتقال إلى المحتوى"):
        assert label in page
    assert ">Investigations<" not in page


def test_anonymous_visitor_asking_for_arabic_gets_the_arabic_sign_in_page(client):
    response = client.get("/auth/login", headers={"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"})
    page = response.get_data(as_text=True)
    assert html_tag(response) == '<html lang="ar" dir="rtl">'
    for label in ("تسجيل الدخول", "البريد الإلكتروني", "كلمة المرور"):
        assert label in page


def test_visitor_without_a_known_language_gets_english_left_to_right(client):
    response = client.get("/auth/login", headers={"Accept-Language": "sw,de;q=0.5"})
    assert html_tag(response) == '<html lang="en" dir="ltr">'
    assert "Sign in" in response.get_data(as_text=True)


def test_saved_language_wins_over_the_browser_language(app, make_user):
    user = make_user(language="ar")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    sign_in(client, user)
    response = client.get("/auth/settings")
    assert html_tag(response) == '<html lang="ar" dir="rtl">'


def test_intake_forms_are_labelled_in_arabic(signed_in, make_user, investigation):
    user = make_user(language="ar")
    MembershipFactory(user=user, investigation=investigation)
    client = signed_in(user)
    base = f"/investigations/{investigation.reference}"
    incident = client.get(f"{base}/incidents/new").get_data(as_text=True)
    witness = client.get(f"{base}/witnesses/new").get_data(as_text=True)
    for label in ("اسم المكان", "السلاح أو الذخيرة", "الجهات المرتكبة المزعومة", "القتلى المدنيون"):
        assert label in incident
    for label in ("تسجيل شاهد", "الموافقة المستنيرة", "إجراء المقابلة", "الاسم الكامل"):
        assert label in witness


def test_russian_user_gets_russian_navigation(signed_in, make_user):
    page = signed_in(make_user(language="ru")).get("/investigations/").get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in page
    assert "Расследования" in page and "Настройки" in page


# --- the saved choice ---------------------------------------------------------------------------


def test_choosing_arabic_on_the_settings_page_is_saved_and_used_next(signed_in, make_user):
    user = make_user(language="en")
    client = signed_in(user)
    response = post_form(client, "/auth/settings/language", {"language": "ar"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.language == "ar"
    after = client.get(response.headers["Location"])
    assert html_tag(after) == '<html lang="ar" dir="rtl">'
    assert "الإعدادات" in after.get_data(as_text=True)


def test_switching_back_to_english_is_saved_too(signed_in, make_user):
    user = make_user(language="ar")
    client = signed_in(user)
    post_form(client, "/auth/settings/language", {"language": "en"})
    db.session.refresh(user)
    assert user.language == "en"
    assert html_tag(client.get("/investigations/")) == '<html lang="en" dir="ltr">'


def test_unknown_language_is_refused_and_nothing_changes(signed_in, make_user):
    user = make_user(language="ar")
    client = signed_in(user)
    response = post_form(client, "/auth/settings/language", {"language": "xx"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.language == "ar"


# --- dates and numbers --------------------------------------------------------------------------

MOMENT = datetime(2016, 4, 27, 14, 5, 9)  # naive UTC, as stored


def render_in(app, language: str, source: str, **values) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return render_template_string(source, **values)


def test_dates_use_arabic_month_names(app):
    assert render_in(app, "ar", "{{ d|date }}", d=date(2016, 4, 27)) == "27 أبريل 2016"
    assert render_in(app, "en", "{{ d|date }}", d=date(2016, 4, 27)) == "April 27, 2016"
    assert render_in(app, "ru", "{{ d|date }}", d=date(2016, 4, 27)) == "27 апреля 2016\u202fг."


def test_moments_use_the_local_clock_and_separator(app):
    arabic = render_in(app, "ar", "{{ t|datetime }}", t=MOMENT)
    assert arabic == "27 أبريل 2016، 2:05 م"
    assert render_in(app, "ru", "{{ t|datetime(seconds=True) }}", t=MOMENT) == (
        "27 апреля 2016\u202fг., 14:05:09"
    )


def test_outside_a_request_templates_render_in_english(app_ctx):
    # A job rendering a report has an app context but no person and no browser.
    rendered = render_template_string("{{ _('Sign in') }}: {{ d|date }}", d=date(2016, 4, 27))
    assert rendered == "Sign in: April 27, 2016"


def test_missing_dates_render_empty_instead_of_today(app):
    assert render_in(app, "en", "[{{ none|date }}|{{ none|datetime }}|{{ none|number }}]") == "[||]"


def test_numbers_use_the_local_grouping(app):
    assert render_in(app, "en", "{{ n|number }}", n=1234567) == "1,234,567"
    assert render_in(app, "ru", "{{ n|number }}", n=1234567.5) == "1\xa0234\xa0567,5"


def test_an_interview_date_shows_in_arabic_on_the_witness_page(signed_in, make_user):
    investigation = InvestigationFactory()
    user = UserFactory(language="ar")
    MembershipFactory(user=user, investigation=investigation)
    witness = make_witness(investigation, user)
    make_interview(investigation, user, witness, conducted_on=date(2016, 5, 2))
    page = signed_in(user).get(f"/investigations/{investigation.reference}/interviews")
    assert "2 مايو 2016" in page.get_data(as_text=True)


# --- the catalogs -------------------------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize("path", catalogs(), ids=lambda p: p.parent.parent.name)
def test_catalog_has_no_fuzzy_entries_and_placeholders_match(path):
    catalog = load_po(path)
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {path.parent.parent.name}: {fuzzy}"
    wrong = [
        m.id for m in catalog if m.id and m.string and placeholders(m.string) - placeholders(m.id)
    ]
    wrong += [
        m.id for m in catalog if m.id and m.string and placeholders(m.id) - placeholders(m.string)
    ]
    assert not wrong, f"placeholders differ (a page would fail to render): {wrong}"


@pytest.mark.nodb
@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_complete_language_has_no_empty_translation(language):
    catalog = load_po(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    empty = [m.id for m in catalog if m.id and not m.string]
    assert not empty, f"untranslated in {language}: {empty}"


def _key(value):
    """A message id or string as a dict key: plural ones are lists in a read .mo, tuples in .po."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.nodb
@pytest.mark.parametrize("path", catalogs(), ids=lambda p: p.parent.parent.name)
def test_compiled_catalog_matches_its_source(path):
    catalog = load_po(path)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # proves the .po compiles
    with path.with_suffix(".mo").open("rb") as f:
        shipped = read_mo(f)
    expected = {_key(m.id): _key(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
    actual = {_key(m.id): _key(m.string) for m in shipped if m.id and m.string}
    assert actual == expected, f"{path.with_suffix('.mo')} is stale: run `make translations`"


@pytest.mark.nodb
@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_every_message_in_the_code_is_translated(language):
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    in_code = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    catalog = load_po(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.string}
    missing = sorted(in_code - translated - {""})
    assert not missing, f"run `make translations` and translate into {language}: {missing}"


# --- the shipped labels (issue 21, item 6) ------------------------------------------------------


def shipped_labels() -> list[tuple[str, str, dict]]:
    """(file, field, entry) for every label shipped in app/taxonomy: weapons, targets, consent
    purposes, custody actions, and of each legal framework its title, its crimes' titles and
    every element's text (the contextual ones too)."""
    import yaml

    taxonomy = ROOT / "app" / "taxonomy"
    labels = []
    for name, key in (
        ("weapons.yaml", "weapons"),
        ("targets.yaml", "targets"),
        ("consent_purposes.yaml", "consent_purpose"),
        ("custody_actions.yaml", "custody_action"),
    ):
        entries = yaml.safe_load((taxonomy / name).read_text(encoding="utf-8"))[key]
        labels += [(name, "label", entry) for entry in entries]
    for path in sorted((taxonomy / "legal").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        labels.append((path.name, "title", document["framework"]))
        for crime in document["crimes"]:
            labels.append((path.name, "title", crime))
            labels += [
                (path.name, "text", dict(e, code=f"{crime['code']} el. {e['code']}"))
                for e in crime["elements"]
            ]
        for context, elements in (document.get("contextual") or {}).items():
            labels += [
                (path.name, "text", dict(e, code=f"{context} {e['code']}")) for e in elements
            ]
    return labels


ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
CYRILLIC_LETTERS = re.compile(r"[\u0400-\u04ff]")


@pytest.mark.nodb
def test_every_shipped_label_has_an_arabic_and_a_russian_translation():
    labels = shipped_labels()
    # 10 weapons, 9 targets, 5 consent purposes, 45 custody actions; the Rome Statute art. 8:
    # its title, 10 crimes, 26 elements and 4 contextual ones.
    assert len(labels) >= 110
    missing = [
        f"{name} {entry['code']} {field}_{lang}"
        for name, field, entry in labels
        for lang, letters in (("ar", ARABIC_LETTERS), ("ru", CYRILLIC_LETTERS))
        if not letters.search(str(entry.get(f"{field}_{lang}") or ""))
    ]
    assert not missing, f"shipped labels without a translation: {missing}"


@pytest.mark.nodb
def test_every_consent_purpose_and_custody_action_of_the_code_has_a_shipped_label():
    """A purpose or action added to the code without a label in app/taxonomy fails here (and
    then the test above, until it is translated)."""
    from app.custody.ledger import CustodyAction
    from app.intake.models import ConsentPurpose

    shipped = {(name, entry["code"]) for name, _field, entry in shipped_labels()}
    missing = [
        (name, member.value)
        for name, vocabulary in (
            ("consent_purposes.yaml", ConsentPurpose),
            ("custody_actions.yaml", CustodyAction),
        )
        for member in vocabulary
        if (name, member.value) not in shipped
    ]
    assert not missing, f"codes without a shipped label: {missing}"


@pytest.mark.nodb
def test_the_check_fails_on_a_shipped_label_left_in_english(monkeypatch):
    """The test above can fail: a label whose Arabic is empty or still English is caught."""
    untranslated = [
        (
            "custody_actions.yaml",
            "label",
            {
                "code": "received",
                "label": "Received",
                "label_ar": "Received",
                "label_ru": "Получение",
            },
        ),
        (
            "rome.yaml",
            "text",
            {"code": "8(2)(b)(i) el. 1", "text": "The perpetrator…", "text_ru": "Исполнитель…"},
        ),
    ]
    monkeypatch.setattr(f"{__name__}.shipped_labels", lambda: untranslated * 60)
    with pytest.raises(AssertionError, match=r"received label_ar.*el\. 1 text_ar"):
        test_every_shipped_label_has_an_arabic_and_a_russian_translation()
