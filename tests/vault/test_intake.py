"""Multipart intake through the upload page: every allowed type, refusals, custody, access."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.security import org_keys
from app.vault.models import EvidenceItem
from app.vault.upload.checks import check_filename
from app.vault.upload.stream import IntakeRefused, begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import png_bomb, require_tool
from tests.helpers.web import csrf_token, page_messages
from tests.vault.vault_support import (
    AGE_LINE,
    ALLOWED_SAMPLES,
    amr_nb,
    decrypt_with_age_cli,
    isolated_vault,
    multipart_body,
    quoted,
    raw_blob,
    rfc5987,
    sample,
    stored_files,
    text_bytes,
)


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys.parent / "blobs"


class World:
    def __init__(self):
        self.investigation = InvestigationFactory()
        self.field = UserFactory(role="field")
        self.lawyer = UserFactory(role="lawyer")
        MembershipFactory(user=self.field, investigation=self.investigation)
        MembershipFactory(user=self.lawyer, investigation=self.investigation)
        self.url = f"/investigations/{self.investigation.reference}/evidence/upload"


@pytest.fixture
def world(app_ctx, vault):
    return World()


@pytest.fixture
def field_client(signed_in, world):
    return signed_in(world.field)


def upload(client, url, files, **fields):
    """Post files the way a browser posts the form (token first, then fields, then files)."""
    data = {"csrf_token": csrf_token(client, url), **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def post_raw(client, url, body_and_type):
    body, content_type = body_and_type
    return client.post(url, data=body, content_type=content_type)


def evidence_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def only_item() -> EvidenceItem:
    db.session.expire_all()
    (item,) = db.session.scalars(select(EvidenceItem)).all()
    return item


def custody(item_id: str) -> dict[str, dict]:
    db.session.expire_all()
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.object_id == item_id).order_by(LedgerEntry.id)
    )
    return {entry.action: json.loads(entry.body) for entry in entries}


def assert_nothing_stored(blob_dir):
    assert evidence_count() == 0
    assert stored_files(blob_dir) == [], "a refused upload left bytes in the blob store"


# --- Round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,filename,media_type,evidence_kind",
    ALLOWED_SAMPLES,
    ids=[s[0] for s in ALLOWED_SAMPLES],
)
def test_every_allowed_type_round_trips_through_age(
    world, field_client, tmp_path, kind, filename, media_type, evidence_kind
):
    data = sample(kind, tmp_path)
    response = upload(field_client, world.url, [(filename, data)])
    assert response.status_code == 303, page_messages(response)
    item = only_item()
    assert (item.media_type, item.kind) == (media_type, evidence_kind)
    assert item.size == len(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.original_filename == filename
    stored = raw_blob(item.blob_key)
    assert stored.startswith(AGE_LINE)
    assert data not in stored
    assert decrypt_with_age_cli(stored, org_keys.org_identities(), tmp_path) == data


def test_the_handmade_amr_sample_is_real_amr(tmp_path):
    ffprobe = require_tool("ffprobe")
    path = tmp_path / "voice.amr"
    path.write_bytes(amr_nb())
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout)["streams"][0]["codec_name"] == "amr_nb"


def test_a_lawyer_member_may_upload_too(world, signed_in):
    response = upload(signed_in(world.lawyer), world.url, [("notes.txt", text_bytes(300))])
    assert response.status_code == 303
    assert only_item().uploaded_by_id == world.lawyer.id


def test_several_files_in_one_form_each_become_an_item(world, field_client, tmp_path):
    files = [("a.txt", text_bytes(100)), ("b.pdf", sample("pdf", tmp_path))]
    response = upload(field_client, world.url, files)
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.original_filename for i in stored) == ["a.txt", "b.pdf"]


def test_a_file_larger_than_many_chunks_streams_through(world, field_client, tmp_path):
    data = text_bytes(5 * 1024 * 1024 + 333)
    response = upload(field_client, world.url, [("long.txt", data)])
    assert response.status_code == 303
    item = only_item()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert (
        decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path) == data
    )


def test_custody_records_collection_and_receipt_without_naming_anyone(world, field_client):
    facts = {"captured_at": "2024-05-01T10:15", "captured_by": "Amira K.", "location": "36.2, 37.1"}
    response = upload(field_client, world.url, [("notes.txt", text_bytes(300))], **facts)
    assert response.status_code == 303
    item = only_item()
    assert json.loads(item.client_facts) == facts  # kept verbatim (encrypted on the row)
    entries = custody(item.id)
    received = entries["received"]["details"]
    assert received["sha256"] == item.sha256
    assert received["size"] == item.size
    assert received["media_type"] == "text/plain"
    collected = entries["collected"]["details"]
    assert collected["captured_at"] == "2024-05-01T10:15"
    assert collected["reported_fields"] == ["captured_at", "captured_by", "location"]
    assert "Amira" not in json.dumps(entries)
    assert "notes.txt" not in json.dumps(entries)


def test_the_original_name_is_encrypted_in_the_database(world, field_client):
    upload(field_client, world.url, [("witness-amira-home.txt", text_bytes(50))])
    item = only_item()
    raw = db.session.execute(
        select(EvidenceItem.__table__.c.original_filename).where(EvidenceItem.id == item.id)
    ).scalar_one()
    assert b"amira" not in bytes(raw)


# --- Refusals: a clear 4xx and nothing stored ---------------------------------------------------


def test_oversize_is_refused_while_streaming(app, world, field_client, vault, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_MAX_UPLOAD_BYTES", 200_000)
    response = upload(field_client, world.url, [("big.txt", text_bytes(300_000))])
    assert response.status_code == 413
    assert any("larger than the" in m for m in page_messages(response))
    assert_nothing_stored(vault)


def test_a_shell_script_renamed_jpg_is_refused(world, field_client, vault):
    script = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"
    response = upload(field_client, world.url, [("holiday.jpg", script)])
    assert response.status_code == 415
    assert any("a shell script" in m for m in page_messages(response))
    assert_nothing_stored(vault)


def test_an_html_file_renamed_mp4_is_refused(world, field_client, vault):
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    response = upload(field_client, world.url, [("clip.mp4", html)])
    assert response.status_code == 415
    assert any("an HTML page" in m for m in page_messages(response))
    assert_nothing_stored(vault)


def test_an_svg_is_refused(world, field_client, vault):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = upload(field_client, world.url, [("map.svg", svg)])
    assert response.status_code == 415
    assert any("SVG" in m for m in page_messages(response))
    assert_nothing_stored(vault)


def test_a_png_decompression_bomb_is_refused(world, field_client, vault):
    response = upload(field_client, world.url, [("bomb.png", png_bomb())])
    assert response.status_code == 422
    assert any("decompression bomb" in m for m in page_messages(response))
    assert_nothing_stored(vault)


def test_a_zero_byte_file_is_refused(world, field_client, vault):
    response = upload(field_client, world.url, [("empty.jpg", b"")])
    assert response.status_code == 400
    assert any("empty" in m for m in page_messages(response))
    assert_nothing_stored(vault)


@pytest.mark.parametrize(
    "disposition,reason",
    [
        (quoted("../../etc/passwd"), "path"),
        # Backslashes are escaped inside an HTTP quoted-string, so \\ arrives as one.
        (quoted("..\\\\..\\\\boot.ini"), "path"),
        (rfc5987(b"photo\x00.jpg"), "control characters"),
        (rfc5987(b"photo\n.jpg"), "control characters"),
        (rfc5987("gpj\u202e.exe".encode()), "text-direction"),
    ],
    ids=["traversal", "windows-traversal", "nul", "newline", "bidi-override"],
)
def test_dangerous_file_names_are_refused(world, field_client, vault, disposition, reason):
    token = csrf_token(field_client, world.url)
    response = post_raw(
        field_client, world.url, multipart_body(token, [(disposition, text_bytes(200))])
    )
    assert response.status_code == 400
    assert any(reason in m for m in page_messages(response)), page_messages(response)
    assert_nothing_stored(vault)


@pytest.mark.parametrize(
    "name,reason",
    [
        ("../../etc/passwd", "path"),
        ("..\\..\\boot.ini", "path"),
        ("photo\x00.jpg", "control characters"),
        ("photo\n.jpg", "control characters"),
        ("gpj\u202e.exe", "text-direction"),
    ],
    ids=["traversal", "windows-traversal", "nul", "newline", "bidi-override"],
)
def test_the_name_check_itself_refuses_each_dangerous_name(name, reason):
    """The check every intake path calls (form, tus, API) before a byte is read."""
    with pytest.raises(IntakeRefused) as refused:
        check_filename(name)
    assert reason in refused.value.message
    assert check_filename("Bab al-Hawa, 2016-04-27.jpg") == "Bab al-Hawa, 2016-04-27.jpg"


def test_a_refused_file_does_not_stop_the_others(world, field_client, vault):
    files = [("ok.txt", text_bytes(100)), ("bad.jpg", b"#!/bin/sh\necho\n")]
    response = upload(field_client, world.url, files)
    assert response.status_code == 415
    messages = page_messages(response)
    assert any("shell script" in m for m in messages)
    assert only_item().original_filename == "ok.txt"
    assert len(stored_files(vault)) == 1


def test_without_a_csrf_token_nothing_is_stored(world, field_client, vault):
    response = post_raw(field_client, world.url, multipart_body(None, [(quoted("a.txt"), b"x")]))
    assert response.status_code == 400
    assert_nothing_stored(vault)


def test_with_a_forged_csrf_token_nothing_is_stored(world, field_client, vault):
    body = multipart_body("forged", [(quoted("a.txt"), text_bytes(100))])
    response = post_raw(field_client, world.url, body)
    assert response.status_code == 400
    assert_nothing_stored(vault)


def test_a_body_that_is_not_multipart_is_refused(world, field_client, vault):
    token = csrf_token(field_client, world.url)
    response = field_client.post(world.url, data={"csrf_token": token})
    assert response.status_code == 400
    assert_nothing_stored(vault)


def test_a_form_sent_without_a_file_comes_back_as_filled_saying_what_is_missing(
    world, field_client, vault
):
    """As a browser without JavaScript sends it: the form's fields, and an empty file part."""
    token = csrf_token(field_client, world.url)
    body = multipart_body(
        token,
        [('filename=""', b"")],
        captured_at="2015-11-10T09:31:05",
        location="36.2021, 37.1343",
        captured_by="Abu Khaled's phone",
    )
    response = post_raw(field_client, world.url, body)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # Everything typed is still there…
    assert 'value="2015-11-10T09:31:05"' in page
    assert 'value="36.2021, 37.1343"' in page
    assert 'value="Abu Khaled&#39;s phone"' in page
    # …under an announced summary that leads to the file field, marked in error beside it.
    summary = page.split('class="flashes error-summary" role="alert"', 1)[1].split("</div>")[0]
    assert 'href="#files"' in summary and "Choose at least one file to upload." in summary
    assert 'id="files" name="files" multiple required aria-invalid="true"' in page
    assert 'aria-describedby="files-error"' in page and 'id="files-error"' in page
    assert_nothing_stored(vault)


