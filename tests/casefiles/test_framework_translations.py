"""Legal frameworks and their elements in the reader's language (issue 21, item 6): the Arabic
and Russian shipped beside the English paraphrase, shown on the matrix, the case file and the
item page, English where one is missing; admins correct them, never the English."""

from __future__ import annotations

from app.casefiles.models import LegalFramework
from app.extensions import db
from tests.casefiles.conftest import crime, element
from tests.helpers.factories import UserFactory
from tests.helpers.web import page_messages, post_form

ARABIC_DIRECTED = "وجّه مرتكب الجريمة هجوماً."
RUSSIAN_DIRECTED = "Исполнитель совершил нападение."
ARABIC_NEXUS = "الصلة بالنزاع: صدر السلوك في سياق نزاع مسلح غير ذي طابع دولي وكان مقترناً به."


def reading(w, signed_in, language, path=""):
    w.author.language = language
    db.session.commit()
    url = f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}{path}"
    return signed_in(w.author).get(url).get_data(as_text=True)


def test_an_arabic_reader_sees_the_elements_in_arabic_on_the_matrix(built_case, signed_in):
    page = reading(built_case, signed_in, "ar", "/matrix")
    assert ARABIC_DIRECTED in page and ARABIC_NEXUS in page
    assert element("8(2)(e)(iv)", "1").text not in page


def test_a_russian_reader_sees_the_elements_in_russian_on_the_item_page(built_case, signed_in):
    item = built_case.items["photo"]
    page = reading(built_case, signed_in, "ru", f"/items/{item.id}")
    assert f"8(2)(e)(iv) el. 1: {RUSSIAN_DIRECTED}" in page


def test_an_element_without_a_translation_shows_its_english_text(built_case, signed_in):
    element("8(2)(e)(iv)", "1").text_ar = ""
    db.session.commit()
    page = reading(built_case, signed_in, "ar", "/matrix")
    assert element("8(2)(e)(iv)", "1").text in page


def _framework():
    return db.session.scalar(
        db.select(LegalFramework).where(LegalFramework.code == "rome-statute-art8")
    )


def _edit(signed_in, data):
    admin = UserFactory(role="admin")
    client = signed_in(admin)
    url = "/admin/frameworks/rome-statute-art8"
    return post_form(client, f"{url}/translations", data, page=url)


def test_an_admin_corrects_an_elements_arabic_and_the_reader_sees_it(built_case, signed_in):
    target = f"element-{element('8(2)(e)(iv)', '1').id}"
    english = element("8(2)(e)(iv)", "1").text
    response = _edit(
        signed_in,
        {"target": target, "text_ar": "  وجّه الجاني   هجوماً. ", "text_ru": "Исполнитель напал."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (element("8(2)(e)(iv)", "1").text_ar, element("8(2)(e)(iv)", "1").text) == (
        "وجّه الجاني هجوماً.",
        english,
    )
    assert "وجّه الجاني هجوماً." in reading(built_case, signed_in, "ar", "/matrix")


def test_an_admin_translates_the_framework_and_crime_titles(built_case, signed_in):
    assert (
        _edit(signed_in, {"target": "framework", "text_ar": "نظام روما", "text_ru": ""}).status_code
        == 302
    )
    target = f"crime-{crime('8(2)(e)(i)').id}"
    assert (
        _edit(signed_in, {"target": target, "text_ar": "عنوان", "text_ru": "Заголовок"}).status_code
        == 302
    )
    db.session.expire_all()
    assert (_framework().title_ar, _framework().title_ru) == ("نظام روما", "")
    assert crime("8(2)(e)(i)").title_ru == "Заголовок"


def test_an_emptied_form_is_refused_and_keeps_the_translations(built_case, signed_in):
    target = f"element-{element('8(2)(e)(iv)', '1').id}"
    response = _edit(signed_in, {"target": target, "text_ar": "", "text_ru": " "})
    assert response.status_code == 400
    assert any("Show the English text" in m for m in page_messages(response))
    db.session.expire_all()
    assert element("8(2)(e)(iv)", "1").text_ar == ARABIC_DIRECTED


def test_ticking_show_english_removes_both(built_case, signed_in):
    target = f"element-{element('8(2)(e)(iv)', '1').id}"
    response = _edit(signed_in, {"target": target, "text_ar": "x", "clear": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (element("8(2)(e)(iv)", "1").text_ar, element("8(2)(e)(iv)", "1").text_ru) == ("", "")


def test_a_text_of_another_framework_or_no_text_is_refused(built_case, signed_in):
    from app.casefiles.services.frameworks import add_uploaded_framework

    other = add_uploaded_framework(
        "framework: {code: other-code, title: Other}\n"
        "crimes:\n- {code: X1, title: Crime, citation: c, elements: "
        "[{code: '1', kind: material, text: Did it., text_ar: فعلها.}]}\n",
        None,
    )
    db.session.commit()
    foreign = other.crimes[0].elements[0]
    assert foreign.text_ar == "فعلها."  # an uploaded framework may carry its translations
    for target in (f"element-{foreign.id}", "element-", "framework-3", "crime-999999", "<b>"):
        response = _edit(signed_in, {"target": target, "text_ar": "نص", "text_ru": ""})
        assert response.status_code == 400, target
    db.session.expire_all()
    assert db.session.get(type(foreign), foreign.id).text_ar == "فعلها."


def test_an_overlong_translation_is_refused(built_case, signed_in):
    target = f"crime-{crime('8(2)(e)(i)').id}"
    response = _edit(signed_in, {"target": target, "text_ar": "ب" * 301})
    assert response.status_code == 400
    db.session.expire_all()
    assert crime("8(2)(e)(i)").title_ar.startswith("تعمد")


def test_loading_the_shipped_frameworks_again_fills_only_missing_translations(built_case):
    from app.casefiles.services.frameworks import load_shipped_frameworks

    element("8(2)(e)(iv)", "1").text_ar = ""
    element("8(2)(e)(iv)", "2").text_ru = "Поправлено администратором."
    db.session.commit()
    assert load_shipped_frameworks() == []
    assert element("8(2)(e)(iv)", "1").text_ar == ARABIC_DIRECTED
    assert element("8(2)(e)(iv)", "2").text_ru == "Поправлено администратором."
