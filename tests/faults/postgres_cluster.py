"""A private PostgreSQL cluster for the fault suite: initdb, start, crash (-m immediate), restart.

The machine's shared PostgreSQL (5432) serves every other test, so it is never stopped; this
cluster lives in a temp folder, on a port of 5730-5739, and is removed afterwards. initdb
refuses to run as root, so as root every command runs as the `postgres` account.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers.live_gunicorn import free_port

PG_BIN = Path(os.environ.get("CUSTOS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(5730, 5740)


def _require_binaries() -> None:
    missing = [name for name in ("initdb", "pg_ctl") if not (PG_BIN / name).is_file()]
    if missing:
        message = (
            f"PostgreSQL server binaries missing in {PG_BIN} ({', '.join(missing)}): install "
            "postgresql-15 (Debian) or set CUSTOS_PG_BIN"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class PrivateCluster:
    def __init__(self) -> None:
        _require_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="custos-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port(PORTS, "a private PostgreSQL")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE custos"))
        admin.dispose()

    def url(self, database: str = "custos") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            pytest.fail(f"{tool} failed: {result.stderr[-2000:]}\n{log}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash does: open connections are cut, nothing is flushed."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.crash()
        shutil.rmtree(self.root, ignore_errors=True)
