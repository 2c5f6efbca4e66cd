"""A tus PATCH whose gunicorn worker is killed after a checkpoint made inside that PATCH.

tests/faults/test_gunicorn_worker_killed.py kills a PATCH before its first checkpoint (HEAD
falls back to where the previous PATCH ended). Here the PATCH is long enough for the writer
thread to make a checkpoint durable and the request to record it; the worker then dies with
more bytes in flight, at an offset that is no checkpoint. HEAD must report exactly the
recorded checkpoint, and resuming from it must give the original bytes back.
"""

from __future__ import annotations

import base64
import hashlib
import signal
import socket
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.security import org_keys
from app.vault.models import EvidenceItem
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.live_gunicorn import Gunicorn, shared_env, wait_until
from tests.vault.vault_support import decrypt_with_age_cli, isolated_vault, raw_blob, text_bytes

pytestmark = pytest.mark.faults

MiB = 1024 * 1024
PORTS = range(5700, 5720)  # the fault suite's range, whose marker this test carries


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


@pytest.fixture
def world(app_ctx, vault):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


@pytest.fixture
def server(app, database_url, vault, world, tmp_path):
    env = shared_env(
        app, database_url, "resumable-crash-secret-key-0123456789", CUSTOS_TUS_LEASE_SECONDS="2"
    )
    running = Gunicorn(
        env,
        tmp_path / "gunicorn.log",
        PORTS,
        ["--workers", "1", "--threads", "4", "--timeout", "120", "--graceful-timeout", "2"],
        stop_signal=signal.SIGQUIT,
    )
    yield running
    running.stop()


def tus_headers(token: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", "X-CSRFToken": token, **extra}


def test_a_worker_killed_after_a_checkpoint_inside_the_patch_resumes_from_it(
    app, server, world, tmp_path
):
    investigation, user = world
    http = server.session(user)
    token = server.csrf(http, f"/investigations/{investigation.reference}/evidence/upload")
    content = text_bytes(40 * MiB + 4321)
    name = base64.b64encode(b"long-interview.txt").decode()
    created = http.post(
        f"{server.base}/investigations/{investigation.reference}/uploads",
        headers=tus_headers(
            token, **{"Upload-Length": str(len(content)), "Upload-Metadata": f"filename {name}"}
        ),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    patch_headers = tus_headers(token, **{"Content-Type": "application/offset+octet-stream"})

    def head_offset() -> int:
        response = http.head(f"{server.base}{url}", headers=tus_headers(token), timeout=10)
        assert response.status_code == 200
        return int(response.headers["Upload-Offset"])

    # One PATCH for the whole file: 33 MiB, a pause longer than the checkpoint interval,
    # then 2 MiB and an odd tail, so a checkpoint falls inside it and the cut does not.
    sent = 33 * MiB + 2 * MiB + 12_345
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        header_lines = "".join(f"{k}: {v}\r\n" for k, v in patch_headers.items())
        conn.sendall(
            (
                f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {server.cookie_header(http)}\r\n{header_lines}"
                f"Upload-Offset: 0\r\nContent-Length: {len(content)}\r\n\r\n"
            ).encode()
        )
        conn.sendall(content[: 33 * MiB])
        time.sleep(2.5)
        conn.sendall(content[33 * MiB : sent])
        recorded = wait_until(head_offset, 60, "a checkpoint inside the PATCH to be recorded")
        server.kill_worker()

    assert 32 * MiB <= recorded < sent
    assert head_offset() == recorded, "HEAD must report the recorded checkpoint exactly"

    def resume():
        response = http.patch(
            f"{server.base}{url}",
            data=content[recorded:],
            headers={**patch_headers, "Upload-Offset": str(recorded)},
            timeout=120,
        )
        if response.status_code == 423:  # the dead PATCH's lease has not lapsed yet
            time.sleep(0.5)
            return None
        return response

    finished = wait_until(resume, 60, "the upload's lease to lapse")
    assert finished.status_code == 204, finished.text
    db.session.expire_all()
    item = db.session.scalar(select(EvidenceItem))
    assert (item.size, item.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    plaintext = decrypt_with_age_cli(raw_blob(item.blob_key), org_keys.org_identities(), tmp_path)
    assert plaintext == content
