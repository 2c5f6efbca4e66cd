"""PostgreSQL crashes in the middle of a request, stays down a while, then comes back.

Runs against a private cluster (tests/faults/postgres_cluster.py), never the shared one, with
Custos under gunicorn. Marked `nodb`: it brings its own PostgreSQL whatever CUSTOS_TEST_DB
says, so it runs once (in the SQLite pass of `make test`); running it again in the
PostgreSQL pass would repeat the very same test. Without the PostgreSQL server binaries it
fails in CI and is skipped elsewhere, saying what to install.

What the user must see while the database is down: a 503 that says so (an HTML page on the
web, the API's JSON error under /api/v1, and /readyz naming the database), nothing
half-written (no evidence row, no blob), and, once PostgreSQL is back, the next request
works without restarting Custos.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.error_responses import DATABASE_UNAVAILABLE
from app.extensions import db
from app.vault.models import EvidenceItem
from tests.api.helpers import issue_token
from tests.conftest import make_config
from tests.faults.conftest import (
    Gunicorn,
    collect_garbage,
    custody_verifies,
    server_env,
    wait_until,
)
from tests.faults.postgres_cluster import PrivateCluster
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.test_server_process import multipart_head
from tests.vault.vault_support import stored_files, text_bytes

pytestmark = [pytest.mark.faults, pytest.mark.nodb]

MiB = 1024 * 1024


@pytest.fixture
def cluster():
    running = PrivateCluster()
    yield running
    running.remove()


@pytest.fixture
def pg_app(cluster, tmp_path):
    """A Custos app on the private cluster, its schema built by the real migrations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys

    instance = tmp_path / "instance"
    instance.mkdir()
    generate_master_key_file(instance / "master.key")
    config = make_config(
        cluster.url(),
        instance,
        CUSTOS_KEYS_DIR=instance / "keys",
        CUSTOS_EXPORT_DIR=instance / "exports",
    )
    application = create_app(config)
    with application.app_context():
        upgrade()
        init_keys(instance / "keys", application.extensions["custos.master_key"])
        yield application
        db.session.remove()
        db.engine.dispose()


def evidence_rows() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def raw_response(conn: socket.socket) -> tuple[int, str]:
    """Status and body of the one HTTP/1.1 answer on `conn` (the server closes after it)."""
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode("utf-8", "replace")


def test_the_database_crashing_mid_request_gives_503s_and_the_next_request_recovers(
    pg_app, cluster, tmp_path
):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    token = issue_token(user)
    server = Gunicorn(server_env(pg_app, cluster.url()), tmp_path / "gunicorn.log")
    try:
        http = server.session(user)
        page = f"{server.base}/investigations/{investigation.reference}"
        api = f"{server.base}/api/v1/investigations/{investigation.reference}"
        bearer = {"Authorization": f"Bearer {token}"}
        assert http.get(page, timeout=10).status_code == 200
        assert requests.get(api, headers=bearer, timeout=10).status_code == 200

        # An upload is on its way when PostgreSQL goes down.
        url = f"/investigations/{investigation.reference}/evidence/upload"
        boundary = "----custos-fault-database"
        head = multipart_head(server.csrf(http, url), boundary, "statement.txt")
        tail = f"\r\n--{boundary}--\r\n".encode()
        blob_dir = Path(pg_app.config["BLOB_DIR"])
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
            conn.sendall(
                (
                    f"POST {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                    f"Cookie: {server.cookie_header(http)}\r\nConnection: close\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {len(head) + 4 * MiB + len(tail)}\r\n\r\n"
                ).encode()
                + head
                + text_bytes(2 * MiB)
            )
            wait_until(
                lambda: any(blob_dir.glob("tmp/*.partial")), 30, "the upload to reach the store"
            )
            db.session.remove()  # this test's own session holds no connection through the crash
            cluster.crash()
            conn.sendall(text_bytes(2 * MiB) + tail)
            status, body = raw_response(conn)
        assert status == 503, body[-2000:]
        assert DATABASE_UNAVAILABLE in body

        # While it is down: the web, the API and the readiness probe all say so, clearly.
        down = http.get(page, timeout=10)
        assert down.status_code == 503, down.text[-2000:]
        assert down.headers["Content-Type"].startswith("text/html")
        assert DATABASE_UNAVAILABLE in down.text
        answer = requests.get(api, headers=bearer, timeout=10)
        assert answer.status_code == 503
        assert answer.json() == {"error": {"code": "unavailable", "message": DATABASE_UNAVAILABLE}}
        ready = requests.get(f"{server.base}/readyz", timeout=10)
        assert (ready.status_code, ready.json()) == (
            503,
            {"status": "unavailable", "failed": "database"},
        )

        cluster.start()
        # Recovery without restarting Custos: the same worker, the same browser session.
        assert requests.get(f"{server.base}/readyz", timeout=10).status_code == 200
        assert http.get(page, timeout=10).status_code == 200
        assert requests.get(api, headers=bearer, timeout=10).status_code == 200
        assert evidence_rows() == 0, "the interrupted upload must leave no row"
        assert stored_files(blob_dir) == [], "the interrupted upload must leave no blob"

        again = http.post(
            f"{server.base}{url}",
            data={"csrf_token": server.csrf(http, url)},
            files={"files": ("after.txt", text_bytes(64 * 1024), "text/plain")},
            allow_redirects=False,
            timeout=30,
        )
        assert again.status_code == 303, again.text[-2000:]
        assert evidence_rows() == 1
        assert "total: 0 object(s)" in collect_garbage(pg_app), "an orphan was left behind"
        custody_verifies(pg_app)
    finally:
        server.stop()
