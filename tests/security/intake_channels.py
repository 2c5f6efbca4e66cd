"""The three ways a file enters Custos, driven as their clients do, and what each one leaves.

- web: the upload page's multipart form (session cookie, CSRF token first in the body);
- api: POST /api/v1/.../evidence with the raw bytes and X-Filename (bearer token);
- tus: the resumable endpoints (create with Upload-Metadata, then PATCH the bytes).

Each send returns a Sent: the HTTP status, what a person or a program is told, and the
evidence id when something was stored. `stored_state()` lists every row and blob an intake
can leave (evidence, custody entries, upload sessions, committed and incomplete blobs), so a
test can say "nothing is stored" by comparing it with an empty state.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import EvidenceItem, UploadSession
from app.vault.storage import blob_store
from tests.api.helpers import ApiClient, error_of, issue_token
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token
from tests.vault.vault_support import isolated_vault, multipart_body, rfc5987

CHANNELS = ["web", "api", "tus"]
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Sent:
    status: int
    message: str  # what the person (page text) or the program (JSON message) is told
    code: str | None = None  # the stable error code (API and tus)
    evidence_id: str | None = None
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StoredState:
    evidence: int
    custody_entries: int
    upload_sessions: int
    blobs: tuple[str, ...]
    incomplete: tuple[str, ...]


NOTHING = StoredState(0, 0, 0, (), ())


def stored_state() -> StoredState:
    """Every trace an intake can leave, read from the database and by listing the blob store."""
    db.session.expire_all()

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    store = blob_store()
    return StoredState(
        count(EvidenceItem),
        count(LedgerEntry),
        count(UploadSession),
        tuple(sorted(info.key for info in store.list())),
        tuple(sorted(info.key for info in store.list_incomplete())),
    )


def page_text(response) -> str:
    """The text of an HTML page as a person reads it (tags dropped, entities decoded)."""
    return html.unescape(_TAGS.sub(" ", response.get_data(as_text=True)))


# Downloading an original asks why first (app/accesslog): these clients state it in the header.
REASON = {"X-Access-Reason": "verification"}


class Intake:
    """One member of one investigation, able to upload through each channel.

    The member holds the identity grant: file names are identity information (docs/security.md)
    and these tests check what becomes of the names they send, so they must be able to read
    them back. `without_grant()` is a second field member of the same investigation who does
    not hold it.
    """

    def __init__(self, app, signed_in, investigation=None, may_see_identities=True) -> None:
        self.app = app
        self.signed_in = signed_in
        self.investigation = investigation or InvestigationFactory()
        self.user = UserFactory(role="field")
        MembershipFactory(
            user=self.user,
            investigation=self.investigation,
            may_see_identities=may_see_identities,
        )
        self.ref = self.investigation.reference
        self.web = signed_in(self.user)
        self.upload_url = f"/investigations/{self.ref}/evidence/upload"
        self.api = ApiClient(app.test_client(), issue_token(self.user))
        self.tus_token = csrf_token(self.web, "/investigations/")

    # --- web ------------------------------------------------------------------------------

    def send_web(self, filename: str, data: bytes, quoted: bool = False) -> Sent:
        """A form upload; the name as RFC 5987 filename* (any character) or a quoted string."""
        token = csrf_token(self.web, self.upload_url)
        disposition = f'filename="{filename}"' if quoted else rfc5987(filename.encode("utf-8"))
        body, content_type = multipart_body(token, [(disposition, data)])
        response = self.web.post(self.upload_url, data=body, content_type=content_type)
        return self.web_result(response)

    def web_result(self, response) -> Sent:
        evidence_id = None
        if response.status_code == 303:
            db.session.expire_all()
            evidence_id = db.session.scalar(
                select(EvidenceItem.id).order_by(EvidenceItem.received_at.desc()).limit(1)
            )
        return Sent(response.status_code, page_text(response), None, evidence_id)

    # --- api ------------------------------------------------------------------------------

    def send_api(self, filename: str, data: bytes, content_type: str = "application/octet-stream"):
        response = self.api.client.post(
            f"/api/v1/investigations/{self.ref}/evidence",
            data=data,
            headers=self.api.headers(
                {"Content-Type": content_type, "X-Filename": quote(filename, safe="")}
            ),
        )
        return self.api_result(response)

    @staticmethod
    def api_result(response) -> Sent:
        if response.status_code == 201:
            return Sent(201, "", None, response.get_json()["id"])
        error = error_of(response)  # the API's stable error shape, or the test fails
        return Sent(response.status_code, error["message"], error["code"])

    # --- tus ------------------------------------------------------------------------------

    def tus_headers(self, **extra) -> dict:
        return {**TUS, "X-CSRFToken": self.tus_token, **extra}

    def tus_create(self, length: int | str, filename: str = "statement.txt"):
        metadata = "filename " + base64.b64encode(filename.encode("utf-8")).decode()
        return self.web.post(
            f"/investigations/{self.ref}/uploads",
            headers=self.tus_headers(**{"Upload-Length": str(length), "Upload-Metadata": metadata}),
        )

    def tus_patch(self, url: str, offset: int | str, body: bytes, **headers):
        return self.web.patch(
            url,
            data=body,
            headers=self.tus_headers(
                **{"Upload-Offset": str(offset), "Content-Type": OFFSET_TYPE, **headers}
            ),
        )

    def send_tus(self, filename: str, data: bytes, piece: int = 1 << 20) -> Sent:
        created = self.tus_create(len(data), filename)
        if created.status_code != 201:
            return self.tus_result(created)
        url = created.headers["Location"]
        response = created
        for start in range(0, len(data), piece):
            response = self.tus_patch(url, start, data[start : start + piece])
            if response.status_code != 204:
                break
        return self.tus_result(response)

    @staticmethod
    def tus_result(response) -> Sent:
        if response.status_code in (201, 204):
            return Sent(
                response.status_code,
                "",
                None,
                response.headers.get("Custos-Evidence-Id"),
                dict(response.headers),
            )
        error = error_of(response)  # tus answers errors in the API's shape too
        return Sent(response.status_code, error["message"], error["code"])

    # --- any ------------------------------------------------------------------------------

    def send(self, channel: str, filename: str, data: bytes) -> Sent:
        return {"web": self.send_web, "api": self.send_api, "tus": self.send_tus}[channel](
            filename, data
        )

    def item(self, evidence_id: str) -> EvidenceItem:
        db.session.expire_all()
        item = db.session.get(EvidenceItem, evidence_id)
        assert item is not None, "the answer named evidence that is not stored"
        return item

    def download(self, evidence_id: str, what: str = "/download"):
        """An evidence response, the download's reason stated (the other paths ignore it)."""
        url = f"/investigations/{self.ref}/evidence/{evidence_id}{what}"
        return self.web.get(url, headers=REASON)

    def without_grant(self) -> Intake:
        """A second field member of the same investigation, without the identity grant."""
        return Intake(self.app, self.signed_in, self.investigation, may_see_identities=False)


