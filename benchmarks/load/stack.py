"""The production-shaped stack on loopback, built for one load run and torn down after it.

A private PostgreSQL database (`custos_load_<hex>`, dropped afterwards), moto's S3 server, a
private RQ queue on the shared Redis, N gunicorn workers (gthread) and `flask worker` processes.
Every process started here is stopped by its own pid, even when the run fails.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class StackUnavailable(RuntimeError):
    """A service the stack needs (PostgreSQL, Redis, moto, gunicorn) cannot be reached."""


@dataclass
class StackSettings:
    web_port: int = 5800
    s3_port: int = 5801
    web_workers: int = 4
    web_threads: int = 8
    job_workers: int = 2
    blob_backend: str = "s3"  # or "local": the blob folder under the stack's instance folder
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL
    redis_url: str = DEFAULT_REDIS_URL


@dataclass
class Stack:
    settings: StackSettings
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    database: str = ""
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    logs: list = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def flask(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """`flask --app wsgi ARGS` against this stack, its output captured."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def python(self, module: str, *args: str, timeout: float = 900) -> str:
        """Run `python -m MODULE ARGS` with the stack's environment; its stdout on success."""
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return done.stdout


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _pg_connect(url: str):
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(plain, autocommit=True, connect_timeout=5)


def check_services(settings: StackSettings) -> None:
    """Raise StackUnavailable naming the first service (PostgreSQL, Redis) that is missing."""
    try:
        with _pg_connect(settings.pg_admin_url) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure means: not reachable)
        raise StackUnavailable(
            f"PostgreSQL at {settings.pg_admin_url} is unreachable ({type(exc).__name__})"
        ) from None
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=5).ping()
    except redis.RedisError as exc:
        raise StackUnavailable(
            f"Redis at {settings.redis_url} is unreachable ({type(exc).__name__})"
        ) from None
    for name in ("age", "ffmpeg", "ffprobe"):
        if shutil.which(name) is None:
            raise StackUnavailable(f"{name} is not installed (make system-deps)")


