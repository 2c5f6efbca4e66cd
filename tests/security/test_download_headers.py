"""Download names cannot inject headers: whatever a stored original name holds (CR, LF, quotes,
semicolons, Unicode line breaks, path separators, non-ASCII), every evidence response carries
exactly one well-formed Content-Disposition (RFC 6266, with the RFC 8187 filename*), nothing
splits into a second header, and the name a browser saves under has no path separator and
ends in an extension of the type that is actually served.

Intake refuses CR and LF in names (tests/security/test_hostile_filenames.py), so here the
hostile names are written to the row directly, as a restore from an old backup or a future
import path might: the download must be safe on its own, not only because intake was.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.vault.reading.http_framing import content_disposition, download_name
from app.vault.upload.sniff import EXTENSIONS
from tests.helpers.media import jpeg_with_exif
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    assert_safe_to_save,
    intake_fixture,
    saved_name,
    vault_dir_fixture,
)
from tests.security.live_server import live_fixture  # noqa: F401 (fixture)
from tests.vault.vault_support import text_bytes

HOSTILE_NAMES = [
    'a"\r\nSet-Cookie: pwned=1\r\nX-Injected: yes\r\n\r\n<html>.txt',
    'report.txt"; filename="evil.exe',
    "x; filename*=UTF-8''evil.exe",
    "line\u2028X-Injected: yes.txt",
    "next\x85X-Injected: yes.txt",
    "nul\x00byte.txt",
    "%0d%0aX-Injected:%20yes.txt",
    "..\\..\\Windows\\evil.txt",
    "/etc/passwd",
    "C:evil.txt",
    "photo\u202egpj.exe",
    "données – شهادة.txt",
    "\t tabbed\tname .txt",
    "",
]

# Every character class, surrogates and private use included: the row is written directly.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


@pytest.mark.nodb
@settings(max_examples=400, deadline=None)
@given(name=ANY_TEXT, media_type=st.sampled_from(sorted(EXTENSIONS)))
def test_any_stored_name_gives_one_well_formed_header_and_a_safe_name(name, media_type):
    for disposition in ("attachment", "inline"):
        header = content_disposition(
            disposition, download_name(name, media_type, "evidence-1"), "evidence-1"
        )
        assert header.isascii() and header.isprintable(), header
        kind, fallback, saved = saved_name(header)
        assert kind == disposition
        assert_safe_to_save(saved, EXTENSIONS[media_type])
        assert_safe_to_save(fallback, EXTENSIONS[media_type])


@pytest.mark.nodb
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_never_reach_the_header_as_syntax(name):
    header = content_disposition("attachment", download_name(name, "text/plain", "ev"), "ev")
    _, fallback, saved = saved_name(header)
    assert header.count(";") == 2 and header.count('"') == 2, header
    assert ":" not in header  # the name's words may stay; a header's syntax may not
    assert "evil.exe" not in fallback or fallback.endswith(".txt")
    assert saved.endswith(".txt")


def stored_with_name(intake, data: bytes, name: str, upload_name: str = "statement.txt"):
    sent = intake.send_web(upload_name, data)
    item = intake.item(sent.evidence_id)
    item.original_filename = name
    db.session.commit()
    return item


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_evidence_response_has_exactly_one_safe_disposition(intake, name):
    data = text_bytes(3000)
    item = stored_with_name(intake, data, name)
    for what, kind in (("/download", "attachment"), ("/stream", "inline")):
        response = intake.download(item.id, what)
        assert response.status_code == 200
        assert response.data == data
        values = response.headers.getlist("Content-Disposition")
        assert len(values) == 1, values
        assert "X-Injected" not in response.headers
        assert all("pwned" not in v for v in response.headers.getlist("Set-Cookie"))
        got_kind, fallback, saved = saved_name(values[0])
        assert got_kind == kind
        assert_safe_to_save(saved, EXTENSIONS["text/plain"])
        assert_safe_to_save(fallback, EXTENSIONS["text/plain"])
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}")
    assert page.status_code == 200  # the page shows the stored name, escaped


def test_without_the_identity_grant_the_stored_name_never_reaches_the_header(intake):
    """File names are identity information: the uploader without the grant saves a neutral one."""
    plain = intake.without_grant()
    item = stored_with_name(plain, text_bytes(3000), HOSTILE_NAMES[0])
    for what in ("/download", "/stream"):
        response = plain.download(item.id, what)
        assert response.status_code == 200
        (value,) = response.headers.getlist("Content-Disposition")
        _, fallback, saved = saved_name(value)
        assert saved == fallback == f"evidence-{item.id[:8]}.txt", value


def test_a_derivative_is_served_under_a_neutral_name_whatever_the_original(intake):
    item = stored_with_name(
        intake, jpeg_with_exif(), "Amira's house\"\r\nX-Injected: 1.jpg", "a.jpg"
    )
    assert item.derivatives
    for derivative in item.derivatives:
        response = intake.download(item.id, f"/derivatives/{derivative.id}")
        (value,) = response.headers.getlist("Content-Disposition")
        _, _, saved = saved_name(value)
        assert "Amira" not in value and "X-Injected" not in response.headers
        assert saved.startswith(f"evidence-{item.id[:8]}-")


def test_through_a_real_server_the_header_bytes_are_one_line(intake, live):
    """gunicorn writes the header bytes: read them off the socket, line by line."""
    name = 'a"\r\nSet-Cookie: pwned=1\r\nX-Injected: yes\r\n\r\n<b>.vbs'
    data = text_bytes(3000)
    item = stored_with_name(intake, data, name)
    http = live.session(intake.user)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    for what in ("/download", "/stream"):
        path = f"/investigations/{intake.ref}/evidence/{item.id}{what}"
        response = live.raw(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "X-Access-Reason: verification\r\nConnection: close\r\n\r\n"
        )
        assert response.status == 200, response.head
        assert response.body == data
        for line in response.header_lines():
            assert line and line.isascii() and b"\r" not in line and b"\n" not in line, line
            name_part = line.split(b":", 1)[0].lower()
            assert name_part not in (b"x-injected",), line
        assert len(response.headers_named("Content-Disposition")) == 1
        assert not any("pwned" in v for v in response.headers_named("Set-Cookie"))
        (value,) = response.headers_named("Content-Disposition")
        _, fallback, saved = saved_name(value)
        assert saved.endswith(".vbs.txt") and fallback.endswith(".vbs.txt")
        assert_safe_to_save(saved, "txt")
