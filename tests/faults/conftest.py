"""The fault suite's real processes: gunicorn with a killable worker, `flask worker`, helpers.

Every server listens on loopback in 5700-5719 (the suite's range); every process a test
starts is stopped by the fixture that started it, by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from flask import Flask
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import EvidenceItem
from tests.casefiles.conftest import built_case, frameworks, world  # noqa: F401 (fixtures)
from tests.helpers.live_gunicorn import Gunicorn as LiveGunicorn
from tests.helpers.live_gunicorn import shared_env, wait_until
from tests.vault.vault_support import isolated_vault

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(5700, 5720)
SECRET = "fault-suite-secret-key-0123456789abcdef"
# Fast fault detection for the suite (production: 10 s beats, 90 s stale, 60 s lease).
FAST_FAULTS = {
    "CUSTOS_JOB_HEARTBEAT_SECONDS": "1",
    "CUSTOS_JOB_STALE_SECONDS": "3",
    "CUSTOS_TUS_LEASE_SECONDS": "2",
}


def server_env(app: Flask, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Custos process sharing the test's database, keys and blobs."""
    return shared_env(app, database_url, SECRET, **{**FAST_FAULTS, **extra})


class Gunicorn(LiveGunicorn):
    """`gunicorn wsgi:app`, one gthread worker: the master respawns it when it is killed."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(
            env,
            log,
            PORTS,
            ["--workers", "1", "--threads", "4", "--timeout", "120", "--graceful-timeout", "2"],
            stop_signal=signal.SIGQUIT,  # quick shutdown: nothing to drain
        )


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
    from app.vault.upload.stream import begin_intake
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
