"""Each item's acquisition record (Berkeley Protocol): shown, recorded, sealed, ledgered, locked."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import select, text

from app.acquisition.models import AcquisitionRecord
from app.custody.models import LedgerEntry
from app.extensions import db
from tests.acquisition.support import hold_in_approved_case_file
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.web import error_summary_in, post_form
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    custody_actions,
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import wacz_bytes

SOURCE = "SOURCE-MARKER Abu Khalil, Telegram admin"
VALUES = {
    "online_link": "https://video.example/watch?v=SECRET-LINK-MARKER",
    "online_title": "Strike on the bakery (TITLE-MARKER)",
    "acquired_at": "2026-03-01T09:30:00",
    "method": "download",
    "method_note": "yt-dlp 2026.02 on the office laptop",
    "acquired_from": SOURCE,
    "generation": "copy",
    "original_location": "the uploader's channel, still online",
    "edited": "no",
    "edit_note": "",
    "hashes_at_acquisition": "MD5:0123456789abcdef0123456789abcdef",
}


def a_note(intake) -> str:
    sent = intake.send("web", "statement.txt", b"What the source said, written that day.\n")
    assert sent.evidence_id
    return sent.evidence_id


def item_page(client, ref: str, evidence_id: str) -> str:
    response = client.get(f"/investigations/{ref}/evidence/{evidence_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def record(client, ref: str, evidence_id: str, values: dict):
    page = f"/investigations/{ref}/evidence/{evidence_id}"
    return post_form(client, f"{page}/acquisition", values, page=page)


def test_an_uploaded_item_shows_what_custos_knows_until_a_record_is_made(intake):
    evidence_id = a_note(intake)
    page = item_page(intake.web, intake.ref, evidence_id)
    assert "Acquisition (Berkeley Protocol)" in page
    assert "Not recorded yet" in page
    assert f"sha256:{intake.item(evidence_id).sha256}" in page
    assert 'name="acquired_from"' in page  # the member holds the identity grant


def test_a_web_capture_shows_its_link_title_and_tool_as_the_derived_record(intake):
    sent = intake.send("web", "c.wacz", wacz_bytes())
    page = item_page(intake.web, intake.ref, sent.evidence_id)
    panel = page[page.index("acquisition-heading") :]
    assert "http://news.example/market" in panel
    assert "Web capture (WACZ or WARC)" in panel
    assert "(tests)" in panel  # the software the WARC names


def test_recording_the_record_shows_it_seals_it_and_ledgers_field_names_only(intake):
    evidence_id = a_note(intake)
    response = record(intake.web, intake.ref, evidence_id, VALUES)
    assert response.status_code == 302
    page = item_page(intake.web, intake.ref, evidence_id)
    for shown in ("SECRET-LINK-MARKER", "TITLE-MARKER", SOURCE, "yt-dlp 2026.02"):
        assert shown in page.replace("&#39;", "'"), shown
    assert "md5:0123456789abcdef0123456789abcdef" in page
    panel = page[page.index("acquisition-heading") :]
    assert "Date of acquisition</dt><dd>March 1, 2026, 9:30" in panel
    assert custody_actions(evidence_id).count("acquisition_recorded") == 1
    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == "acquisition_recorded")
    ).one()
    details = entry.body.decode()
    assert "online_link" in details and "acquired_from" in details
    for secret in ("SECRET-LINK-MARKER", "TITLE-MARKER", "SOURCE-MARKER"):
        assert secret not in details
    raw = db.session.execute(text("SELECT * FROM evidence_acquisition")).one()
    assert not any(b"MARKER" in bytes(v) for v in raw if isinstance(v, bytes | memoryview))

    changed = dict(VALUES, edited="yes", edit_note="cut to the first minute")
    assert record(intake.web, intake.ref, evidence_id, changed).status_code == 302
    assert custody_actions(evidence_id).count("acquisition_recorded") == 2
    last = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.action == "acquisition_recorded")
        .order_by(LedgerEntry.seq.desc())
    ).first()
    assert json.loads(last.body)["details"]["fields"] == ["edited", "edit_note"]


def test_a_bad_value_is_refused_and_nothing_is_stored(intake):
    evidence_id = a_note(intake)
    for field, bad in (
        ("online_link", "javascript:alert(1)"),
        ("acquired_at", "yesterday"),
        ("acquired_at", "2999-01-01T00:00:00"),
        ("method", "stolen"),
        ("hashes_at_acquisition", "md5:1234"),
        ("online_title", "x" * 2001),
    ):
        response = record(intake.web, intake.ref, evidence_id, dict(VALUES, **{field: bad}))
        assert response.status_code == 422, field
    db.session.expire_all()
    assert db.session.scalar(select(AcquisitionRecord.id)) is None
    assert "acquisition_recorded" not in custody_actions(evidence_id)


def test_a_refused_record_comes_back_on_the_item_page_as_it_was_typed(intake):
    """Issue 18: the item page again, its acquisition form open and filled with what was sent,
    the error announced at the top of the panel and beside its field; nothing stored."""
    evidence_id = a_note(intake)
    before = custody_actions(evidence_id)
    sent = dict(VALUES, acquired_at="the morning after the strike")
    response = record(intake.web, intake.ref, evidence_id, sent)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    panel = page[page.index('id="acquisition-heading"') :]
    summary = error_summary_in(panel, 'id="acquisition-heading"')
    assert 'href="#acquisition-acquired_at"' in summary
    assert "Give the date and time of acquisition." in summary
    assert "<details open>" in panel
    field = re.search(r'<input[^>]*id="acquisition-acquired_at"[^>]*>', panel).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="acquisition-acquired_at-error"' in field
    assert 'value="the morning after the strike"' in field
    assert 'id="acquisition-acquired_at-error">Give the date and time' in panel
    for typed in ("SECRET-LINK-MARKER", "TITLE-MARKER", SOURCE, "yt-dlp 2026.02", "MD5:0123"):
        assert typed in panel, typed
    assert '<option selected value="download">' in panel
    assert "Not recorded yet" in panel  # the record itself is as it was
    db.session.expire_all()
    assert db.session.scalar(select(AcquisitionRecord.id)) is None
    # The page read for the form's token is a view; shown again with the refusal, nothing more.
    assert custody_actions(evidence_id) == [*before, "viewed"]


def test_without_the_identity_grant_who_it_came_from_is_neither_shown_nor_changed(
    intake, signed_in
):
    evidence_id = a_note(intake)
    assert record(intake.web, intake.ref, evidence_id, VALUES).status_code == 302
    lawyer = UserFactory(role="lawyer")
    MembershipFactory(user=lawyer, investigation=intake.investigation, may_see_identities=False)
    client = signed_in(lawyer)
    page = item_page(client, intake.ref, evidence_id)
    assert "SECRET-LINK-MARKER" in page
    assert "SOURCE-MARKER" not in page and 'name="acquired_from"' not in page
    overwrite = dict(VALUES, acquired_from="someone else", online_title="Retitled")
    assert record(client, intake.ref, evidence_id, overwrite).status_code == 302
    db.session.expire_all()
    row = db.session.scalars(select(AcquisitionRecord)).one()
    assert (row.acquired_from, row.online_title) == (SOURCE, "Retitled")


def test_once_an_approved_case_file_holds_the_item_its_record_cannot_change(intake):
    evidence_id = a_note(intake)
    assert record(intake.web, intake.ref, evidence_id, VALUES).status_code == 302
    hold_in_approved_case_file(intake.investigation, evidence_id, UserFactory(role="lawyer"))
    page = item_page(intake.web, intake.ref, evidence_id)
    assert "can no longer change" in page
    assert 'name="online_link"' not in page
    response = record(intake.web, intake.ref, evidence_id, dict(VALUES, online_title="Later"))
    assert response.status_code == 409
    db.session.expire_all()
    assert (
        db.session.scalars(select(AcquisitionRecord)).one().online_title == VALUES["online_title"]
    )
    assert custody_actions(evidence_id).count("acquisition_recorded") == 1
