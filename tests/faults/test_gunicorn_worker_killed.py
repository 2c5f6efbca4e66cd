"""kill -9 of a gunicorn worker in the middle of an upload (multipart and tus PATCH).

tests/vault/test_server_process.py kills a whole gunicorn (master and worker) mid-upload and
checks that gc removes the partial write. Here only the worker dies, as in production: its
master respawns the worker, and the checks go on to what follows the crash: the ledger
still verifies, the next request is served, and a tus upload resumes from the offset the
server made durable before it died.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.vault.models import EvidenceItem
from tests.faults.conftest import (
    Gunicorn,
    collect_garbage,
    custody_verifies,
    evidence_rows,
    ledger_actions,
    server_env,
    wait_until,
)
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.test_server_process import multipart_head
from tests.vault.vault_support import stored_files, text_bytes

pytestmark = pytest.mark.faults

MiB = 1024 * 1024


@pytest.fixture
def field_world(app_ctx, vault):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


@pytest.fixture
def server(app, database_url, vault, field_world, tmp_path):
    running = Gunicorn(server_env(app, database_url), tmp_path / "gunicorn.log")
    yield running
    running.stop()


def partial_bytes(blob_dir: Path) -> int:
    return sum(p.stat().st_size for p in blob_dir.glob("tmp/*.partial"))


def upload_small_file(server: Gunicorn, http, url: str, name: str) -> int:
    boundary = "----custos-after-crash"
    body = (
        multipart_head(server.csrf(http, url), boundary, name)
        + text_bytes(64 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = http.post(
        f"{server.base}{url}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        allow_redirects=False,
        timeout=60,
    )
    return response.status_code


def test_a_worker_killed_mid_multipart_upload_leaves_no_row_and_the_next_upload_works(
    app, server, field_world
):
    investigation, user = field_world
    http = server.session(user)
    url = f"/investigations/{investigation.reference}/evidence/upload"
    boundary = "----custos-fault-multipart"
    head = multipart_head(server.csrf(http, url), boundary, "long-interview.txt")
    declared = len(head) + 32 * MiB + len(f"\r\n--{boundary}--\r\n")
    blob_dir = Path(app.config["BLOB_DIR"])

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(
            (
                f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {server.cookie_header(http)}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
            + head
        )
        conn.sendall(text_bytes(4 * MiB))
        wait_until(lambda: partial_bytes(blob_dir) > MiB, 30, "the upload to reach the store")
        server.kill_worker()

    assert evidence_rows() == 0, "a killed upload must not leave an evidence row"
    assert ledger_actions("received") == 0
    assert list(blob_dir.glob("tmp/*.partial")), "the partial write is gc's to remove"
    assert "removed incomplete write" in collect_garbage(app)
    assert stored_files(blob_dir) == []
    custody_verifies(app)

    # The respawned worker serves the same browser session at once.
    assert upload_small_file(server, http, url, "after-the-crash.txt") == 303
    assert evidence_rows() == 1
    assert ledger_actions("received") == 1
    custody_verifies(app)


def tus_headers(token: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", "X-CSRFToken": token, **extra}


def test_a_tus_upload_resumes_from_the_durable_offset_after_its_worker_is_killed(
    app, server, field_world
):
    investigation, user = field_world
    http = server.session(user)
    token = server.csrf(http, f"/investigations/{investigation.reference}/evidence/upload")
    content = text_bytes(10 * MiB)
    first = 1 * MiB
    name = base64.b64encode(b"interview-recording-notes.txt").decode()
    created = http.post(
        f"{server.base}/investigations/{investigation.reference}/uploads",
        headers=tus_headers(
            token, **{"Upload-Length": str(len(content)), "Upload-Metadata": f"filename {name}"}
        ),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    upload_url = created.headers["Location"]
    patch_headers = tus_headers(token, **{"Content-Type": "application/offset+octet-stream"})
    sent = http.patch(
        f"{server.base}{upload_url}",
        data=content[:first],
        headers={**patch_headers, "Upload-Offset": "0"},
        timeout=30,
    )
    assert sent.status_code == 204, sent.text
    assert sent.headers["Upload-Offset"] == str(first)

    # The second PATCH dies with its worker after some of its bytes reached the disk.
    blob_dir = Path(app.config["BLOB_DIR"])
    before = partial_bytes(blob_dir)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        header_lines = "".join(f"{k}: {v}\r\n" for k, v in patch_headers.items())
        conn.sendall(
            (
                f"PATCH {upload_url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {server.cookie_header(http)}\r\n{header_lines}"
                f"Upload-Offset: {first}\r\nContent-Length: {len(content) - first}\r\n\r\n"
            ).encode()
            + content[first : first + 4 * MiB]
        )
        wait_until(
            lambda: partial_bytes(blob_dir) > before + MiB, 30, "the PATCH to reach the store"
        )
        server.kill_worker()

    status = http.head(f"{server.base}{upload_url}", headers=tus_headers(token), timeout=10)
    assert status.status_code == 200
    durable = int(status.headers["Upload-Offset"])
    # The last checkpoint: the first PATCH's end, or a later one the dying PATCH made durable
    # (checkpoints are time- and size-based), never more than the bytes that were sent.
    in_flight = first + 4 * MiB
    assert first <= durable <= in_flight, (durable, first, in_flight)

    # A tus client retries: refused with 423 while the dead PATCH's lease lasts, then accepted.
    def resume():
        response = http.patch(
            f"{server.base}{upload_url}",
            data=content[durable:],
            headers={**patch_headers, "Upload-Offset": str(durable)},
            timeout=60,
        )
        if response.status_code == 423:
            assert "retry" in response.json()["error"]["message"]
            time.sleep(0.5)
            return None
        return response

    finished = wait_until(resume, 30, "the upload's lease to lapse")
    assert finished.status_code == 204, finished.text
    assert finished.headers["Upload-Offset"] == str(len(content))
    db.session.expire_all()
    item = db.session.scalar(select(EvidenceItem))
    assert item.id == finished.headers["Custos-Evidence-Id"]
    assert (item.size, item.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert evidence_rows() == 1
    assert ledger_actions("received") == 1
    custody_verifies(app)
    collect_garbage(app)
    leftovers = [p for p in stored_files(blob_dir) if p.relative_to(blob_dir).parts[0] == "tmp"]
    assert leftovers == [], "the resumed upload left temp files behind"