# --- Access --------------------------------------------------------------------------------------


def test_non_members_get_404_for_the_upload_page_and_its_post(world, signed_in, vault):
    outsider = signed_in(UserFactory(role="field"))
    assert outsider.get(world.url).status_code == 404
    token = csrf_token(outsider, "/investigations/")
    body = multipart_body(token, [(quoted("a.txt"), text_bytes(100))])
    assert post_raw(outsider, world.url, body).status_code == 404
    assert_nothing_stored(vault)


def test_the_page_offers_the_resumable_uploader_and_the_plain_form(world, field_client):
    page = field_client.get(world.url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "js/upload.js" in page
    assert f"/investigations/{world.investigation.reference}/uploads" in page
    assert "<script>" not in page  # strict CSP: no inline script


# --- The service, without HTTP -----------------------------------------------------------------


def test_abort_leaves_nothing_behind(world, vault):
    writer = begin_intake(world.investigation, world.field, "notes.txt", None, None)
    writer.write(text_bytes(200_000))
    writer.abort()
    assert_nothing_stored(vault)


def test_a_declared_size_that_does_not_match_is_refused(world, vault):
    writer = begin_intake(world.investigation, world.field, "notes.txt", None, 1000)
    writer.write(text_bytes(999))
    with pytest.raises(IntakeRefused) as refused:
        writer.finish()
    assert refused.value.code == "size_mismatch"
    assert_nothing_stored(vault)


def test_only_members_can_begin_an_intake(world):
    with pytest.raises(PermissionError):
        begin_intake(world.investigation, UserFactory(), "a.txt", None, None)
