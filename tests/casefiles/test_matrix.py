"""Matrix counts and gaps on a constructed case: no support, single hearsay, counts per element."""

from __future__ import annotations

from app.casefiles.services import casefiles
from app.casefiles.services.items import summaries_for
from app.casefiles.services.matrix import build_matrix
from app.extensions import db
from tests.casefiles.conftest import crime, element
from tests.helpers.web import page_messages  # noqa: F401  (kept for symmetry with web tests)


def matrix_of(world):
    summaries = summaries_for(world.investigation, world.author, world.casefile.items)
    return build_matrix(world.casefile, summaries)


def test_counts_and_gaps_on_a_constructed_case(built_case):
    w = built_case
    # On top of built_case: the photo also undermines (iv)/1, the incident supports (iv)/2.
    casefiles.link_element(
        w.casefile, w.author, w.items["photo"], element("8(2)(e)(iv)", "1").id, "undermining", ""
    )
    casefiles.link_element(
        w.casefile, w.author, w.items["incident"], element("8(2)(e)(iv)", "2").id, "supporting", ""
    )
    db.session.commit()
    m = matrix_of(w)
    assert len(m.columns) == 5
    row = m.row_for("8(2)(e)(iv)", "1")
    assert (row.supporting, row.undermining, row.no_support, row.single_hearsay) == (
        1,
        1,
        False,
        False,
    )
    row = m.row_for("8(2)(e)(iv)", "2")
    assert (row.supporting, row.undermining) == (2, 0)
    # Element 3 rests on one hearsay testimony only: flagged.
    row = m.row_for("8(2)(e)(iv)", "3")
    assert (row.supporting, row.single_hearsay, row.flagged) == (1, True, True)
    # Contextual elements and the other characterization: nothing supports them.
    gaps = {(r.crime.code, r.element.code) for r in m.gaps}
    assert ("8(2)(e)(iv)", "C1") in gaps and ("8(2)(e)(iv)", "C2") in gaps
    assert {("8(2)(e)(i)", code) for code in ("1", "2", "3", "C1", "C2")} <= gaps
    assert ("8(2)(e)(iv)", "1") not in gaps
    assert [(r.crime.code, r.element.code) for r in m.single_hearsay] == [("8(2)(e)(iv)", "3")]


def test_a_second_source_lifts_the_single_hearsay_flag(built_case):
    w = built_case
    casefiles.link_element(
        w.casefile, w.author, w.items["interview"], element("8(2)(e)(iv)", "3").id, "supporting", ""
    )
    db.session.commit()
    row = matrix_of(w).row_for("8(2)(e)(iv)", "3")
    assert (row.supporting, row.single_hearsay, row.no_support) == (2, False, False)


def test_undermining_evidence_alone_leaves_the_element_unsupported(built_case):
    w = built_case
    casefiles.link_element(
        w.casefile, w.author, w.items["photo"], element("8(2)(e)(i)", "2").id, "undermining", ""
    )
    db.session.commit()
    row = matrix_of(w).row_for("8(2)(e)(i)", "2")
    assert (row.supporting, row.undermining, row.no_support) == (0, 1, True)


def test_the_matrix_page_shows_counts_and_highlights_gaps(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    response = client.get(
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}/matrix"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="weak" data-element="8(2)(e)(iv):3"' in html
    assert 'class="gap" data-element="8(2)(e)(i):1"' in html
    assert 'class="" data-element="8(2)(e)(iv):1"' in html
    assert crime("8(2)(e)(iv)").title in html
