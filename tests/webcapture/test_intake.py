"""WACZ and WARC files through every intake channel: admitted by their bytes (arbitrary zips
and gzips still refused), stored intact whatever their check says, the check kept sealed with
its digest in the ledger, and shown on the item page as escaped text only."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from markupsafe import escape
from sqlalchemy import select, text

from app.custody.models import LedgerEntry
from app.extensions import db
from app.webcapture.models import WebCaptureCheck
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    CHANNELS,
    NOTHING,
    custody_actions,
    intake_fixture,
    stored_state,
    vault_dir_fixture,
)
from tests.webcapture.captures import (
    PAGES,
    wacz_bytes,
    wacz_members,
    warc_bytes,
    whole_file_gzip_warc,
)


def stored_intact(intake, sent, data: bytes, media_type: str):
    assert sent.evidence_id, (sent.status, sent.code, sent.message)
    item = intake.item(sent.evidence_id)
    assert (item.kind, item.media_type) == ("web_capture", media_type)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert intake.download(item.id).data == data
    return item


def only_check(item) -> WebCaptureCheck:
    db.session.expire_all()
    (check,) = db.session.scalars(
        select(WebCaptureCheck).where(WebCaptureCheck.evidence_id == item.id)
    )
    return check


def tampered_wacz() -> bytes:
    members = wacz_members()
    changed = dict(members, **{"pages/pages.jsonl": members["pages/pages.jsonl"] + b"\n"})
    return wacz_bytes(changed, declared=members)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "data,media_type",
    [
        (wacz_bytes(), "application/wacz"),
        (warc_bytes(gzip_records=False), "application/warc"),
        (warc_bytes(gzip_records=True), "application/warc+gzip"),
        (whole_file_gzip_warc(), "application/warc+gzip"),
    ],
    ids=["wacz", "warc", "warc-per-record-gzip", "warc-whole-file-gzip"],
)
def test_a_web_capture_is_received_through_every_channel_and_checked(
    intake, channel, data, media_type
):
    item = stored_intact(intake, intake.send(channel, "capture.bin", data), data, media_type)
    check = only_check(item)
    assert check.verdict == "passed", check.result
    assert "web_capture_checked" in custody_actions(item.id)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "data,words",
    [
        (lambda: _zip({"photo.jpg": b"x", "archive/a.warc": b"y"}), "ZIP archive"),
        (lambda: _zip({"evil.html": b"<script>alert(1)</script>"}), "ZIP archive"),
        (lambda: __import__("gzip").compress(b"just some text " * 100), "compressed archive"),
    ],
    ids=["zip-with-a-photo-first", "zip-with-html", "gzip-of-text"],
)
def test_an_arbitrary_zip_or_gzip_is_still_refused(intake, channel, data, words):
    sent = intake.send(channel, "capture.wacz", data())
    assert sent.status == 415, sent
    assert sent.code in (None, "type_not_allowed")
    assert words in sent.message
    assert stored_state() == NOTHING


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "make,where",
    [
        (tampered_wacz, "pages/pages.jsonl"),
        (lambda: wacz_bytes(drop=("pages/pages.jsonl",)), "pages/pages.jsonl"),
        (
            lambda: wacz_bytes(
                extra={"archive/bomb.warc": b"\0" * (16 << 20)}, compression=zipfile.ZIP_DEFLATED
            ),
            "archive/bomb.warc",
        ),
    ],
    ids=["changed-byte", "missing-pages", "zip-bomb"],
)
def test_a_bad_package_is_received_intact_and_its_check_fails_naming_the_file(
    intake, channel, make, where
):
    data = make()
    item = stored_intact(
        intake, intake.send(channel, "capture.wacz", data), data, "application/wacz"
    )
    check = only_check(item)
    result = json.loads(check.result)
    assert (check.verdict, result["verdict"]) == ("failed", "failed")
    assert result["failure"]["where"] == where
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(as_text=True)
    assert "Failed, checked" in page
    assert f"Fails at {where}" in page


def test_a_malformed_warc_record_is_received_and_named(intake):
    data = warc_bytes(gzip_records=False)[:-60]
    item = stored_intact(intake, intake.send("api", "c.warc", data), data, "application/warc")
    result = json.loads(only_check(item).result)
    assert result["failure"]["where"].startswith("warc record 3")
    assert "truncated" in result["failure"]["reason"]


def test_the_result_is_sealed_and_the_ledger_holds_only_its_digest(intake):
    data = wacz_bytes()
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    check = only_check(item)
    assert hashlib.sha256(check.result.encode()).hexdigest() == check.result_sha256
    raw = db.session.execute(
        text("SELECT result FROM web_capture_checks WHERE id = :id"), {"id": check.id}
    ).scalar_one()
    assert b"news.example" not in bytes(raw)
    (entry,) = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.action == "web_capture_checked", LedgerEntry.object_id == item.id
        )
    )
    assert f'"result_sha256":"{check.result_sha256}"'.encode() in entry.body
    assert b'"verdict":"passed"' in entry.body
    assert b"news.example" not in entry.body


def test_the_item_page_lists_pages_and_records_as_escaped_text_never_as_html(intake):
    data = wacz_bytes()
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    response = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Passed, checked" in page
    assert "archive/data.warc.gz was made with tests" in page
    assert "response: 2, warcinfo: 1" in page
    for url, ts, _ in PAGES:
        assert url in page and ts in page
    assert "Market &lt;b&gt;shelled&lt;/b&gt;" in page  # the captured title, escaped
    assert "<b>shelled</b>" not in page
    assert "exfil.invalid" not in page  # the captured page's body is never shown
    assert "<script>fetch" not in page
    result = json.loads(only_check(item).result)
    for record in result["records"]:
        assert str(escape(record["record_id"])) in page  # <urn:uuid:...>, escaped
    for resource in result["resources"]:
        assert resource["sha256"] in page


def test_the_evidence_list_filters_web_captures_by_kind(intake):
    capture = intake.send("api", "c.warc", warc_bytes(gzip_records=False)).evidence_id
    other = intake.send(
        "api", "notes.txt", b"Notes from the market, written that day.\n"
    ).evidence_id
    assert capture and other
    listing = intake.web.get(f"/investigations/{intake.ref}/evidence?kind=web_capture")
    page = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert capture in page
    assert other not in page


def test_the_api_record_carries_the_verdict_and_failure_but_no_captured_url(intake):
    data = tampered_wacz()
    evidence_id = intake.send("api", "c.wacz", data).evidence_id
    assert evidence_id
    response = intake.api.get(
        f"/investigations/{intake.ref}/evidence/{evidence_id}",
        headers={"X-Access-Reason": "verification"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (summary,) = response.get_json()["web_capture_checks"]
    assert summary["verdict"] == "failed"
    assert summary["failure"]["where"] == "pages/pages.jsonl"
    assert summary["result_sha256"] == only_check(intake.item(evidence_id)).result_sha256
    assert "news.example" not in response.get_data(as_text=True)


def test_a_member_who_may_not_see_the_item_gets_no_panel_and_nothing_is_logged(intake, caplog):
    caplog.set_level("DEBUG")
    data = wacz_bytes()
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    other = intake.without_grant()  # another field worker: sees their own items only
    response = other.web.get(f"/investigations/{intake.ref}/evidence/{item.id}")
    assert response.status_code == 404
    assert "news.example" not in response.get_data(as_text=True)
    assert "news.example" not in caplog.text


@pytest.mark.parametrize("what", ["/stream", "/download"])
def test_a_capture_is_served_only_as_its_type_never_rendered(intake, what):
    data = wacz_bytes()
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    response = intake.download(item.id, what)
    assert response.status_code == 200
    assert response.mimetype == "application/wacz"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    # The stream is inline like every type's, but sandboxed and never sniffed into HTML.
    disposition = "attachment;" if what == "/download" else "inline;"
    assert response.headers["Content-Disposition"].startswith(disposition)


def test_processing_again_adds_no_second_check(intake):
    from app.vault.processing import process_new_evidence

    data = warc_bytes()
    item = stored_intact(
        intake, intake.send("api", "c.warc.gz", data), data, "application/warc+gzip"
    )
    process_new_evidence(item.id)
    process_new_evidence(item.id)
    only_check(item)
    assert custody_actions(item.id).count("web_capture_checked") == 1
