"""Path-traversal and Unicode-trick file names on every intake path (form, API, tus).

A name is evidence too (it may be the only trace of where a file came from), so Custos keeps
an accepted name exactly as sent, encrypted, and never uses it as a path (blobs live under
random keys). It refuses, with a clear 400 and nothing stored, only the names that could act
as a path or hide what they are: `/` or `\\`, only dots, control characters and line or
paragraph separators, bidi overrides, nothing at all, or more than 255 bytes. Everything
else (Windows device names, homoglyphs, names with quotes or colons) is accepted, shown as
sent, and made safe where it meets a desktop: the download name (tests/security/
test_download_headers.py covers the header itself).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.vault.upload.sniff import EXTENSIONS
from tests.helpers.media import jpeg_with_exif
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    CHANNELS,
    NOTHING,
    assert_safe_to_save,
    intake_fixture,
    saved_name,
    stored_state,
    vault_dir_fixture,
)
from tests.vault.vault_support import text_bytes

STATEMENT = text_bytes(2000)
TEXT_EXTENSIONS = EXTENSIONS["text/plain"]

# (id, name, what the refusal says) for names refused on every channel.
REFUSED = [
    ("traversal", "../../etc/passwd", "path"),
    ("absolute", "/etc/passwd", "path"),
    ("windows-absolute", "C:\\Windows\\System32\\drivers\\etc\\hosts", "path"),
    ("windows-traversal", "..\\..\\boot.ini", "path"),
    ("unc", "\\\\evidence-server\\share\\a.txt", "path"),
    ("dot", ".", "path"),
    ("dot-dot", "..", "path"),
    ("three-dots", "...", "path"),
    ("many-dots", ".........", "path"),
    ("dots-and-spaces", " .. ", "path"),
    ("nul", "photo\x00.jpg", "control characters"),
    ("crlf", "photo\r\nSet-Cookie: x=1.jpg", "control characters"),
    ("escape", "a\x1b[31mred.txt", "control characters"),
    ("c1-next-line", "a\x85b.txt", "control characters"),
    ("line-separator", "a\u2028b.txt", "control characters"),
    ("paragraph-separator", "a\u2029b.txt", "control characters"),
    ("rtl-override", "photo\u202egpj.exe", "text-direction"),
    ("bidi-isolate", "\u2067exe.jpg\u2069.txt", "text-direction"),
    ("only-spaces", "   ", "no name"),
    ("overlong-ascii", "a" * 252 + ".txt", "longer than 255 bytes"),
    ("overlong-arabic", "ش" * 126 + ".txt", "longer than 255 bytes"),
]

# (id, name) for names accepted as sent and saved under a safe name.
ACCEPTED = [
    ("device-con", "CON"),
    ("device-nul-txt", "NUL.txt"),
    ("device-com1", "com1.txt"),
    ("device-lpt9-spaced", "LPT9 .log"),
    ("homoglyph-cyrillic-a", "pаypal-statement.txt"),
    ("homoglyph-extension", "notes.tхt"),  # Cyrillic х: not the .txt it looks like
    ("fullwidth-solidus", "a／b.txt"),  # U+FF0F looks like a slash and is not one
    ("hidden-file", ".bashrc"),
    ("trailing-dot", "report.txt."),
    ("colon-stream", "notes.txt:hidden.vbs"),
    ("quotes-and-semicolons", 'witness "A"; filename=evil.exe.txt'),
    ("percent-sequences", "%2e%2e%2fetc%2fpasswd.txt"),
    ("zero-width-space", "zero\u200bwidth.txt"),
    ("arabic", "شهادة الشاهد ١.txt"),
    ("exactly-255-bytes", "b" * 251 + ".txt"),
    ("emoji", "🕊️ statement.txt"),
]


def assert_refused(sent, reason: str) -> None:
    assert sent.status == 400, (sent.status, sent.message)
    assert reason in sent.message, sent.message
    if sent.code is not None:
        assert sent.code == "bad_filename"
    assert stored_state() == NOTHING


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name,reason", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_dangerous_names_are_refused_and_nothing_is_stored(intake, channel, name, reason):
    assert_refused(intake.send(channel, name, STATEMENT), reason)


def test_a_refused_name_is_shown_back_without_its_tricks(intake):
    """The page names the refused file, but a bidi override cannot reverse the page's text."""
    sent = intake.send_web("photo\u202egpj.exe", STATEMENT)
    assert sent.status == 400
    assert "“photogpj.exe”" in sent.message
    assert "\u202e" not in sent.message
    sent = intake.send_web("a\x1b[31m\u2028b.txt", STATEMENT)
    assert "“a[31mb.txt”" in sent.message
    assert stored_state() == NOTHING


