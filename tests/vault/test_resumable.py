"""Resumable uploads over tus 1.0: creation, breaks and resumption, protocol errors, access."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from app.crypto.age.errors import HeaderMacError
from app.extensions import db
from app.security import org_keys
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.blobstore.local import LocalPendingBlob
from app.vault.models import EvidenceItem, UploadSession
from app.vault.storage import blob_store
from app.vault.tus import sessions as resumable
from app.vault.tus.sessions import hash_cache
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import png_bomb
from tests.helpers.web import csrf_token
from tests.vault.vault_support import (
    AGE_LINE,
    decrypt_with_age_cli,
    isolated_vault,
    raw_blob,
    stored_files,
    text_bytes,
)

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"


@pytest.fixture(params=["local"])
def vault(request, app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch, backend=request.param) as keys:
        yield keys.parent / "blobs"


class World:
    def __init__(self):
        self.investigation = InvestigationFactory()
        self.field = UserFactory(role="field")
        MembershipFactory(user=self.field, investigation=self.investigation)
        self.create_url = f"/investigations/{self.investigation.reference}/uploads"


@pytest.fixture
def world(app_ctx, vault):
    return World()


class Tus:
    """A tus client over the Flask test client, with the CSRF token in X-CSRFToken."""

    def __init__(self, client, world):
        self.client = client
        self.world = world
        self.token = csrf_token(client, "/investigations/")

    def headers(self, **extra):
        return {**TUS, "X-CSRFToken": self.token, **extra}

    def create(self, length: int, filename: str = "interview.txt", facts: dict | None = None):
        metadata = "filename " + base64.b64encode(filename.encode()).decode()
        if facts is not None:
            metadata += ",facts " + base64.b64encode(json.dumps(facts).encode()).decode()
        return self.client.post(
            self.world.create_url,
            headers=self.headers(**{"Upload-Length": str(length), "Upload-Metadata": metadata}),
        )

    def head(self, url):
        return self.client.head(url, headers=TUS)

    def patch(self, url, offset: int, body: bytes, content_type: str = OFFSET_TYPE):
        return self.client.patch(
            url,
            data=body,
            headers=self.headers(**{"Upload-Offset": str(offset), "Content-Type": content_type}),
        )

    def patch_then_drop(self, url, offset: int, sent: bytes, declared: int):
        """A PATCH whose connection breaks: Content-Length says `declared`, only `sent` arrives."""
        builder = EnvironBuilder(
            path=url,
            method="PATCH",
            input_stream=io.BytesIO(sent),
            headers=self.headers(**{"Upload-Offset": str(offset), "Content-Type": OFFSET_TYPE}),
        )
        environ = builder.get_environ()
        environ["CONTENT_LENGTH"] = str(declared)
        return self.client.open(environ)


@pytest.fixture
def tus(signed_in, world):
    return Tus(signed_in(world.field), world)


def items() -> list[EvidenceItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(EvidenceItem)))


def sessions() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UploadSession))


def test_options_advertises_version_extensions_and_max_size(tus, world):
    response = tus.client.options(world.create_url)
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert "creation" in response.headers["Tus-Extension"]
    assert int(response.headers["Tus-Max-Size"]) == 4 * 1024**3


def test_three_patches_with_a_break_become_evidence_with_the_right_sha256(tus, tmp_path, vault):
    data = text_bytes(300_000)
    created = tus.create(len(data), facts={"captured_at": "2024-05-01T10:15:00Z"})
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"]
    assert tus.head(url).headers["Upload-Offset"] == "0"

    first = tus.patch(url, 0, data[:100_000])
    assert first.status_code == 204
    assert first.headers["Upload-Offset"] == "100000"

    # The connection breaks: 150 000 bytes announced, 70 000 arrive.
    tus.patch_then_drop(url, 100_000, data[100_000:170_000], declared=150_000)
    head = tus.head(url)
    assert head.status_code == 200
    assert head.headers["Cache-Control"] == "no-store"
    offset = int(head.headers["Upload-Offset"])
    assert offset == 170_000  # tus core: partial bodies are kept
    assert items() == []

    last = tus.patch(url, offset, data[offset:])
    assert last.status_code == 204
    assert last.headers["Upload-Offset"] == str(len(data))
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert (item.size, item.media_type, item.original_filename) == (
        len(data),
        "text/plain",
        "interview.txt",
    )
    assert last.headers["Custos-Evidence-Id"] == item.id
    stored = raw_blob(item.blob_key)
    assert stored.startswith(AGE_LINE)
    assert decrypt_with_age_cli(stored, org_keys.org_identities(), tmp_path) == data
    assert [p for p in stored_files(vault) if p.relative_to(vault).parts[0] == "tmp"] == []
    assert tus.head(url).headers["Upload-Offset"] == str(len(data))


def test_resuming_on_another_worker_verifies_the_hash_from_the_stored_blob(tus, app):
    data = text_bytes(200_000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:123_457]).status_code == 204
    hash_cache().clear()  # as if the next PATCH reached a worker that never saw this upload
    assert tus.patch(url, 123_457, data[123_457:]).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()


def test_a_small_file_in_one_patch(tus):
    data = b"Short statement.\n"
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()


def test_offset_mismatch_is_409_and_changes_nothing(tus):
    data = text_bytes(1000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:400]).status_code == 204
    response = tus.patch(url, 100, data[100:])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "offset_mismatch"
    assert tus.head(url).headers["Upload-Offset"] == "400"


def test_wrong_content_type_is_415(tus):
    url = tus.create(10).headers["Location"]
    response = tus.patch(url, 0, b"0123456789", content_type="application/octet-stream")
    assert response.status_code == 415
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_a_request_without_the_tus_version_is_412(tus, world):
    response = tus.client.post(
        world.create_url, headers={"Upload-Length": "10", "X-CSRFToken": tus.token}
    )
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"


def test_a_body_past_the_declared_length_is_refused(tus):
    url = tus.create(10).headers["Location"]
    assert tus.patch(url, 0, b"x" * 11).status_code == 400
    assert items() == []


def test_creation_refuses_bad_names_sizes_and_missing_length(tus, world, app, monkeypatch):
    assert tus.create(0).status_code == 400
    assert tus.create(10, filename="../../etc/passwd").status_code == 400
    assert tus.create(10, filename="a\nb.txt").status_code == 400
    monkeypatch.setitem(app.config, "CUSTOS_MAX_UPLOAD_BYTES", 1000)
    too_big = tus.create(1001)
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["code"] == "too_large"
    missing = tus.client.post(world.create_url, headers=tus.headers())
    assert missing.status_code == 400
    assert sessions() == 0


def test_refused_content_discards_the_whole_upload(tus, vault):
    html = b"<!DOCTYPE html><html><body>" + b"x" * 70_000 + b"</body></html>"
    url = tus.create(len(html), filename="clip.mp4").headers["Location"]
    response = tus.patch(url, 0, html)
    assert response.status_code == 415
    assert "HTML" in response.get_json()["error"]["message"]
    assert sessions() == 0
    assert stored_files(vault) == []
    assert tus.head(url).status_code == 404


def test_a_decompression_bomb_sent_in_small_pieces_is_refused(tus, vault):
    bomb = png_bomb()
    url = tus.create(len(bomb), filename="bomb.png").headers["Location"]
    assert tus.patch(url, 0, bomb[:20]).status_code == 204  # not enough to judge yet
    response = tus.patch(url, 20, bomb[20:])
    assert response.status_code == 422
    assert sessions() == 0
    assert stored_files(vault) == []


def test_termination_removes_the_partial_upload(tus, vault):
    url = tus.create(1000).headers["Location"]
    tus.patch(url, 0, text_bytes(500))
    response = tus.client.delete(url, headers=tus.headers())
    assert response.status_code == 204
    assert sessions() == 0
    assert stored_files(vault) == []


def test_an_expired_upload_is_gone(tus):
    url = tus.create(100).headers["Location"]
    session = db.session.scalars(select(UploadSession)).one()
    session.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert tus.head(url).status_code == 410
    assert tus.patch(url, 0, text_bytes(100)).status_code == 410


def test_a_second_writer_is_refused_while_the_first_holds_the_lease(tus):
    url = tus.create(100).headers["Location"]
    session = db.session.scalars(select(UploadSession)).one()
    session.lease_token = "another-request"
    session.lease_expires_at = utcnow() + timedelta(seconds=30)
    db.session.commit()
    response = tus.patch(url, 0, text_bytes(100))
    assert response.status_code == 423
    session.lease_expires_at = utcnow() - timedelta(seconds=1)  # that request died
    db.session.commit()
    assert tus.patch(url, 0, text_bytes(100)).status_code == 204


def test_upload_state_at_rest_is_encrypted(tus):
    url = tus.create(100_000).headers["Location"]
    secret_words = b"the name of the witness is Amira " * 100
    tus.patch(url, 0, secret_words)
    raw = db.session.execute(select(UploadSession.__table__.c.stream_state)).scalar_one()
    assert b"Amira" not in bytes(raw)
    assert b"file_key" not in bytes(raw)


# --- Access --------------------------------------------------------------------------------------


def test_non_members_get_404_on_every_tus_url(tus, world, signed_in):
    url = tus.create(100).headers["Location"]
    outsider = Tus(signed_in(UserFactory(role="field")), world)
    assert outsider.create(100).status_code == 404
    assert outsider.client.options(world.create_url).status_code == 404
    assert outsider.head(url).status_code == 404
    assert outsider.client.get(url).status_code == 404
    assert outsider.patch(url, 0, text_bytes(100)).status_code == 404
    assert outsider.client.delete(url, headers=outsider.headers()).status_code == 404
    assert outsider.client.options(url).status_code == 404
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_another_member_cannot_touch_someone_elses_upload(tus, world, signed_in):
    url = tus.create(100).headers["Location"]
    colleague = UserFactory(role="lawyer")
    MembershipFactory(user=colleague, investigation=world.investigation)
    other = Tus(signed_in(colleague), world)
    assert other.head(url).status_code == 404
    assert other.patch(url, 0, text_bytes(100)).status_code == 404
    assert items() == []


def test_tus_writes_need_the_csrf_token(tus):
    url = tus.create(100).headers["Location"]
    response = tus.client.patch(
        url,
        data=text_bytes(100),
        headers={**TUS, "Upload-Offset": "0", "Content-Type": OFFSET_TYPE},
    )
    assert response.status_code == 400
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_get_describes_the_upload_as_json(tus):
    url = tus.create(100).headers["Location"]
    assert tus.client.get(url).get_json() == {"offset": 0, "length": 100, "complete": False}


# --- Checkpoints inside one PATCH (made durable by the writer thread) ---------------------------


@pytest.fixture
def frequent_checkpoints(monkeypatch):
    """Checkpoint every 256 KiB inside a PATCH; count the checkpoints recorded."""
    monkeypatch.setattr(resumable, "READ_SIZE", 64 * 1024)
    monkeypatch.setattr(resumable, "CHECKPOINT_BYTES", 256 * 1024)
    monkeypatch.setattr(resumable, "CHECKPOINT_SECONDS", 0)
    recorded: list[int] = []
    record = resumable._Append._record

    def counting(self, marker, blob_state):
        record(self, marker, blob_state)
        recorded.append(marker.offset)

    monkeypatch.setattr(resumable._Append, "_record", counting)
    return recorded


def test_a_cut_mid_patch_between_checkpoints_resumes_at_exactly_what_arrived(
    tus, tmp_path, vault, frequent_checkpoints
):
    data = text_bytes(3 * 1024 * 1024 + 12_345)
    url = tus.create(len(data)).headers["Location"]
    cut = 1_234_567  # not a multiple of the checkpoint interval nor of an age chunk
    tus.patch_then_drop(url, 0, data[:cut], declared=len(data))
    # At least one checkpoint was recorded while the body streamed (how many depends on how
    # fast the fsyncs are: writes go on meanwhile), then one at exactly the bytes received.
    assert len(frequent_checkpoints) >= 2
    assert all(offset < cut for offset in frequent_checkpoints[:-1])
    assert tus.head(url).headers["Upload-Offset"] == str(cut)

    hash_cache().clear()  # the resume may land on another worker
    assert tus.patch(url, cut, data[cut:]).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == data
    assert [p for p in stored_files(vault) if p.relative_to(vault).parts[0] == "tmp"] == []


def test_a_store_failure_mid_patch_keeps_only_the_durable_offset(
    tus, tmp_path, vault, frequent_checkpoints, monkeypatch
):
    data = text_bytes(3 * 1024 * 1024)
    url = tus.create(len(data)).headers["Location"]
    write = LocalPendingBlob.write
    store_held = []  # how many bytes the store held when the disk filled

    def fails_past_one_mib(self, piece):
        if self.size > 1024 * 1024:
            store_held.append(self.size)
            raise BlobStoreError("writing to the blob store failed: No space left on device", 28)
        write(self, piece)

    monkeypatch.setattr(LocalPendingBlob, "write", fails_past_one_mib)
    failed = tus.patch(url, 0, data)
    assert failed.status_code == 507
    assert items() == []

    # The offset is the last checkpoint recorded before the failure: behind what arrived,
    # never ahead of what the store holds durably.
    offset = int(tus.head(url).headers["Upload-Offset"])
    assert frequent_checkpoints and offset == frequent_checkpoints[-1]
    # How far the writer got before the disk filled depends on the machine's pace; the
    # promise is only that the offset never passes what the store held.
    assert 0 < offset <= store_held[0] < len(data)

    monkeypatch.setattr(LocalPendingBlob, "write", write)  # space is freed
    assert tus.patch(url, offset, data[offset:]).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == data


# --- S3: the same flow with parts, tails and a break --------------------------------------------


@pytest.mark.parametrize("vault", ["s3"], indirect=True)
def test_a_large_upload_resumes_across_s3_parts(tus, tmp_path):
    data = text_bytes(19 * 1024 * 1024 + 321)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[: 9 * 1024 * 1024]).status_code == 204
    tus.patch_then_drop(url, 9 * 1024 * 1024, data[9 * 1024 * 1024 : 12_000_000], declared=10**7)
    offset = int(tus.head(url).headers["Upload-Offset"])
    assert offset == 12_000_000
    hash_cache().clear()
    assert tus.patch(url, offset, data[offset:]).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert raw_blob(item.blob_key).startswith(AGE_LINE)
    assert list(blob_store().list_incomplete()) == []
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == data


# --- A resume after the writer died: never the same payload key twice -----------------------


def _stream_state(url: str) -> dict:
    db.session.expire_all()
    session = db.session.get(UploadSession, url.rsplit("/", 1)[1])
    return json.loads(session.stream_state)


def _leave_lease_behind(url: str) -> None:
    """What a PATCH whose process was killed leaves: its lease, expired, never released."""
    db.session.expire_all()
    session = db.session.get(UploadSession, url.rsplit("/", 1)[1])
    session.lease_token = "d" * 32
    session.lease_expires_at = utcnow() - timedelta(seconds=5)
    db.session.commit()


def test_a_resume_after_the_writer_died_continues_under_a_fresh_file_key(tus, tmp_path, vault):
    data = text_bytes(700_000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:300_000]).status_code == 204
    before = _stream_state(url)
    _leave_lease_behind(url)
    assert tus.patch(url, 300_000, data[300_000:500_000]).status_code == 204
    after = _stream_state(url)
    # Same plaintext position, but a new file key and payload nonce: whatever the dead
    # writer sealed past its checkpoint was under a key nothing is sealed with again.
    assert after["file_key"] != before["file_key"] and after["nonce"] != before["nonce"]
    assert int(tus.head(url).headers["Upload-Offset"]) == 500_000
    assert tus.patch(url, 500_000, data[500_000:]).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert list(blob_store().list_incomplete()) == []
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == data


def test_the_old_file_key_opens_nothing_of_a_re_keyed_upload(tus, vault):
    data = text_bytes(400_000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:200_000]).status_code == 204
    old_key = base64.b64decode(_stream_state(url)["file_key"])
    _leave_lease_behind(url)
    assert tus.patch(url, 200_000, data[200_000:]).status_code == 204
    (item,) = items()
    with pytest.raises(HeaderMacError):
        resumable.verify_stored(item.blob_key, old_key)


def test_a_clean_resume_keeps_its_stream(tus, vault):
    data = text_bytes(500_000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:200_000]).status_code == 204
    before = _stream_state(url)
    assert tus.patch(url, 200_000, data[200_000:300_000]).status_code == 204
    after = _stream_state(url)
    assert (after["file_key"], after["nonce"]) == (before["file_key"], before["nonce"])


@pytest.mark.parametrize("vault", ["s3"], indirect=True)
def test_on_s3_a_resume_after_the_writer_died_restarts_at_zero_under_a_fresh_key(tus, tmp_path):
    data = text_bytes(600_000)
    url = tus.create(len(data)).headers["Location"]
    assert tus.patch(url, 0, data[:300_000]).status_code == 204
    before = _stream_state(url)
    _leave_lease_behind(url)
    refused = tus.patch(url, 300_000, data[300_000:])
    assert refused.status_code == 409
    assert "fresh key" in refused.get_data(as_text=True)
    assert int(tus.head(url).headers["Upload-Offset"]) == 0
    assert _stream_state(url)["file_key"] != before["file_key"]
    assert tus.patch(url, 0, data).status_code == 204
    (item,) = items()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == data
