"""Crime titles in the reader's language on case-file pages (issue 21, item 6), English where a
title has no translation; the PDF report, an English document, keeps the English titles and
elements."""

from __future__ import annotations

from app.extensions import db
from tests.casefiles.conftest import crime, element

ARABIC_IV = "الهجوم على أعيان محمية: المستشفيات والمدارس وأماكن العبادة وغيرها"
RUSSIAN_E_I = "Нападения на гражданское население (вооружённый конфликт немеждународного характера)"


def matrix_page(w, signed_in, language):
    w.author.language = language
    db.session.commit()
    url = f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}/matrix"
    return signed_in(w.author).get(url).get_data(as_text=True)


def test_an_arabic_reader_sees_arabic_crime_titles_on_the_matrix(built_case, signed_in):
    page = matrix_page(built_case, signed_in, "ar")
    assert f"8(2)(e)(iv) {ARABIC_IV}" in page
    assert crime("8(2)(e)(iv)").title not in page


def test_a_russian_reader_sees_russian_titles_on_the_case_file(built_case, signed_in):
    w = built_case
    w.author.language = "ru"
    db.session.commit()
    url = f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
    assert RUSSIAN_E_I in signed_in(w.author).get(url).get_data(as_text=True)


def test_a_crime_without_a_translation_shows_its_english_title(built_case, signed_in):
    crime("8(2)(e)(iv)").title_ar = ""
    db.session.commit()
    page = matrix_page(built_case, signed_in, "ar")
    assert crime("8(2)(e)(iv)").title in page


def test_the_report_of_an_export_started_by_an_arabic_reader_keeps_english_titles(
    app, built_case, signed_in, tmp_path, export_dir
):
    from tests.casefiles.test_export_protection import _download_bag, _web_export

    w = built_case
    w.author.language = "ar"
    db.session.commit()
    client = signed_in(w.author)
    response, _base = _web_export(
        client, w, {"files": "originals", "for_whom": "UN Commission of Inquiry"}
    )
    bag = _download_bag(client, w, response, tmp_path)
    report = next(bag.rglob("casefile-report.html")).read_text(encoding="utf-8")
    assert crime("8(2)(e)(iv)").title in report and ARABIC_IV not in report
    assert "Hospital or medical facility" in report and "مستشفى" not in report
    # ... and the English elements (issue 21, item 6: the report stays one English document)
    directed = element("8(2)(e)(iv)", "1")
    assert directed.text in report and directed.text_ar not in report
