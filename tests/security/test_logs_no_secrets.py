"""No log line, at any level, carries a witness identity, a password, a key or a token.

A representative run with every logger at DEBUG and the production JSON formatter: sign-in
with a second factor (and failed attempts), a witness registered through the web form and
through the API with its identity, an upload whose file name names a person, an API token
made and used, a lawyer reading identities, a case-file export run as a background job, and
a backup. Then every line is searched for the strings that must never leave the database
encrypted: names, contacts, places, passwords, TOTP secrets, the master key, the
organisation's private key and the API token.
"""

from __future__ import annotations

import io
import logging
import re

import pytest

from app.extensions import db
from app.request_logging import JsonFormatter
from tests.api.helpers import ALL_CONSENT, ApiClient
from tests.casefiles.conftest import (  # noqa: F401  (fixtures, used by name)
    HIDDEN_CONTACT,
    HIDDEN_LOCATION,
    HIDDEN_NAME,
    NAMED_NAME,
    WITHDRAWN_NAME,
    _organisation_keys,
    built_case,
    export_dir,
    frameworks,
    wait_for_job,
    world,
)
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.media import jpeg_with_exif
from tests.helpers.web import csrf_token, post_form, sign_in
from tests.intake.helpers import witness_form

WEB_WITNESS = {
    "full_name": "Mariam Web-Form-Witness",
    "contact": "+963 933 777 101",
    "current_location": "Shelter behind the Al-Nour mosque",
}
API_WITNESS = {"full_name": "Khaled Api-Witness-Name", "contact": "khaled.api@example.net"}
FILE_NAMED_AFTER = "Samira Filename-Person"
WRONG_PASSWORD = "Wrong-Password-Guess-9137"
TOKEN_RE = re.compile(r"custos_[A-Za-z0-9_-]{43}")


class Collector(logging.Handler):
    """Every record, as the production formatter writes it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def photo() -> bytes:
    """A witness's photo: GPS and camera EXIF, an XMP packet and a comment (made before the
    capture starts, so what is logged is what the app does with it)."""
    return jpeg_with_exif()


@pytest.fixture
def every_log_line():
    root = logging.getLogger()
    collector = Collector()
    previous = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector.lines
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)


def run_representative_flow(app, case, tmp_path, photo: bytes) -> list[str]:
    """Drive the app as its users would; returns the secrets that came up along the way."""
    investigation = case.investigation
    ref = investigation.reference
    seen: list[str] = []

    # Failed sign-ins first: a wrong password, then a wrong second factor.
    stranger = app.test_client()
    post_form(stranger, "/auth/login", {"email": case.author.email, "password": WRONG_PASSWORD})
    post_form(stranger, "/auth/login", {"email": case.author.email, "password": DEFAULT_PASSWORD})
    post_form(stranger, "/auth/2fa", {"code": "000000"}, page="/auth/2fa")

    field = app.test_client()
    sign_in(field, case.field)
    response = post_form(
        field,
        f"/investigations/{ref}/witnesses/new",
        witness_form(**WEB_WITNESS),
        page=f"/investigations/{ref}/witnesses/new",
    )
    assert response.status_code in (302, 303), response.status_code

    upload_url = f"/investigations/{ref}/evidence/upload"
    uploaded = field.post(
        upload_url,
        data={
            "csrf_token": csrf_token(field, upload_url),
            "files": [(io.BytesIO(photo), f"{FILE_NAMED_AFTER} at home.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303, uploaded.status_code

    made = post_form(
        field,
        "/auth/settings/tokens/new",
        {"name": "Field phone", "scope": "read write", "current": DEFAULT_PASSWORD},
        page="/auth/settings/tokens/new",
    )
    token = TOKEN_RE.search(made.get_data(as_text=True)).group(0)
    seen.append(token)
    api = ApiClient(app.test_client(), token)
    assert api.get("/me").status_code == 200
    created = api.post(
        f"/investigations/{ref}/witnesses",
        json={
            "risk_level": "high",
            "identity": API_WITNESS,
            "consent": dict(ALL_CONSENT, named=False),
        },
    )
    assert created.status_code == 201, created.get_json()
    assert ApiClient(app.test_client(), token + "x").get("/me").status_code == 401

    lawyer = app.test_client()
    sign_in(lawyer, case.author)
    reveal = f"/investigations/{ref}/witnesses/{case.witness.id}/identity"
    witness_page = post_form(lawyer, reveal, {"access_reason": "case_review"}, page=reveal)
    assert HIDDEN_NAME in witness_page.get_data(as_text=True)  # the grant shows it, with a reason
    base = f"/investigations/{ref}/cases/{case.casefile.reference}"
    started = post_form(
        lawyer,
        f"{base}/export",
        {
            "files": "originals",
            "for_whom": "ICC OTP",
            "unencrypted_reason": "on site",
            "access_reason": "legal_proceedings",
        },
        page=f"{base}/export",
    )
    assert started.status_code == 302, started.status_code
    finished = wait_for_job(lawyer, started.headers["Location"] + "/progress")
    assert finished["state"] == "done", finished
    assert lawyer.get(finished["download_url"]).status_code == 200

    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "backup")]).exit_code == 0
    seen += [field.get_cookie("custos_session").value, lawyer.get_cookie("custos_session").value]
    return seen


@pytest.mark.usefixtures("export_dir")
def test_no_log_line_carries_an_identity_a_password_a_key_or_a_token(
    app, request, tmp_path, photo, every_log_line
):
    from app.security.org_keys import org_identities

    case = request.getfixturevalue("built_case")

    found_during_run = run_representative_flow(app, case, tmp_path, photo)
    db.session.expire_all()
    forbidden = {
        "witness name": [HIDDEN_NAME, NAMED_NAME, WITHDRAWN_NAME, WEB_WITNESS["full_name"]],
        "witness contact or place": [
            HIDDEN_CONTACT,
            HIDDEN_LOCATION,
            WEB_WITNESS["contact"],
            WEB_WITNESS["current_location"],
            API_WITNESS["full_name"],
            API_WITNESS["contact"],
        ],
        "file name naming a person": [FILE_NAMED_AFTER],
        "the photo's EXIF, XMP and comment": [
            "EOS 5D Mark IV",
            "FieldCam 1.0",
            "2024:05:01 10:15:30",
            "WITNESS-XMP-MARKER",
            "WITNESS-COMMENT-MARKER",
        ],
        "password": [DEFAULT_PASSWORD, WRONG_PASSWORD],
        "TOTP secret": [u.totp_secret for u in (case.author, case.reviewer)],
        "master key": [app.config["CUSTOS_MASTER_KEY_FILE"].read_text().strip()],
        "organisation private key": [str(identity) for identity in org_identities()],
        "API token or session cookie": found_during_run,
    }
    assert len(every_log_line) > 50, "the run logged too little to prove anything"
    leaks = [
        (what, secret[:6] + "...", line[:200])
        for what, secrets in forbidden.items()
        for secret in secrets
        if secret
        for line in every_log_line
        if secret in line or secret.replace(" ", "") in line
    ]
    assert leaks == []
