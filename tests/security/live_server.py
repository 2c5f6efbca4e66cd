"""A real gunicorn serving Custos on loopback, sharing the test's database, keys and blobs,
and a raw HTTP/1.1 client for requests no well-behaved library will send (a Content-Length
that lies, a chunked body that overruns) and for reading response headers byte for byte."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import CSRF_RE

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(5400, 5420)  # this suite's loopback ports


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class RawResponse:
    status: int
    head: bytes  # the status line and header lines, exactly as sent
    body: bytes

    def header_lines(self) -> list[bytes]:
        return self.head.split(b"\r\n")[1:]

    def headers_named(self, name: str) -> list[str]:
        prefix = name.lower().encode() + b":"
        return [
            line.split(b":", 1)[1].strip().decode("latin-1")
            for line in self.header_lines()
            if line.lower().startswith(prefix)
        ]


class LiveServer:
    """gunicorn (one sync worker) on a port of this suite's range; stopped by stop()."""

    def __init__(self, app, database_url: str, keys: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CUSTOS_ENV": "testing",
            "SECRET_KEY": "live-server-test-secret-key-0123456789abcdef",
            "DATABASE_URL": database_url,
            "CUSTOS_INSTANCE_PATH": app.instance_path,
            "CUSTOS_MASTER_KEY_FILE": str(Path(app.instance_path) / "master.key"),
            "CUSTOS_KEYS_DIR": str(keys),
            "CUSTOS_BLOB_DIR": str(app.config["BLOB_DIR"]),
            "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        env.pop("CUSTOS_MASTER_KEY", None)
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", "1"]
            + ["--timeout", "60", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()  # never leave a server behind, whatever went wrong
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def session(self, user) -> requests.Session:
        """Signed in through the real sign-in form (field staff have no second factor)."""
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

    def csrf(self, http: requests.Session, path: str) -> str:
        page = http.get(f"{self.base}{path}", timeout=10).text
        return next(g for g in CSRF_RE.search(page).groups() if g)

    def raw(
        self, request_head: str, body: bytes = b"", timeout: float = 30, half_close: bool = False
    ) -> RawResponse:
        """Send bytes exactly as given on a fresh connection; read one response.

        half_close: then end the sending side, as a client whose upload stops does.
        """
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(request_head.encode("latin-1") + body)
            if half_close:
                conn.shutdown(socket.SHUT_WR)
            received = bytearray()
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
            head, _, rest = bytes(received).partition(b"\r\n\r\n")
            length = None
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body_in = bytearray(rest)
            while length is not None and len(body_in) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body_in += chunk
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return RawResponse(status, head, bytes(body_in))


def cookie_header(http: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


@pytest.fixture(name="live")
def live_fixture(app, database_url, vault_dir, tmp_path):
    """gunicorn over the same database and the test's isolated vault (intake_channels)."""
    server = LiveServer(app, database_url, vault_dir.parent / "keys", tmp_path / "gunicorn.log")
    yield server
    server.stop()
