"""A real Custos server for the browser tests: gunicorn in a subprocess, its own fresh database.

API (used by tests/e2e/conftest.py; other suites may call it too):

- `fresh_database(tmp_dir)`: context manager yielding a database URL of the session's backend
  (`CUSTOS_TEST_DB`): a new SQLite file under `tmp_dir`, or a new private PostgreSQL schema
  (dropped on exit) in `TEST_DATABASE_URL`.
- `start_live_server(database_url, instance)`: applies the migrations, creates the keys, loads
  the demo (`flask --app wsgi demo load`) and starts gunicorn on a free port of 5200-5219.
  Returns a `LiveServer`: `.url` (no trailing slash), `.accounts` (the demo's printed
  `Account`s), `.account(role, index=0)`, `.log()` (the server's stderr so far), `.stop()`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, backend, require_postgres

PORTS = range(5200, 5220)
VENV_BIN = Path(sys.executable).parent
DEMO_REFERENCE = "DEMO-SYR-2015"


@dataclass(frozen=True)
class Account:
    """One demo account as `demo load` printed it (totp_secret None without a second factor)."""

    email: str
    role: str
    password: str
    totp_secret: str | None


@dataclass
class LiveServer:
    """A running gunicorn serving Custos on `url`, with the demo's accounts."""

    url: str
    accounts: list[Account]
    instance: Path
    env: dict[str, str]
    process: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    def account(self, role: str, index: int = 0) -> Account:
        """The `index`-th demo account with this role, in the order `demo load` printed them."""
        matching = [a for a in self.accounts if a.role == role]
        assert len(matching) > index, f"the demo has no {role} account number {index}"
        return matching[index]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ARGS` against this server's database and instance; stdout."""
        return _flask(self.env, *args)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextlib.contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """A database URL for a brand-new database of the session's backend."""
    if backend() != "postgresql":
        yield f"sqlite:///{tmp_dir / 'custos-e2e.db'}"
        return
    url = require_postgres()
    schema = f"custos_e2e_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _flask_process(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen, what: str) -> str:
    """Wait for a `flask` subprocess; its stdout, or the test fails with its stderr."""
    try:
        out, err = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    if process.returncode != 0:
        pytest.fail(f"flask {what} failed ({process.returncode}):\n{err}")
    return out


def _flask(env: dict[str, str], *args: str) -> str:
    return _finish(_flask_process(env, *args), " ".join(args))


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1} for the e2e server")


def parse_accounts(output: str) -> list[Account]:
    """The EMAIL<TAB>ROLE<TAB>PASSWORD<TAB>TOTP_SECRET lines `demo load` prints."""
    accounts = []
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and "@" in parts[0]:
            email, role, password, secret = parts
            accounts.append(Account(email, role, password, None if secret == "-" else secret))
    assert accounts, f"demo load printed no accounts:\n{output}"
    return accounts


def server_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTOS_", "FLASK_"))}
    env.update(
        CUSTOS_ENV="development",
        CUSTOS_INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        CUSTOS_MASTER_KEY=secrets.token_urlsafe(32),
        CUSTOS_LOGIN_RATE_LIMIT="1000 per minute",
        CUSTOS_ARGON2_TIME_COST="1",
        CUSTOS_ARGON2_MEMORY_KIB="8192",
        CUSTOS_ARGON2_PARALLELISM="1",
        CUSTOS_JOB_BACKEND="thread",
        RATELIMIT_STORAGE_URI="memory://",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DATABASE_URL_TEST", None)
    return env


def start_live_server(database_url: str, instance: Path) -> LiveServer:
    """Migrate, initialise keys, load the demo, then serve with gunicorn until `.stop()`."""
    instance.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url, instance)
    # On a busy machine each `flask` start costs seconds of imports: run what can overlap
    # together (the keys need no database; the server may start before the demo is in).
    keys = _flask_process(env, "keys", "init")
    _flask(env, "db", "upgrade")
    _finish(keys, "keys init")
    demo = _flask_process(env, "demo", "load")
    port = _free_port()
    log_path = instance / "gunicorn.log"
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [
            str(VENV_BIN / "gunicorn"),
            "--workers=1",
            "--threads=8",
            "--worker-class=gthread",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            "--graceful-timeout=5",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        accounts = parse_accounts(_finish(demo, "demo load"))
    except BaseException:
        process.terminate()
        process.wait(timeout=15)
        raise
    server = LiveServer(f"http://127.0.0.1:{port}", accounts, instance, env, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{server.log()}")
