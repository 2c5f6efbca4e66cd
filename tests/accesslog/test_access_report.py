"""Reads with a stated reason: revealing an identity asks why, each read is recorded once per
person, object and hour, and the access report answers "who saw W-0007's identity, when, why"."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.accesslog.models import AccessRecord
from app.extensions import db
from tests.accesslog.conftest import NAME
from tests.helpers.web import post_form


def _reveal(client, world, reason: str = "witness_safety", text: str = ""):
    url = world.url(f"/witnesses/{world.witness.id}/identity")
    data = {"access_reason": reason, "access_reason_text": text}
    return post_form(client, url, data, page=url)


def _records(**where) -> list[AccessRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessRecord).filter_by(**where)))


def test_the_identity_is_shown_only_after_a_reason_is_posted(reads, signed_in):
    client = signed_in(reads.cleared)
    form = client.get(reads.url(f"/witnesses/{reads.witness.id}/identity"))
    assert form.status_code == 200 and NAME not in form.get_data(as_text=True)
    assert 'method="post"' in form.get_data(as_text=True)
    # A reason in the query string reveals nothing: reasons travel in the POST body only.
    by_url = client.get(
        reads.url(f"/witnesses/{reads.witness.id}/identity?access_reason=case_review")
    )
    assert NAME not in by_url.get_data(as_text=True)
    no_reason = _reveal(client, reads, reason="")
    other_unsaid = _reveal(client, reads, reason="other")
    assert (no_reason.status_code, other_unsaid.status_code) == (400, 400)
    assert NAME not in no_reason.get_data(as_text=True) + other_unsaid.get_data(as_text=True)
    assert _records(kind="identity") == []
    assert NAME in _reveal(client, reads).get_data(as_text=True)


def test_a_member_without_the_grant_cannot_reveal(reads, signed_in):
    response = _reveal(signed_in(reads.lawyer), reads)
    assert response.status_code == 403 and NAME not in response.get_data(as_text=True)
    assert _records(kind="identity") == []


def test_reads_in_one_hour_share_one_record(reads, signed_in):
    client = signed_in(reads.cleared)
    _reveal(client, reads, "witness_safety", "calling her about relocation")
    _reveal(client, reads, "case_review")
    (record,) = _records(kind="identity", object_id=reads.witness.id)
    assert (record.reads, record.reason_code, record.user_id) == (
        2,
        "witness_safety",
        reads.cleared.id,
    )


def test_the_access_report_answers_who_saw_w_0007s_identity_when_and_why(reads, signed_in):
    _reveal(signed_in(reads.cleared), reads, "witness_safety", "calling her about relocation")
    code = reads.witness.code
    for reader in (reads.lawyer, reads.admin):  # lawyers and admins of the investigation
        page = signed_in(reader).get(reads.url(f"/access-report?object={code}"))
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "cleared@example.org" in text and code in text and "identity" in text
        assert "Witness safety or contact" in text and "calling her about relocation" in text
    (record,) = _records(kind="identity")
    assert record.first_at.strftime("%Y-%m-%d %H:%M") in text
    assert NAME not in text  # the report names the witness by code only


def test_the_access_report_is_not_for_field_researchers(reads, signed_in):
    overview = reads.url("")
    assert "/access-report" in signed_in(reads.lawyer).get(overview).get_data(as_text=True)
    client = signed_in(reads.field)
    assert "/access-report" not in client.get(overview).get_data(as_text=True)
    assert client.get(reads.url("/access-report")).status_code == 403
    assert client.get(reads.url("/access-report.csv")).status_code == 403


def test_the_csv_holds_the_rows_and_no_formula(reads, signed_in):
    _reveal(signed_in(reads.cleared), reads, "other", '=HYPERLINK("http://evil.example","x")')
    response = signed_in(reads.lawyer).get(reads.url("/access-report.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    (row,) = [r for r in rows if r["what"] == "identity"]
    assert (row["who"], row["object"]) == ("cleared@example.org", reads.witness.code)
    assert row["reason_text"].startswith("'=")
    assert not [cell for r in rows for cell in r.values() if cell[:1] in ("=", "+", "@")]


def test_testimony_reads_are_recorded_and_shown_on_its_page(reads, signed_in):
    url = reads.url(f"/interviews/{reads.interview.id}")
    assert signed_in(reads.lawyer).get(url).status_code == 200
    (record,) = _records(kind="testimony")
    assert (record.user_id, record.label) == (reads.lawyer.id, reads.witness.code)
    page = signed_in(reads.admin).get(url).get_data(as_text=True)
    assert "Recorded reads" in page and "plain@example.org" in page


def test_the_witness_page_shows_who_read_the_identity(reads, signed_in):
    _reveal(signed_in(reads.cleared), reads, "case_review")
    page = signed_in(reads.lawyer).get(reads.url(f"/witnesses/{reads.witness.id}"))
    assert "cleared@example.org" in page.get_data(as_text=True)
    field_page = signed_in(reads.field).get(reads.url(f"/witnesses/{reads.witness.id}"))
    assert "cleared@example.org" not in field_page.get_data(as_text=True)


def test_downloading_an_original_asks_why_first(reads, signed_in):
    client = signed_in(reads.lawyer)
    item_url = reads.url(f"/evidence/{reads.item.id}")
    browser = client.get(f"{item_url}/download", headers={"Accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["Location"].endswith("/download/reason")
    script = client.get(f"{item_url}/download", headers={"Accept": "application/json"})
    assert script.status_code == 428 and not script.headers.get("Content-Disposition")
    stated = post_form(
        client,
        f"{item_url}/download/reason",
        {"access_reason": "legal_proceedings", "access_reason_text": "disclosure to the court"},
        page=f"{item_url}/download/reason",
    )
    assert stated.status_code == 302 and "reason" not in stated.headers["Location"].split("/")[-1]
    assert "disclosure" not in stated.headers["Location"]
    assert client.get(stated.headers["Location"]).status_code == 200
    (record,) = _records(kind="original")
    assert (record.reason_code, record.reason_text) == (
        "legal_proceedings",
        "disclosure to the court",
    )


def test_the_reason_form_of_an_item_the_viewer_may_not_see_is_404(reads, signed_in, make_user):
    from tests.helpers.factories import MembershipFactory

    other = make_user(role="field")
    MembershipFactory(user=other, investigation=reads.investigation)
    db.session.commit()
    url = reads.url(f"/evidence/{reads.item.id}/download/reason")
    assert signed_in(other).get(url).status_code == 404


def test_a_stated_download_reason_lapses_after_ten_minutes(reads, signed_in):
    from datetime import timedelta

    client = signed_in(reads.lawyer)
    item_url = reads.url(f"/evidence/{reads.item.id}")
    reason_url = f"{item_url}/download/reason"
    post_form(client, reason_url, {"access_reason": "verification"}, page=reason_url)
    (record,) = _records(kind="original")
    record.last_at -= timedelta(minutes=11)
    db.session.commit()
    response = client.get(f"{item_url}/download", headers={"Accept": "application/json"})
    assert response.status_code == 428


def test_the_reason_text_is_encrypted_at_rest(reads, signed_in):
    import sqlalchemy as sa

    _reveal(signed_in(reads.cleared), reads, "other", "asked by the prosecutor Nadia")
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT reason_text FROM access_records")).scalar_one()
    assert b"Nadia" not in bytes(stored)
    (record,) = _records(kind="identity")
    assert record.reason_text == "asked by the prosecutor Nadia"
