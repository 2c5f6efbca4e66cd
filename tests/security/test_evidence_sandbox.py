"""Evidence bytes are never a page of our origin: every evidence and derivative response carries
`Content-Security-Policy: sandbox; default-src 'none'`, and text says its charset.

A PDF with JavaScript, an HTML-looking text file or an SVG a witness sent is stored as it came
(changing evidence is not an option); what stops it acting as Custos in the browser is the
sandbox: a unique opaque origin, no script, no form, no request, whatever the browser makes of
the bytes (issue 15, deliverable 8).
"""

from __future__ import annotations

import pytest

from app.security.headers import EVIDENCE_CONTENT_SECURITY_POLICY
from tests.helpers.media import jpeg_with_exif
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.security.test_upload_abuse import pdf_with_javascript

SANDBOX = "sandbox; default-src 'none'"


def test_the_policy_is_the_one_the_issue_names():
    assert EVIDENCE_CONTENT_SECURITY_POLICY == SANDBOX


@pytest.mark.parametrize("what", ["/stream", "/download"])
def test_a_pdf_with_javascript_is_served_in_a_sandbox(intake, what):
    sent = intake.send_web("report.pdf", pdf_with_javascript())
    response = intake.download(sent.evidence_id, what)
    assert response.status_code == 200
    assert response.headers.getlist("Content-Security-Policy") == [SANDBOX]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("what", ["/stream", "/download"])
def test_text_evidence_says_its_charset_and_is_sandboxed(intake, what):
    data = "A witness statement: شهادة\n".encode()
    sent = intake.send_web("statement.txt", data)
    response = intake.download(sent.evidence_id, what)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers.getlist("Content-Security-Policy") == [SANDBOX]
    assert response.data == data


def test_a_derivative_is_sandboxed(intake):
    sent = intake.send_web("photo.jpg", jpeg_with_exif())
    item = intake.item(sent.evidence_id)
    assert item.derivatives
    for derivative in item.derivatives:
        response = intake.download(item.id, f"/derivatives/{derivative.id}")
        assert response.status_code == 200
        assert response.headers.getlist("Content-Security-Policy") == [SANDBOX]


def test_a_range_request_is_sandboxed_too(intake):
    sent = intake.send_web("report.pdf", pdf_with_javascript())
    response = intake.web.get(
        f"/investigations/{intake.ref}/evidence/{sent.evidence_id}/stream",
        headers={"Range": "bytes=0-9"},
    )
    assert response.status_code == 206
    assert response.headers.getlist("Content-Security-Policy") == [SANDBOX]


def test_pages_keep_the_page_policy(intake):
    sent = intake.send_web("statement.txt", b"plain words\n")
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{sent.evidence_id}")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "sandbox" not in page.headers["Content-Security-Policy"]
