"""Request ids on every response and JSON log lines that carry route patterns, not paths."""

from __future__ import annotations

import json
import logging

from app.request_logging import JsonFormatter


def test_every_response_carries_a_request_id(client):
    response = client.get("/auth/login")
    assert len(response.headers["X-Request-ID"]) == 32


def test_a_safe_client_request_id_is_kept_and_a_hostile_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert kept.headers["X-Request-ID"] == "abc12345-trace"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert replaced.headers["X-Request-ID"] != "bad id; <script>"


def test_access_log_names_the_route_pattern_not_the_path(app, client, caplog):
    caplog.set_level(logging.INFO, logger="custos.access")
    client.get("/investigations/INV-SECRET-REF-1")
    records = [r for r in caplog.records if r.name == "custos.access"]
    assert records and all("INV-SECRET" not in getattr(r, "path", "") for r in records)
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["message"] == "request" and line["status"] in (302, 404)
    assert "INV-SECRET" not in json.dumps(line)
