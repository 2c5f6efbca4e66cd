"""/healthz and /readyz: public JSON probes; readiness names the dependency that failed."""

from __future__ import annotations

import secrets

import pytest

from tests.vault.vault_support import moto_endpoint


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database_and_the_blob_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "blob_store": "ok", "custody": "ok"}


@pytest.fixture
def broken_blob_dir(app, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")  # the blob folder's parent is a file: nothing can be created
    monkeypatch.setitem(app.config, "BLOB_DIR", blocked / "blobs")
    app.extensions.pop("custos.blob_store", None)
    yield
    app.extensions.pop("custos.blob_store", None)


def test_readyz_is_503_naming_the_blob_store_when_it_cannot_take_writes(client, broken_blob_dir):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": "blob_store"}
    assert "not-a-folder" not in response.get_data(as_text=True)


def test_readyz_is_503_when_the_bucket_is_missing(app, client, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setitem(app.config, "CUSTOS_BLOB_BACKEND", "s3")
    monkeypatch.setitem(app.config, "CUSTOS_S3_ENDPOINT_URL", moto_endpoint())
    monkeypatch.setitem(app.config, "CUSTOS_S3_BUCKET", f"missing-{secrets.token_hex(4)}")
    app.extensions.pop("custos.blob_store", None)
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("custos.blob_store", None)
    assert (response.status_code, response.get_json()["failed"]) == (503, "blob_store")