def test_a_windows_path_sent_by_an_old_browser_is_refused_in_a_quoted_name(intake):
    sent = intake.send_web("C:\\\\Users\\\\field\\\\IMG_0042.jpg", jpeg_with_exif(), quoted=True)
    assert sent.status == 400 and "path" in sent.message
    assert stored_state() == NOTHING


def assert_kept_and_safe(intake, sent, name: str) -> None:
    assert sent.evidence_id, (sent.status, sent.message)
    item = intake.item(sent.evidence_id)
    assert item.original_filename == name  # kept exactly as sent
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}")
    assert page.status_code == 200
    assert name in _unescaped(page)  # shown as sent (escaped markup, decoded here)
    response = intake.download(item.id)
    assert response.status_code == 200
    assert response.data == STATEMENT
    kind, fallback, saved = saved_name(response.headers["Content-Disposition"])
    assert kind == "attachment"
    assert_safe_to_save(saved, TEXT_EXTENSIONS)
    assert_safe_to_save(fallback, TEXT_EXTENSIONS)


def _unescaped(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", [a[1] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_odd_but_harmless_names_are_kept_as_sent_and_saved_safely(intake, channel, name):
    assert_kept_and_safe(intake, intake.send(channel, name, STATEMENT), name)


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_uploader_without_the_identity_grant_never_reads_the_name_back(intake, channel):
    """File names are identity information: kept as sent, but not shown to their own uploader
    without the grant, on the item page, the list or the download (issue 15)."""
    plain = intake.without_grant()
    name = 'شهادة "Amira"; filename=evil.exe.txt'
    sent = plain.send(channel, name, STATEMENT)
    assert sent.evidence_id, (sent.status, sent.message)
    assert plain.item(sent.evidence_id).original_filename == name  # kept all the same
    evidence = f"/investigations/{plain.ref}/evidence"
    for url in (f"{evidence}/{sent.evidence_id}", evidence):
        page = plain.web.get(url)
        assert page.status_code == 200, url
        shown = _unescaped(page)
        assert "Amira" not in shown and "شهادة" not in shown and "evil" not in shown, url
        assert f"evidence-{sent.evidence_id[:8]}" in shown, url
    response = plain.download(sent.evidence_id)
    assert response.status_code == 200 and response.data == STATEMENT
    disposition = response.headers["Content-Disposition"]
    assert "Amira" not in disposition and "evil" not in disposition
    _, _, saved = saved_name(disposition)
    assert saved == f"evidence-{sent.evidence_id[:8]}.txt"


def test_a_homoglyph_extension_does_not_survive_into_the_saved_name(intake):
    sent = intake.send_web("invoice.pdf", STATEMENT)  # plain text calling itself a PDF
    _, _, saved = saved_name(intake.download(sent.evidence_id).headers["Content-Disposition"])
    assert saved == "invoice.pdf.txt"
    sent = intake.send_tus("notes.tхt", STATEMENT)
    _, _, saved = saved_name(intake.download(sent.evidence_id).headers["Content-Disposition"])
    assert saved == "notes.tхt.txt"


# --- Generated names -----------------------------------------------------------------------------

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def should_refuse(name: str) -> bool:
    """The rule, stated independently of the app's code (docs/vault.md, Intake step 1)."""
    return (
        not name.strip()
        or len(name.encode("utf-8")) > 255
        or any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in name)
        or any(ch in BIDI for ch in name)
        or "/" in name
        or "\\" in name
        or set(name.strip()) <= {"."}
    )


NAME_PIECES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(
        ["..", "/", "\\", ".", " ", "\x00", "\r\n", "\u202e", "CON", "nul", ":", '"', ";"]
        + ["%00", "%2F", "\u2028", "\u200b", "ش", "а", "／", "\t", "\x7f", "..\\"]
    ),
)
NAMES = st.lists(NAME_PIECES, min_size=1, max_size=6).map("".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=NAMES, channel=st.sampled_from(CHANNELS), extension=st.sampled_from(["", ".txt"]))
def test_generated_names_are_refused_or_kept_and_saved_safely(intake, name, channel, extension):
    name += extension
    assume(name)
    before = stored_state()
    sent = intake.send(channel, name, STATEMENT)
    if should_refuse(name):
        assert sent.status == 400, (name, sent.status, sent.message)
        assert sent.code in (None, "bad_filename")
        assert stored_state() == before
        return
    assert sent.evidence_id, (name, sent.status, sent.message)
    item = intake.item(sent.evidence_id)
    assert item.original_filename == name
    response = intake.download(item.id)
    assert response.data == STATEMENT
    _, fallback, saved = saved_name(response.headers["Content-Disposition"])
    assert_safe_to_save(saved, TEXT_EXTENSIONS)
    assert_safe_to_save(fallback, TEXT_EXTENSIONS)
