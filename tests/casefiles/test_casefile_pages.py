"""A lawyer builds a case file through the pages; every step lands in the custody ledger."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.casefiles.models import (
    Annotation,
    Assessment,
    CaseFile,
    CaseItem,
    Corroboration,
    ElementLink,
)
from app.custody.models import LedgerEntry
from app.extensions import db
from tests.casefiles.conftest import crime, element
from tests.helpers.web import page_messages, post_form


def ledger(object_id: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.object_id == object_id).order_by(LedgerEntry.seq)
    )
    return [json.loads(row.body) for row in rows]


def test_a_lawyer_builds_a_case_file_through_the_pages(world, signed_in):
    client = signed_in(world.author)
    base = f"/investigations/{world.investigation.reference}/cases"
    response = post_form(
        client,
        f"{base}/new",
        {
            "title": "Strike on the hospital",
            "legal_question": "Attack on a protected object?",
            "crimes": [str(crime("8(2)(e)(iv)").id)],
        },
        page=f"{base}/new",
    )
    assert response.status_code == 302, page_messages(response)
    casefile = db.session.scalar(select(CaseFile))
    assert casefile.reference == "CF-INV-2016-SYR-07-001"
    case_url = f"{base}/{casefile.reference}"
    for item_type, obj in (("interview", world.interview), ("evidence", world.photo)):
        response = post_form(
            client, f"{case_url}/items", {"item": f"{item_type}:{obj.id}"}, page=case_url
        )
        assert response.status_code == 302, page_messages(response)
    items = {i.item_type: i for i in db.session.scalars(select(CaseItem))}
    testimony, photo = items["interview"], items["evidence"]
    item_url = f"{case_url}/items/{testimony.id}"
    assert client.get(item_url).status_code == 200
    steps = [
        (
            "links",
            {
                "element": str(element("8(2)(e)(iv)", "1").id),
                "stance": "supporting",
                "note": "saw it",
            },
        ),
        ("assessments", {"reliability": "B", "credibility": "2", "rationale": "consistent"}),
        ("annotations", {"body": "Ask about the time of the second strike."}),
        ("corroborations", {"other_item": photo.id, "note": "same gate"}),
    ]
    for path, data in steps:
        response = post_form(client, f"{item_url}/{path}", data, page=item_url)
        assert response.status_code == 302, (path, page_messages(response))
    db.session.expire_all()
    assert db.session.query(ElementLink).count() == 1
    assert db.session.query(Assessment).one().grade == "B2"
    assert db.session.query(Annotation).count() == 1
    assert db.session.query(Corroboration).count() == 1
    actions = [(e["action"], e["details"].get("op")) for e in ledger(world.interview.id)]
    for expected in (
        ("linked_to_case", "item_added"),
        ("linked_to_case", "element_linked"),
        ("assessed", None),
        ("annotated", None),
        ("annotated", "corroborates"),
    ):
        assert expected in actions, expected
    assert ("annotated", "corroborated_by") in [
        (e["action"], e["details"].get("op")) for e in ledger(world.photo.id)
    ]
    # The ledger has the grade and a hash of the rationale, never the text.
    assessed = next(e for e in ledger(world.interview.id) if e["action"] == "assessed")
    assert assessed["details"]["reliability"] == "B" and "consistent" not in json.dumps(assessed)
    page = client.get(case_url).get_data(as_text=True)
    assert "B2" in page and world.witness.code in page


def test_bad_grades_and_unknown_elements_are_refused_and_nothing_is_stored(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    item_url = (
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
        f"/items/{w.items['photo'].id}"
    )
    before = db.session.query(LedgerEntry).count()
    for path, data in (
        ("assessments", {"reliability": "G", "credibility": "2", "rationale": "x"}),
        ("assessments", {"reliability": "A", "credibility": "9", "rationale": "x"}),
        ("links", {"element": "999999", "stance": "supporting"}),
        ("links", {"element": str(element("8(2)(b)(i)", "1").id), "stance": "supporting"}),
        ("corroborations", {"other_item": w.items["photo"].id}),
    ):
        response = post_form(client, f"{item_url}/{path}", data, page=item_url)
        assert response.status_code == 400, (path, data)
    db.session.expire_all()
    assert db.session.query(LedgerEntry).count() == before


def test_items_of_another_investigation_cannot_be_added(built_case, signed_in):
    from tests.helpers.factories import InvestigationFactory, MembershipFactory
    from tests.intake.builders import make_incident

    w = built_case
    other = InvestigationFactory()
    MembershipFactory(user=w.field, investigation=other)
    foreign = make_incident(other, w.field)
    client = signed_in(w.author)
    case_url = f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
    response = post_form(
        client, f"{case_url}/items", {"item": f"incident:{foreign.id}"}, page=case_url
    )
    assert response.status_code == 400
    assert db.session.scalar(select(CaseItem).where(CaseItem.item_id == foreign.id)) is None


def test_field_staff_get_403_on_case_file_pages(built_case, signed_in):
    w = built_case
    client = signed_in(w.field)
    base = f"/investigations/{w.investigation.reference}/cases"
    for path in ("/", "/new", f"/{w.casefile.reference}", f"/{w.casefile.reference}/matrix"):
        assert client.get(base + path).status_code == 403, path


def test_text_is_escaped_on_the_pages(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    item_url = (
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
        f"/items/{w.items['photo'].id}"
    )
    payload = "<script>alert(1)</script>"
    post_form(client, f"{item_url}/annotations", {"body": payload}, page=item_url)
    html = client.get(item_url).get_data(as_text=True)
    assert payload not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
