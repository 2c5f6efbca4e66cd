"""Intake against a real server process: killed mid-upload, and peak memory of a 64 MiB upload."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.vault.models import EvidenceItem
from tests.helpers.factories import (
    DEFAULT_PASSWORD,
    InvestigationFactory,
    MembershipFactory,
    UserFactory,
)
from tests.helpers.web import CSRF_RE
from tests.vault.vault_support import isolated_vault, stored_files, text_bytes

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`flask run` on 127.0.0.1 sharing the test's database, master key, keys and blobs."""

    def __init__(self, app, database_url: str, keys: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CUSTOS_ENV": "testing",
            "SECRET_KEY": "server-process-test-secret-key-0123456789",
            "DATABASE_URL": database_url,
            "CUSTOS_INSTANCE_PATH": app.instance_path,
            "CUSTOS_MASTER_KEY_FILE": str(Path(app.instance_path) / "master.key"),
            "CUSTOS_KEYS_DIR": str(keys),
            "CUSTOS_BLOB_DIR": str(app.config["BLOB_DIR"]),
            "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        env.pop("CUSTOS_MASTER_KEY", None)
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--no-reload"]
            + ["--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()

    def peak_rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1])

    def session(self, user) -> requests.Session:
        http = requests.Session()
        page = http.get(f"{self.base}/auth/login", timeout=10).text
        token = next(g for g in CSRF_RE.search(page).groups() if g)
        response = http.post(
            f"{self.base}/auth/login",
            data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[-500:]
        return http

    def csrf(self, http: requests.Session, url: str) -> str:
        page = http.get(f"{self.base}{url}", timeout=10).text
        return next(g for g in CSRF_RE.search(page).groups() if g)


@pytest.fixture
def world(app_ctx, vault):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


@pytest.fixture
def server(app, database_url, vault, world, tmp_path):
    running = Server(app, database_url, vault, tmp_path / "server.log")
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
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
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
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)

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
    before = server.peak_rss_kib()
    assert post(64 * MiB, "large.txt") == 303
    growth_mib = (server.peak_rss_kib() - before) / 1024
    print(f"peak RSS grew by {growth_mib:.1f} MiB for a 64 MiB upload")
    assert growth_mib < 16, f"peak RSS grew by {growth_mib:.1f} MiB for a 64 MiB upload"
    assert evidence_rows() == 2
