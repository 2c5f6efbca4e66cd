"""The opt-in Server-Timing header (benchmarks/bench_pages.py): durations only, off by default."""

from __future__ import annotations

import re

from config import DevelopmentConfig

TIMING = re.compile(r"^app;dur=\d+\.\d, cpu;dur=\d+\.\d$")


def test_no_server_timing_header_unless_asked_for(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "Server-Timing" not in response.headers


def test_the_header_carries_two_durations_and_nothing_else(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_TIMING", True)
    for path in ("/auth/login", "/healthz", "/investigations/INV-SECRET-REF-1"):
        response = client.get(path)
        assert TIMING.match(response.headers["Server-Timing"]), response.headers["Server-Timing"]


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CUSTOS_SERVER_TIMING", "1")
    assert DevelopmentConfig().SERVER_TIMING is True
    monkeypatch.delenv("CUSTOS_SERVER_TIMING")
    assert DevelopmentConfig().SERVER_TIMING is False
