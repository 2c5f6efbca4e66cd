"""Retention fixtures: one investigation with two lawyers (asker and approver), a field worker,
an isolated vault (local, or S3 on moto), and evidence items with a real blob and derivative."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from app.extensions import db
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.vault.models import Derivative, DerivativeKind, EvidenceItem
from app.vault.storage import blob_store, write_encrypted
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.vault_support import isolated_vault, text_bytes


@dataclass
class RetentionWorld:
    investigation: Any
    asker: Any  # a lawyer member
    approver: Any  # another lawyer member
    field: Any  # a field member

    def viewer(self, user) -> InvestigationViewer:
        return viewer_of(self.investigation, user)

    def url(self, path: str) -> str:
        return f"/investigations/{self.investigation.reference}/retention{path}"


@pytest.fixture(params=["local"])
def store_backend(request) -> str:
    return request.param


@pytest.fixture
def world(app, app_ctx, tmp_path, monkeypatch, store_backend) -> RetentionWorld:
    with isolated_vault(app, tmp_path, monkeypatch, backend=store_backend):
        investigation = InvestigationFactory()
        asker = UserFactory(role="lawyer")
        approver = UserFactory(role="lawyer")
        field = UserFactory(role="field")
        for user in (asker, approver, field):
            MembershipFactory(user=user, investigation=investigation)
        yield RetentionWorld(investigation, asker, approver, field)


@pytest.fixture
def locked_bucket(app, world, monkeypatch) -> str:
    """A fresh S3 (moto) bucket created with Object Lock, and Custos mirroring holds onto it."""
    bucket = f"custos-lock-{secrets.token_hex(4)}"
    blob_store().client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    monkeypatch.setitem(app.config, "CUSTOS_S3_BUCKET", bucket)
    monkeypatch.setitem(app.config, "CUSTOS_S3_OBJECT_LOCK", True)
    app.extensions.pop("custos.blob_store", None)
    return bucket


def stored_item(world: RetentionWorld, size: int = 4000) -> EvidenceItem:
    """An evidence item through the real intake, with a thumbnail derivative in the store."""
    writer = begin_intake(world.investigation, world.field, "statement.txt", None, None)
    writer.write(text_bytes(size))
    item = writer.finish()
    thumb = write_encrypted([b"a small derivative"])
    db.session.add(
        Derivative(
            evidence_id=item.id,
            investigation_id=item.investigation_id,
            kind=DerivativeKind.THUMBNAIL.value,
            media_type="image/jpeg",
            size=thumb.size,
            sha256=thumb.sha256,
            blob_key=thumb.key,
        )
    )
    db.session.commit()
    return item
