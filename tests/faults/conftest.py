"""The fault suite's real processes: gunicorn with a killable worker, `flask worker`, helpers.

Every server listens on loopback in 5700-5719 (the suite's range); every process a test
starts is stopped by the fixture that started it, by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import EvidenceItem
from tests.casefiles.conftest import built_case, frameworks, world  # noqa: F401 (fixtures)
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import CSRF_RE, next_totp_code
from tests.vault.vault_support import isolated_vault

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(5700, 5720)
SECRET = "fault-suite-secret-key-0123456789abcdef"


def free_port() -> int:
    """The first port of the suite's range that nothing listens on."""
    for port in PORTS:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1} for the fault suite")


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    """Poll `check()` until it returns something truthy; fail the test naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def server_env(app: Flask, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Custos process sharing the test's database, keys and blobs."""
    env = {
        **os.environ,
        "CUSTOS_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "CUSTOS_INSTANCE_PATH": str(app.instance_path),
        "CUSTOS_MASTER_KEY_FILE": str(app.config["CUSTOS_MASTER_KEY_FILE"]),
        "CUSTOS_KEYS_DIR": str(app.config["CUSTOS_KEYS_DIR"]),
        "CUSTOS_BLOB_DIR": str(app.config["BLOB_DIR"]),
        "CUSTOS_EXPORT_DIR": str(app.config["CUSTOS_EXPORT_DIR"]),
        "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
        # Fast fault detection for the suite (production: 10 s beats, 90 s stale, 60 s lease).
        "CUSTOS_JOB_HEARTBEAT_SECONDS": "1",
        "CUSTOS_JOB_STALE_SECONDS": "3",
        "CUSTOS_TUS_LEASE_SECONDS": "2",
    }
    env.pop("CUSTOS_MASTER_KEY", None)
    env.update(extra)
    return env


class Gunicorn:
    """`gunicorn wsgi:app`, one gthread worker: the master respawns it when it is killed."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4"]
            + ["--timeout", "120", "--graceful-timeout", "2"]
            + ["--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def worker_pid(self) -> int | None:
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return None
        return children[0].pid if children else None

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.worker_pid() and self.answers():
                return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn did not start: {self.log_path.read_text()[-3000:]}")

    def kill_worker(self) -> int:
        """kill -9 the worker; wait until the master has started a new one that answers."""
        old = self.worker_pid()
        assert old is not None, "gunicorn has no worker"
        os.kill(old, signal.SIGKILL)
        wait_until(
            lambda: self.worker_pid() not in (None, old) and self.answers(),
            60,
            "gunicorn's master to respawn the killed worker",
            interval=0.1,
        )
        assert self.process.poll() is None, "the master died with its worker"
        return old

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # quick shutdown: nothing to drain
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    # --- a browser's session ---

    def csrf(self, http: requests.Session, url: str) -> str:
        page = http.get(f"{self.base}{url}", timeout=10).text
        return next(g for g in CSRF_RE.search(page).groups() if g)

    def session(self, user) -> requests.Session:
        """Signed in as `user` (password, then the TOTP code when the account has one)."""
        http = requests.Session()
        response = http.post(
            f"{self.base}/auth/login",
            data={
                "csrf_token": self.csrf(http, "/auth/login"),
                "email": user.email,
                "password": DEFAULT_PASSWORD,
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[-500:]
        if "/auth/2fa" in response.headers["Location"]:
            db.session.refresh(user)
            response = http.post(
                f"{self.base}/auth/2fa",
                data={"csrf_token": self.csrf(http, "/auth/2fa"), "code": next_totp_code(user)},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302, response.text[-500:]
        return http

    def cookie_header(self, http: requests.Session) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


class RqWorker:
    """`flask --app wsgi worker` in a process of its own (it forks a work horse per job)."""

    def __init__(self, env: dict[str, str], log: Path, burst: bool = False) -> None:
        self.log = open(log, "ab")  # noqa: SIM115 (closed in stop)
        self.log_path = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
            + (["--burst"] if burst else []),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def horse_pids(self) -> list[int]:
        try:
            return [p.pid for p in psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill_with_its_horse(self) -> None:
        """kill -9 the worker and its horse, as when their machine goes down.

        RQ starts each horse in a process group of its own, so killing the worker alone
        would leave the horse to finish the job; a lost machine takes both.
        """
        horses = self.horse_pids()
        assert horses, "the worker has no horse: the job is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        for pid in horses:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in horses:
            wait_until(lambda pid=pid: not psutil.pid_exists(pid), 10, f"horse {pid} to die")

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()


# --- fixtures and checks shared by the suite ---------------------------------------------------


@pytest.fixture
def vault(app, tmp_path, monkeypatch) -> Iterator[Path]:
    """Fresh keys, blob folder and export folder for this test (and its server processes)."""
    monkeypatch.setitem(app.config, "CUSTOS_EXPORT_DIR", tmp_path / "exports")
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


def evidence_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def ledger_actions(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.action == action)
    )


def custody_verifies(app: Flask) -> str:
    """`flask custody verify` over every investigation; its output, asserting exit status 0."""
    result = app.test_cli_runner().invoke(args=["custody", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


def collect_garbage(app: Flask) -> str:
    """`flask blobs gc --older-than 0` (orphans of any age: the test's are seconds old)."""
    result = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def long_case(vault, request):
    """The case files' realistic small case plus an 8 MiB document: an export takes seconds."""
    from app.casefiles.services import casefiles
    from app.vault.intake import begin_intake
    from tests.vault.vault_support import text_bytes

    case = request.getfixturevalue("built_case")
    writer = begin_intake(case.investigation, case.field, "long-statement.txt", None, None)
    block = text_bytes(1024 * 1024)
    for _ in range(8):
        writer.write(block)
    document = writer.finish()
    casefiles.add_item(case.casefile, case.investigation, case.author, "evidence", document.id)
    db.session.commit()
    return case


def export_leftovers(export_dir: Path) -> list[str]:
    """What an export run leaves in the export folder besides finished outputs."""
    if not export_dir.exists():
        return []
    return sorted(p.name for p in export_dir.iterdir() if not p.name.endswith(".tar.age"))
