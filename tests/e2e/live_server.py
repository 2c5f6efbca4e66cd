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
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.instance import fresh_database as instance_database
from tests.helpers.live_gunicorn import Gunicorn

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
    gunicorn: Gunicorn
    extra: dict = field(default_factory=dict)

    def account(self, role: str, index: int = 0) -> Account:
        """The `index`-th demo account with this role, in the order `demo load` printed them."""
        matching = [a for a in self.accounts if a.role == role]
        assert len(matching) > index, f"the demo has no {role} account number {index}"
        return matching[index]

    def log(self) -> str:
        return self.gunicorn.log_path.read_text(errors="replace")

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ARGS` against this server's database and instance; stdout."""
        return _flask(self.env, *args)

    def stop(self) -> None:
        self.gunicorn.stop(timeout=15)


@contextlib.contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """A database URL for a brand-new database of the session's backend."""
    with instance_database(tmp_dir / "custos-e2e.db", "custos_e2e") as url:
        yield url


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
    gunicorn = Gunicorn(
        env,
        instance / "gunicorn.log",
        PORTS,
        ["--workers=1", "--threads=8", "--worker-class=gthread"]
        + ["--timeout=120", "--graceful-timeout=5"],
        wait=False,
    )
    try:
        accounts = parse_accounts(_finish(demo, "demo load"))
    except BaseException:
        gunicorn.stop(timeout=15)
        raise
    gunicorn.wait_ready(60)
    return LiveServer(gunicorn.base, accounts, instance, env, gunicorn)
