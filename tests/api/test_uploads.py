"""Uploads through the API: the raw-body POST streams through the vault's IntakeWriter with its
limits and refusals; the vault's tus endpoints take the same bearer token."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
import sqlalchemy as sa

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import EvidenceItem
from tests.api.helpers import error_of
from tests.helpers.media import jpeg_with_exif
from tests.helpers.web import csrf_token
from tests.vault.vault_support import isolated_vault, stored_files, text_bytes

SHELL_SCRIPT = b"#!/bin/sh\nrm -rf / --no-preserve-root\n" + b"# padding\n" * 300_000


@pytest.fixture
def blobs(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch):
        yield tmp_path / "blobs"


def evidence_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceItem))


class CountingStream(io.BytesIO):
    """A request body that records how much the server asks for at a time."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        self.reads.append(count)
        return count

    read1 = read
    readinto1 = readinto

    @property
    def position(self) -> int:
        return self.tell()


def test_photo_is_stored_encrypted_with_its_hash_in_custody(world, blobs):
    photo = jpeg_with_exif()
    api = world.api(world.field_a)
    response = api.upload(
        world.path("/evidence"), photo, "Aleppo%20market%20%D8%B3%D9%88%D9%82.jpg", "image/jpeg"
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(photo).hexdigest()
    assert body["kind"] == "photo" and body["original_filename"] == "Aleppo market سوق.jpg"
    assert api.get(response.headers["Location"]).get_json()["sha256"] == body["sha256"]
    received = db.session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.object_id == body["id"], LedgerEntry.action == "received"
        )
    )
    assert b'"channel":"api"' in received.body
    assert all(photo[:4096] not in path.read_bytes() for path in stored_files(blobs))


def test_upload_streams_in_bounded_reads(world, blobs, app):
    data = text_bytes(5 * 1024 * 1024)
    stream = CountingStream(data)
    api = world.api(world.field_a)
    response = api.client.post(
        "/api/v1" + world.path("/evidence"),
        input_stream=stream,
        headers=api.headers(
            {
                "Content-Type": "text/plain",
                "X-Filename": "statement.txt",
                "Content-Length": str(len(data)),
            }
        ),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["size"] == len(data)
    assert max(stream.reads) <= 1024 * 1024  # never the whole body at once
    assert len(stream.reads) >= 5


def test_shell_script_named_jpg_is_refused_and_nothing_is_stored(world, blobs):
    stream = CountingStream(SHELL_SCRIPT)
    api = world.api(world.field_a)
    response = api.client.post(
        "/api/v1" + world.path("/evidence"),
        input_stream=stream,
        headers=api.headers(
            {
                "Content-Type": "image/jpeg",
                "X-Filename": "holiday.jpg",
                "Content-Length": str(len(SHELL_SCRIPT)),
            }
        ),
    )
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "type_not_allowed" and "shell script" in error["message"]
    assert evidence_count() == 0
    assert stored_files(blobs) == []
    assert stream.position < len(SHELL_SCRIPT)  # refused after the first bytes, not the end


@pytest.mark.parametrize(
    "headers,status,code",
    [
        ({"X-Filename": "../../etc/passwd"}, 400, "bad_filename"),
        ({"X-Filename": ""}, 400, "bad_filename"),
        ({"X-Filename": "name%FF.txt"}, 400, "bad_request"),
        ({"X-Filename": "a.txt", "X-Capture-Facts": "not json"}, 400, "bad_request"),
        (
            {"X-Filename": "a.txt", "Content-Type": "multipart/form-data; boundary=x"},
            415,
            "unsupported_media_type",
        ),
    ],
)
def test_bad_uploads_are_refused_with_the_vaults_codes(world, blobs, headers, status, code):
    api = world.api(world.field_a)
    response = api.client.post(
        "/api/v1" + world.path("/evidence"),
        data=b"plain words\n",
        headers=api.headers({"Content-Type": "text/plain", **headers}),
    )
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert evidence_count() == 0 and stored_files(blobs) == []


def test_upload_over_the_size_limit_is_refused(world, blobs, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_MAX_UPLOAD_BYTES", 1000)
    response = world.api(world.field_a).upload(world.path("/evidence"), text_bytes(5000), "a.txt")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert evidence_count() == 0 and stored_files(blobs) == []


def test_capture_facts_travel_with_the_upload(world, blobs):
    facts = "%7B%22captured_at%22%3A%222016-04-27T10%3A15%3A00Z%22%7D"
    response = world.api(world.field_a).upload(
        world.path("/evidence"), b"words\n", "a.txt", headers={"X-Capture-Facts": facts}
    )
    assert response.status_code == 201
    item = db.session.get(EvidenceItem, response.get_json()["id"])
    assert '"captured_at": "2016-04-27T10:15:00Z"' in item.client_facts


# --- tus (the vault's resumable endpoints) with a bearer token --------------------------------

TUS = {"Tus-Resumable": "1.0.0"}


def tus_create(client, world, headers: dict, length: int):
    metadata = "filename " + base64.b64encode(b"interview.txt").decode()
    return client.post(
        f"/investigations/{world.ref}/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata, **headers},
    )


def test_tus_upload_with_a_token_needs_no_session_or_csrf(world, blobs):
    data = text_bytes(200_000)
    api = world.api(world.field_a)
    created = tus_create(api.client, world, api.headers(), len(data))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert "Set-Cookie" not in created.headers
    location = created.headers["Location"]
    first = api.client.patch(
        location,
        data=data[:100_000],
        headers=api.headers(
            {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        ),
    )
    assert first.status_code == 204
    head = api.client.head(location, headers=api.headers(TUS))
    assert head.headers["Upload-Offset"] == "100000"
    last = api.client.patch(
        location,
        data=data[100_000:],
        headers=api.headers(
            {**TUS, "Upload-Offset": "100000", "Content-Type": "application/offset+octet-stream"}
        ),
    )
    assert last.status_code == 204
    evidence_id = last.headers["Custos-Evidence-Id"]
    assert (
        api.get(world.path(f"/evidence/{evidence_id}")).get_json()["sha256"]
        == hashlib.sha256(data).hexdigest()
    )


def test_tus_with_a_read_only_token_is_refused(world, blobs):
    api = world.api(world.field_a, scope="read")
    response = tus_create(api.client, world, api.headers(), 10)
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"


def test_tus_upload_of_another_token_holder_is_404(world, blobs):
    api_a = world.api(world.field_a)
    location = tus_create(api_a.client, world, api_a.headers(), 10).headers["Location"]
    api_b = world.api(world.field_b)
    assert api_b.client.head(location, headers=api_b.headers(TUS)).status_code == 404


def test_tus_with_a_wrong_token_is_401(world, blobs):
    response = tus_create(
        world.app.test_client(), world, {"Authorization": "Bearer custos_nope"}, 10
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_tus_with_the_session_cookie_still_needs_csrf(world, blobs, signed_in):
    client = signed_in(world.field_a)
    assert tus_create(client, world, {}, 10).status_code == 400
    token = csrf_token(client, "/investigations/")
    assert tus_create(client, world, {"X-CSRFToken": token}, 10).status_code == 201
