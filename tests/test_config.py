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
