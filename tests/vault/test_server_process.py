"""Intake against a real server process: killed mid-upload, and peak memory of a 64 MiB upload."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.vault.models import EvidenceItem
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.live_gunicorn import Gunicorn, shared_env
from tests.vault.vault_support import isolated_vault, stored_files, text_bytes

MiB = 1024 * 1024


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


def peak_rss_kib(server: Gunicorn) -> int:
    """The high-water mark of the resident memory of the server's worker."""
    status = Path(f"/proc/{server.worker_pid()}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1])


@pytest.fixture
def world(app_ctx, vault):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


@pytest.fixture
def server(app, database_url, vault, world, tmp_path):
    env = shared_env(app, database_url, "server-process-test-secret-key-0123456789")
    running = Gunicorn(env, tmp_path / "server.log", None, ["--workers", "1", "--timeout", "120"])
    yield running
    running.stop()


def multipart_head(token: str, boundary: str, filename: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()


def evidence_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def test_killing_the_server_mid_upload_leaves_no_row_and_gc_leaves_no_blob(app, server, world):
    investigation, user = world
    http = server.session(user)
    url = f"/investigations/{investigation.reference}/evidence/upload"
    token = server.csrf(http, url)
    boundary = "----custos-kill-test"
    head = multipart_head(token, boundary, "long-interview.txt")
    declared = len(head) + 64 * MiB + len(f"\r\n--{boundary}--\r\n")
    cookie = server.cookie_header(http)
    blob_dir = Path(app.config["BLOB_DIR"])

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(
            (
                f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
            + head
        )
        conn.sendall(text_bytes(8 * MiB))  # an eighth of the file, then the server dies
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(blob_dir.glob("tmp/*.partial")):
            time.sleep(0.05)
        assert list(blob_dir.glob("tmp/*.partial")), "the upload never reached the store"
        server.kill()

    assert evidence_rows() == 0
    assert stored_files(blob_dir), "the killed upload left its partial write (gc's job)"
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "removed incomplete write" in result.output
    assert stored_files(blob_dir) == []
    assert evidence_rows() == 0


def test_peak_memory_does_not_grow_with_the_size_of_the_upload(server, world, tmp_path):
    investigation, user = world
    http = server.session(user)
    url = f"/investigations/{investigation.reference}/evidence/upload"
    boundary = "----custos-memory-test"

    def post(size: int, name: str) -> int:
        body = tmp_path / f"{name}.body"
        with open(body, "wb") as out:
            out.write(multipart_head(server.csrf(http, url), boundary, name))
            chunk = text_bytes(MiB)
            for _ in range(size // MiB):
                out.write(chunk)
            out.write(f"\r\n--{boundary}--\r\n".encode())
        with open(body, "rb") as data:
            response = http.post(
                f"{server.base}{url}",
                data=data,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                allow_redirects=False,
                timeout=120,
            )
        body.unlink()
        return response.status_code

    assert post(2 * MiB, "warm-up.txt") == 303  # every code path loaded once
    before = peak_rss_kib(server)
    assert post(64 * MiB, "large.txt") == 303
    growth_mib = (peak_rss_kib(server) - before) / 1024
    print(f"peak RSS grew by {growth_mib:.1f} MiB for a 64 MiB upload")
    assert growth_mib < 16, f"peak RSS grew by {growth_mib:.1f} MiB for a 64 MiB upload"
    assert evidence_rows() == 2
