"""Production refuses unsafe settings with a clear message; development never hard-codes a key."""

from __future__ import annotations

import pytest

from config import ConfigurationError, DevelopmentConfig, ProductionConfig

pytestmark = pytest.mark.nodb


def test_production_refuses_missing_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        ProductionConfig().validate()


def test_production_refuses_short_or_default_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(ConfigurationError, match="too short"):
        ProductionConfig().validate()


def test_production_refuses_cookies_that_are_not_https_only(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 20 + "a-long-random-secret-value")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    with pytest.raises(ConfigurationError, match="HTTPS-only"):
        ProductionConfig().validate()


def test_production_accepts_a_strong_key_with_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = ProductionConfig()
    config.validate()
    assert config.SESSION_COOKIE_SECURE and config.HSTS


def test_development_generates_a_random_key_per_installation(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CUSTOS_INSTANCE_PATH", str(tmp_path / "a"))
    first = DevelopmentConfig().SECRET_KEY
    assert DevelopmentConfig().SECRET_KEY == first  # stable across restarts
    monkeypatch.setenv("CUSTOS_INSTANCE_PATH", str(tmp_path / "b"))
    assert DevelopmentConfig().SECRET_KEY != first  # but not shared between installations
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_selects_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/custos")
    assert DevelopmentConfig().SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/custos"


def test_create_app_refuses_unsafe_production_config(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("CUSTOS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError):
        create_app(ProductionConfig())


def test_export_retention_is_seven_days_unless_set_and_never_below_one(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CUSTOS_EXPORT_RETENTION_DAYS", raising=False)
    assert DevelopmentConfig().CUSTOS_EXPORT_RETENTION_DAYS == 7
    monkeypatch.setenv("CUSTOS_EXPORT_RETENTION_DAYS", "30")
    assert DevelopmentConfig().CUSTOS_EXPORT_RETENTION_DAYS == 30
    monkeypatch.setenv("CUSTOS_EXPORT_RETENTION_DAYS", "0")
    with pytest.raises(ConfigurationError, match="at least 1"):
        DevelopmentConfig()


def test_s3_read_ahead_is_eight_mib_unless_set_and_reaches_the_store(monkeypatch, tmp_path):
    from app.vault.storage import make_blob_store

    monkeypatch.setenv("CUSTOS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("CUSTOS_S3_READ_AHEAD_BYTES", raising=False)
    assert DevelopmentConfig().CUSTOS_S3_READ_AHEAD_BYTES == 8 * 1024 * 1024
    monkeypatch.setenv("CUSTOS_S3_READ_AHEAD_BYTES", "1048576")
    config = DevelopmentConfig()
    settings = {"CUSTOS_BLOB_BACKEND": "s3", "CUSTOS_S3_BUCKET": "evidence"}
    settings["CUSTOS_S3_READ_AHEAD_BYTES"] = config.CUSTOS_S3_READ_AHEAD_BYTES
    assert make_blob_store(settings).read_ahead == 1024 * 1024
    for value in ("1000", str(512 * 1024 * 1024)):
        monkeypatch.setenv("CUSTOS_S3_READ_AHEAD_BYTES", value)
        with pytest.raises(ConfigurationError, match="CUSTOS_S3_READ_AHEAD_BYTES"):
            DevelopmentConfig().validate_vault()


def production_env(monkeypatch, workers: str | None, storage: str | None) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in (("CUSTOS_WEB_WORKERS", workers), ("RATELIMIT_STORAGE_URI", storage)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_production_refuses_per_process_rate_limits_with_several_workers(monkeypatch):
    # Each worker would count on its own: a limit of 10 a minute becomes 10 per worker.
    production_env(monkeypatch, workers="4", storage=None)
    with pytest.raises(ConfigurationError, match=r"RATELIMIT_STORAGE_URI.*memory://.*4 workers"):
        ProductionConfig().validate()


@pytest.mark.parametrize(
    "workers,storage",
    [(None, None), ("1", "memory://"), ("4", "redis://:pw@127.0.0.1:6379/1")],
)
def test_production_accepts_shared_storage_or_a_single_worker(monkeypatch, workers, storage):
    production_env(monkeypatch, workers=workers, storage=storage)
    ProductionConfig().validate()


def test_gunicorn_with_several_workers_and_memory_storage_stops_with_a_clear_message(tmp_path):
    """The real server: gunicorn.conf.py passes --workers on, and production will not start."""
    import os
    import subprocess
    import sys

    from config import BASE_DIR

    env = {
        **os.environ,
        "CUSTOS_ENV": "production",
        "SECRET_KEY": "k" * 48,
        "CUSTOS_INSTANCE_PATH": str(tmp_path),
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    env.pop("CUSTOS_WEB_WORKERS", None)
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "RATELIMIT_STORAGE_URI is memory:// while 3 workers" in result.stderr
    assert "Booting worker" not in result.stderr


PRODUCTION_DB_HOST = "postgresql://custos:pw@db.internal/custos"


@pytest.mark.parametrize(
    "url",
    [
        PRODUCTION_DB_HOST,
        f"{PRODUCTION_DB_HOST}?sslmode=prefer",
        f"{PRODUCTION_DB_HOST}?sslmode=require",
    ],
)
def test_production_refuses_a_postgresql_connection_that_does_not_verify_the_server(
    monkeypatch, url
):
    """libpq's default (prefer) may fall back to plain text and never checks a certificate."""
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PGSSLMODE", raising=False)
    with pytest.raises(ConfigurationError, match="sslmode=verify-full"):
        ProductionConfig().validate()


@pytest.mark.parametrize(
    "url",
    [
        f"{PRODUCTION_DB_HOST}?sslmode=verify-full",
        "postgresql://custos@/custos?host=/var/run/postgresql",  # a Unix socket: no network
    ],
)
def test_production_accepts_a_verified_or_local_socket_postgresql_connection(monkeypatch, url):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PGSSLMODE", raising=False)
    ProductionConfig().validate()


def test_verify_full_really_refuses_a_server_that_cannot_prove_itself():
    """Against the real test server (no certificate we trust), verify-full will not connect."""
    import os

    import psycopg

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, connect_timeout=5):
        pass  # the default sslmode connects, whatever the server offers
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(plain, sslmode="verify-full", connect_timeout=5)