def _wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackUnavailable(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise StackUnavailable(f"{what} did not listen on port {port} within {seconds:.0f} s")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers do: connections of an earlier run in TIME_WAIT do not block a listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class StackBuilder:
    """Builds the stack step by step; `close()` undoes whatever was built, in reverse."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.stack = Stack(settings, Path(tempfile.mkdtemp(prefix="custos-load-")))

    def start(self, process_name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.stack.workdir / f"{process_name}.log", "ab")  # noqa: SIM115 (closed in close())
        self.stack.logs.append(log)
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.stack.env, stdout=log, stderr=log, start_new_session=True
        )
        self.stack.processes.append((process_name, process))
        return process

    def build(self) -> Stack:
        check_services(self.settings)
        ports = [self.settings.web_port]
        if self.settings.blob_backend == "s3":
            ports.append(self.settings.s3_port)
        for port in ports:
            if not _port_free(port):
                raise StackUnavailable(f"port {port} is taken; choose other ports")
        stack = self.stack
        token = secrets.token_hex(6)
        stack.database = f"custos_load_{token}"
        with _pg_connect(self.settings.pg_admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{stack.database}"')
        instance = stack.workdir / "instance"
        instance.mkdir()
        s3 = f"http://127.0.0.1:{self.settings.s3_port}"
        stack.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CUSTOS_", "AWS_"))},
            "PYTHONPATH": str(ROOT),
            # Development mode: production refuses a Redis without a password and plain-HTTP
            # cookies, and this stack has neither TLS nor a private Redis. Every service is
            # the production one.
            "CUSTOS_ENV": "development",
            "CUSTOS_INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "CUSTOS_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DATABASE_URL": _with_database(self.settings.pg_admin_url, stack.database),
            "CUSTOS_BLOB_BACKEND": self.settings.blob_backend,
            "CUSTOS_JOB_BACKEND": "rq",
            "REDIS_URL": self.settings.redis_url,
            "CUSTOS_JOB_QUEUE": f"custos-load-{token}",
            "RATELIMIT_STORAGE_URI": self.settings.redis_url,
            # 70 people sign in from one loopback address within a minute.
            "CUSTOS_LOGIN_RATE_LIMIT": "100000 per minute",
            "CUSTOS_LOG_LEVEL": "WARNING",
        }
        if self.settings.blob_backend == "s3":
            stack.env.update(
                {
                    "CUSTOS_S3_BUCKET": f"custos-load-{token}",
                    "CUSTOS_S3_ENDPOINT_URL": s3,
                    "CUSTOS_S3_PREFIX": "custos/",
                    "AWS_ACCESS_KEY_ID": "load-test",
                    "AWS_SECRET_ACCESS_KEY": "load-test",  # moto accepts any credentials
                    "AWS_DEFAULT_REGION": "us-east-1",
                }
            )
            self._start_moto(s3, stack.env["CUSTOS_S3_BUCKET"])
        return stack

    def _start_moto(self, endpoint: str, bucket: str) -> None:
        moto = self.start(
            "moto",
            [
                sys.executable,
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                str(self.settings.s3_port),
            ],
        )
        _wait_for_port(self.settings.s3_port, moto, "moto_server")
        self._make_bucket(endpoint, bucket)

    def _make_bucket(self, endpoint: str, bucket: str) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="load-test",
            aws_secret_access_key="load-test",  # noqa: S106 (moto accepts any credentials)
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=bucket)

    def start_servers(self) -> None:
        """gunicorn (gthread workers) and the RQ workers; the world must exist first."""
        s = self.settings
        web = self.start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "wsgi:app", "-k", "gthread"]
            + ["-w", str(s.web_workers), "--threads", str(s.web_threads)]
            + ["--timeout", "120", "--graceful-timeout", "30"]
            # Longer than a lawyer's pause (1-3 s): with gunicorn's default of 2 s, the server
            # closes an idle connection just as the client reuses it, and the request fails
            # before reaching the app (browsers retry those; requests does not).
            + ["--keep-alive", "5"]
            + ["-b", f"127.0.0.1:{s.web_port}", "--chdir", str(ROOT), "--no-control-socket"],
        )
        _wait_for_port(s.web_port, web, "gunicorn")
        for number in range(1, s.job_workers + 1):
            self.start(
                f"worker-{number}", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
            )
        time.sleep(1)
        for name, process in self.stack.processes:
            if process.poll() is not None:
                raise StackUnavailable(f"{name} exited with status {process.returncode}")

    def close(self) -> None:
        """Stop every process this builder started (by pid), drop the database, remove files."""
        for _name, process in reversed(self.stack.processes):
            _stop(process)
        for log in self.stack.logs:
            log.close()
        if self.stack.database:
            try:
                with _pg_connect(self.settings.pg_admin_url) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.stack.database}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 (reported, teardown goes on)
                print(f"warning: could not drop {self.stack.database}: {exc}", file=sys.stderr)
        self._drop_queue()
        if os.environ.get("CUSTOS_LOAD_KEEP_FILES") != "1":
            shutil.rmtree(self.stack.workdir, ignore_errors=True)

    def _drop_queue(self) -> None:
        queue = self.stack.env.get("CUSTOS_JOB_QUEUE")
        if not queue:
            return
        try:
            import redis

            conn = redis.Redis.from_url(self.settings.redis_url, socket_timeout=5)
            keys = list(conn.scan_iter(match=f"rq:*{queue}*", count=1000))
            if keys:
                conn.delete(*keys)
        except Exception as exc:  # noqa: BLE001 (reported, teardown goes on)
            print(f"warning: could not remove the RQ queue {queue}: {exc}", file=sys.stderr)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        # Each process leads its own session: its children (gunicorn workers, RQ horses)
        # get the signal too, and nothing outside it does.
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
