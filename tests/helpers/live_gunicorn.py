"""A real gunicorn serving Custos on loopback for a test: environment, start, wait, stop, kill."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
import requests
from flask import Flask

from app.extensions import db
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import CSRF_RE, next_totp_code

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
T = TypeVar("T")


def this_pass_share(ports: range) -> range:
    """The half of a suite's port range that this pass of `make test` may use.

    `make test` runs its SQLite and PostgreSQL passes at the same time: the SQLite pass takes
    the lower half of every range, the PostgreSQL pass the upper half, so two servers of the
    two passes never pick the same free port in the instant before either listens on it.
    """
    middle = ports.start + len(ports) // 2
    if os.environ.get("CUSTOS_TEST_DB", "sqlite") == "postgresql":
        return range(middle, ports.stop)
    return range(ports.start, middle)


def free_port(ports: range | None, who: str = "the test") -> int:
    """The first port of this pass's share of `ports` nothing listens on (any when None)."""
    if ports is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    ports = this_pass_share(ports)
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {ports.start}-{ports.stop - 1} for {who}")


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll `check()` until it returns something truthy; fail the test naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def shared_env(app: Flask, database_url: str, secret: str, **extra: str) -> dict[str, str]:
    """The environment of a Custos process sharing the test app's database, keys and blobs."""
    env = {
        **os.environ,
        "CUSTOS_ENV": "testing",
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "CUSTOS_INSTANCE_PATH": str(app.instance_path),
        "CUSTOS_MASTER_KEY_FILE": str(app.config["CUSTOS_MASTER_KEY_FILE"]),
        "CUSTOS_KEYS_DIR": str(app.config["CUSTOS_KEYS_DIR"]),
        "CUSTOS_BLOB_DIR": str(app.config["BLOB_DIR"]),
        "CUSTOS_EXPORT_DIR": str(app.config["CUSTOS_EXPORT_DIR"]),
        "CUSTOS_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    env.pop("CUSTOS_MASTER_KEY", None)
    env.update(extra)
    return env


class Gunicorn:
    """`gunicorn wsgi:app` with `options` on a free port of `ports`; its output goes to `log`.

    Waits until it answers /healthz unless `wait=False` (then call `wait_ready()`); stopped by
    `stop()` with `stop_signal` (SIGTERM drains, SIGQUIT does not), or `kill()` with SIGKILL.
    """

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        ports: range | None,
        options: Sequence[str] = ("--workers", "1"),
        stop_signal: int = signal.SIGTERM,
        wait: bool = True,
    ) -> None:
        self.port = free_port(ports, "gunicorn")
        self.base = f"http://127.0.0.1:{self.port}"
        self.stop_signal = stop_signal
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", *options, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_ready()

    def output(self, tail: int = 3000) -> str:
        """The end of what gunicorn and the app wrote (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")[-tail:]

    def worker_pid(self) -> int | None:
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return None
        return children[0].pid if children else None

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading the app
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        """Until a worker answers /healthz; else stop it and fail the test with its output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.worker_pid() and self.answers():
                return
            time.sleep(0.1)
        code = self.process.poll()
        self.stop()
        state = f"exited ({code})" if code is not None else f"did not answer in {timeout:.0f} s"
        pytest.fail(f"gunicorn {state}:\n{self.output()}")

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

    def kill(self) -> None:
        """kill -9 the master and its workers at once, as when the machine goes down."""
        worker = self.worker_pid()
        self.process.kill()
        if worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)
        self.process.wait(timeout=10)
        if worker is not None:
            wait_until(lambda: not psutil.pid_exists(worker), 10, f"worker {worker} to die")

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()

    # --- a browser's session ---

    def csrf(self, http: requests.Session, url: str) -> str:
        page = http.get(f"{self.base}{url}", timeout=10).text
        return next(g for g in CSRF_RE.search(page).groups() if g)

    def session(self, user) -> requests.Session:
        """Signed in as `user` through the real forms (password, then TOTP if it has one)."""
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

    @staticmethod
    def cookie_header(http: requests.Session) -> str:
        return cookie_header(http)


def cookie_header(http: requests.Session) -> str:
    """The session's cookies as a Cookie header, for a request sent on a raw socket."""
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)