def only_evidence_id() -> str:
    db.session.expire_all()
    (evidence_id,) = db.session.scalars(select(EvidenceItem.id)).all()
    return evidence_id


def custody_actions(evidence_id: str) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(LedgerEntry.action)
            .where(LedgerEntry.object_id == evidence_id)
            .order_by(LedgerEntry.seq)
        )
    )


@pytest.fixture(name="vault_dir")
def vault_dir_fixture(app, tmp_path, monkeypatch):
    """Fresh organisation keys and an empty local blob store for one test."""
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys.parent / "blobs"


@pytest.fixture(name="intake")
def intake_fixture(app, app_ctx, vault_dir, signed_in) -> Intake:
    return Intake(app, signed_in)


# --- What a browser is told to save a file as -------------------------------------------------

# RFC 6266 §4.1 with the RFC 8187 ext-value, as Custos writes it: one disposition type, an
# ASCII fallback in a quoted-string of harmless characters, and the UTF-8 name percent-encoded.
DISPOSITION = re.compile(
    r"(?P<type>attachment|inline); filename=\"(?P<fallback>[A-Za-z0-9._() -]+)\"; "
    r"filename\*=UTF-8''(?P<encoded>[A-Za-z0-9!#$&+\-.^_`|~%]+)"
)
WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)\s*(\..*)?", re.IGNORECASE)


def saved_name(header: str) -> tuple[str, str, str]:
    """(disposition type, ASCII fallback, UTF-8 name) of a well-formed Content-Disposition.

    Checked twice: against the grammar above, and by Werkzeug's header parser, which gives
    filename* precedence as RFC 6266 §4.3 tells browsers to, and must read the same name.
    """
    from urllib.parse import unquote

    from werkzeug.http import parse_options_header

    match = DISPOSITION.fullmatch(header)
    assert match, f"not a single well-formed Content-Disposition: {header!r}"
    name = unquote(match["encoded"], errors="strict")
    assert parse_options_header(header) == (match["type"], {"filename": name}), header
    return match["type"], match["fallback"], name


def assert_safe_to_save(name: str, extensions: str | tuple[str, ...]) -> None:
    """A name a browser can save as-is on any desktop, ending in the type's own extension."""
    import unicodedata

    for bad in ("/", "\\", ":", "\x00"):
        assert bad not in name, (name, bad)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name), name
    assert not name.startswith("."), name
    assert name == name.rstrip(". "), name
    assert not WINDOWS_DEVICES.fullmatch(name), name
    if isinstance(extensions, str):
        extensions = (extensions,)
    assert name.lower().rpartition(".")[2] in extensions, (name, extensions)
    assert 0 < len(name) <= 200, name


@pytest.fixture(name="s3_intake")
def s3_intake_fixture(app, app_ctx, tmp_path, monkeypatch, signed_in) -> Intake:
    """The same member, with the blobs in an S3 bucket (moto on loopback)."""
    with isolated_vault(app, tmp_path, monkeypatch, backend="s3"):
        yield Intake(app, signed_in)
