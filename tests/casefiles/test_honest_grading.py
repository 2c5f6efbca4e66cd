"""Honest defaults (issue 18): no grade or stance preselected, the form shows the grade on record,
and corroboration counts independent sources: a witness's own media never corroborates them."""

from __future__ import annotations

import re

from app.casefiles.models import Assessment, Corroboration, ElementLink
from app.casefiles.services import casefiles
from app.casefiles.services.items import summaries_for
from app.casefiles.services.matrix import build_matrix
from app.extensions import db
from app.intake.services.interviews import link_evidence
from tests.casefiles.conftest import element
from tests.helpers.web import page_messages, post_form
from tests.intake.builders import make_interview


def item_url(w, name: str) -> str:
    return (
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
        f"/items/{w.items[name].id}"
    )


def selected(page: str, name: str) -> list[str]:
    """The values of the options marked selected in the <select name=...> of the page."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(
        r'<option[^>]*selected[^>]*value="([^"]*)"|<option value="([^"]*)" selected', select
    )


def chosen(page: str, name: str) -> set[str]:
    return {a or b for a, b in selected(page, name)}


def test_an_ungraded_item_offers_no_preselected_grade_and_a_post_without_one_is_refused(
    built_case, signed_in
):
    w = built_case
    client = signed_in(w.author)
    url = item_url(w, "photo")
    page = client.get(url).get_data(as_text=True)
    assert chosen(page, "reliability") <= {""} and chosen(page, "credibility") <= {""}
    assert 'value="A"' in page  # the grades are offered, just not chosen
    response = post_form(client, f"{url}/assessments", {"rationale": "no grade chosen"}, page=url)
    assert response.status_code == 400
    assert "Choose the source" in " ".join(page_messages(response))
    assert db.session.query(Assessment).filter_by(case_item_id=w.items["photo"].id).count() == 0


def test_after_saving_b2_the_form_shows_b2_not_a_flattering_default(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    url = item_url(w, "photo")
    data = {"reliability": "B", "credibility": "2", "rationale": "Shadows match the hour."}
    assert post_form(client, f"{url}/assessments", data, page=url).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert chosen(page, "reliability") == {"B"} and chosen(page, "credibility") == {"2"}


def test_a_link_without_a_chosen_stance_is_refused(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    url = item_url(w, "photo")
    before = db.session.query(ElementLink).count()
    data = {"element": str(element("8(2)(e)(iv)", "3").id), "note": "no stance"}
    response = post_form(client, f"{url}/links", data, page=url)
    assert response.status_code == 400
    assert "supports or undermines" in " ".join(page_messages(response))
    assert db.session.query(ElementLink).count() == before


def attach_photo_to_witness_interview(w) -> None:
    """The eyewitness took the photo: it is filed with a (second, draft) interview of theirs."""
    draft = make_interview(w.investigation, w.field, w.witness, incidents=[w.incident])
    link_evidence(draft, w.field, w.photo.id, "attachment")
    db.session.commit()


def test_a_witness_own_photo_cannot_corroborate_their_testimony(built_case, signed_in):
    w = built_case
    attach_photo_to_witness_interview(w)
    client = signed_in(w.author)
    url = item_url(w, "photo")
    before = db.session.query(Corroboration).count()
    data = {"other_item": w.items["interview"].id, "note": "same gate"}
    response = post_form(client, f"{url}/corroborations", data, page=url)
    assert response.status_code == 400
    assert "same source" in " ".join(page_messages(response))
    assert db.session.query(Corroboration).count() == before


def test_the_matrix_counts_a_witness_and_their_own_photo_as_one_source_and_says_why(
    built_case, signed_in
):
    w = built_case
    target = element("8(2)(e)(iv)", "1")  # the eyewitness's testimony already supports it
    casefiles.link_element(w.casefile, w.author, w.items["photo"], target.id, "supporting", "")
    db.session.commit()

    def row():
        summaries = summaries_for(w.investigation, w.author, w.casefile.items)
        return build_matrix(w.casefile, summaries).row_for("8(2)(e)(iv)", "1")

    assert (row().supporting, row().supporting_sources) == (2, 2)  # two independent sources
    attach_photo_to_witness_interview(w)
    assert (row().supporting, row().supporting_sources) == (2, 1)  # one witness, their own photo
    url = f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}/matrix"
    page = signed_in(w.author).get(url).get_data(as_text=True)
    line = page[page.index('data-element="8(2)(e)(iv):1"') :].split("</tr>")[0]
    assert "one source: a witness and their own media" in line
    assert re.search(r'class="count supporting">1 <span class="muted">\(2 ', line)
    assert ">B2<" in line  # the testimony's grade, in its cell
