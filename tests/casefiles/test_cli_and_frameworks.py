"""`flask case list`, `flask taxonomy load`, and frameworks as data (shipped and uploaded)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.casefiles.models import LegalCrime, LegalFramework
from app.casefiles.services.frameworks import FrameworkDocumentError, parse_document
from app.extensions import db
from tests.helpers.factories import UserFactory
from tests.helpers.web import post_form

REQUIRED = [
    "8(2)(b)(i)",
    "8(2)(b)(ii)",
    "8(2)(b)(iv)",
    "8(2)(b)(v)",
    "8(2)(b)(ix)",
    "8(2)(b)(xx)",
    "8(2)(e)(i)",
    "8(2)(e)(ii)",
    "8(2)(e)(iv)",
]


def test_case_list_prints_ref_status_title(app, built_case):
    result = app.test_cli_runner().invoke(args=["case", "list"])
    assert result.exit_code == 0
    assert result.output == f"{built_case.casefile.reference}\tdraft\tStrike on Al-Quds hospital\n"


def test_taxonomy_load_adds_the_legal_frameworks_once(app, app_ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["taxonomy", "load"])
    assert first.exit_code == 0 and "legal frameworks: 1 added" in first.output
    second = runner.invoke(args=["taxonomy", "load"])
    assert "legal frameworks: 0 added" in second.output
    assert db.session.query(LegalFramework).count() == 1


def test_the_shipped_framework_has_each_attack_crime_with_cited_and_contextual_elements(frameworks):
    crimes = {c.code: c for c in db.session.scalars(select(LegalCrime))}
    for code in REQUIRED:
        crime = crimes[code]
        kinds = [e.kind for e in crime.elements]
        assert kinds[-2:] == ["contextual", "contextual"], code
        assert all(e.citation for e in crime.elements), code
        assert "Elements of Crimes" in crime.citation
    assert "not of an international character" in crimes["8(2)(e)(i)"].elements[-2].text
    assert crimes["8(2)(b)(i)"].counterpart == "8(2)(e)(i)"


CRIME = "crimes: [{{code: a, title: b, elements: [{{code: '1', kind: {kind}, text: t}}]}}]"


@pytest.mark.nodb
@pytest.mark.parametrize(
    "text",
    [
        "not: [valid",
        "framework: {code: x}",
        "framework: {code: Bad Code, title: t}\n" + CRIME.format(kind="material"),
        "framework: {code: ok-code, title: t}\n" + CRIME.format(kind="magic"),
        "framework: {code: ok-code, title: t}\ncrimes: [{code: a, title: b, elements: []}]",
    ],
)
def test_invalid_framework_documents_are_refused(text):
    with pytest.raises(FrameworkDocumentError):
        parse_document(text)


CAH = """
framework: {code: rome-statute-art7, title: "Rome Statute, article 7"}
contextual:
  widespread:
    - {code: C1, text: "Part of a widespread or systematic attack on a civilian population."}
    - {code: C2, text: "The perpetrator knew of, or meant the conduct to be part of, that attack."}
crimes:
  - code: "7(1)(a)"
    title: Murder
    context: widespread
    citation: "Rome Statute art. 7(1)(a); Elements of Crimes art. 7(1)(a)"
    elements:
      - {code: "1", kind: material, text: "The perpetrator killed one or more persons."}
"""


def test_an_admin_adds_a_framework_as_data_and_lawyers_can_use_it(
    app, app_ctx, frameworks, signed_in
):
    admin = signed_in(UserFactory(role="admin"))
    response = post_form(
        admin,
        "/admin/frameworks",
        {"document": (io.BytesIO(CAH.encode()), "art7.yaml"), "text": ""},
        page="/admin/frameworks",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.status_code
    crime = db.session.scalar(select(LegalCrime).where(LegalCrime.code == "7(1)(a)"))
    assert [e.code for e in crime.elements] == ["1", "C1", "C2"]
    assert admin.get("/admin/frameworks/rome-statute-art7").status_code == 200
    again = post_form(admin, "/admin/frameworks", {"text": CAH}, page="/admin/frameworks")
    assert again.status_code == 400
    assert db.session.query(LegalFramework).count() == 2


def test_a_broken_upload_stores_nothing(app, app_ctx, signed_in):
    admin = signed_in(UserFactory(role="admin"))
    response = post_form(
        admin, "/admin/frameworks", {"text": "crimes: 3"}, page="/admin/frameworks"
    )
    assert response.status_code == 400
    assert db.session.query(LegalFramework).count() == 0


def test_lawyers_cannot_reach_the_framework_admin(app, app_ctx, signed_in):
    assert signed_in(UserFactory(role="lawyer")).get("/admin/frameworks").status_code == 403
