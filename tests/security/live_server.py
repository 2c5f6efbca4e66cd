"""A real gunicorn serving Custos on loopback, sharing the test's database, keys and blobs,
and a raw HTTP/1.1 client for requests no well-behaved library will send (a Content-Length
that lies, a chunked body that overruns) and for reading response headers byte for byte."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.live_gunicorn import Gunicorn, shared_env
from tests.helpers.live_gunicorn import cookie_header as cookie_header  # the suite's API

PORTS = range(5400, 5420)  # this suite's loopback ports


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


class LiveServer(Gunicorn):
    """gunicorn (one sync worker) on a port of this suite's range; stopped by stop()."""

    def __init__(self, app, database_url: str, log: Path) -> None:
        env = shared_env(app, database_url, "live-server-test-secret-key-0123456789abcdef")
        super().__init__(env, log, PORTS, ["--workers", "1", "--timeout", "60"])

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


@pytest.fixture(name="live")
def live_fixture(app, database_url, vault_dir, tmp_path):
    """gunicorn over the same database and the test's isolated vault (intake_channels)."""
    server = LiveServer(app, database_url, tmp_path / "gunicorn.log")
    yield server
    server.stop()
