"""A private Redis for the tests that need one: its own port, password and temp folder.

`make test` must pass on a machine where nothing listens on Redis's port, so the suite starts
Debian's `redis-server` itself (installed by `make system-deps`), as the fault suite starts its
own PostgreSQL. `CUSTOS_TEST_REDIS_URL` points the suite at an existing server instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


class RedisUnavailable(RuntimeError):
    """No Redis could be reached or started; the message says what to install or fix."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ping(url: str) -> None:
    Redis.from_url(url, socket_timeout=2).ping()


@contextmanager
def private_redis() -> Iterator[str]:
    """Start redis-server on a free loopback port with a random password; yield its URL."""
    configured = os.environ.get("CUSTOS_TEST_REDIS_URL")
    if configured:
        try:
            _ping(configured)
        except RedisError as exc:
            raise RedisUnavailable(
                f"CUSTOS_TEST_REDIS_URL is set but unreachable ({type(exc).__name__})"
            ) from exc
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(
            "redis-server is not installed: `make system-deps` installs Debian's redis-server"
        )
    password = secrets.token_urlsafe(24)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="custos-redis-") as folder:
        # The password goes in through stdin as a config file, never on a command line that
        # `ps` shows to every local user.
        config = (
            f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave ''\nappendonly no\n"
            f"dir {folder}\nlogfile {Path(folder) / 'redis.log'}\n"
        )
        server = subprocess.Popen(  # nosec B603: a fixed binary found on PATH, no shell
            [binary, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        server.stdin.write(config.encode())
        server.stdin.close()
        url = f"redis://:{password}@127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    _ping(url)
                    break
                except RedisError as exc:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RedisUnavailable(
                            f"the private redis-server did not start ({type(exc).__name__})"
                        ) from exc
                    time.sleep(0.05)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
