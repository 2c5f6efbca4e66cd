"""An intake-only node (public keys only): uploads work, every read is refused with a clear 503."""

from __future__ import annotations

import base64
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.security import org_keys
from app.vault.models import EvidenceItem
from app.vault.storage import open_plaintext
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token
from tests.vault.vault_support import (
    copy_public_keys,
    decrypt_with_age_cli,
    isolated_vault,
    pin_current_recipient,
    raw_blob,
    text_bytes,
)

MESSAGE = "this server is an intake-only node and cannot read evidence"


@pytest.fixture
def node(app, app_ctx, tmp_path, monkeypatch):
    """Switch the app to intake-only with a key folder holding nothing but the public files."""
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        full_identities = org_keys.org_identities()
        public_only = copy_public_keys(keys, tmp_path / "public-only")
        pin_current_recipient(app, monkeypatch)
        monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public_only)
        monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)
        yield full_identities


@pytest.fixture
def world(node):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


def test_uploads_work_and_only_the_reading_node_can_decrypt_them(node, world, signed_in, tmp_path):
    investigation, user = world
    client = signed_in(user)
    url = f"/investigations/{investigation.reference}/evidence/upload"
    data = text_bytes(90_000)
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "files": [(io.BytesIO(data), "a.txt")]},
        content_type="multipart/form-data",
    )
    # The receipt is answered at once (200): this node cannot show the file later.
    assert response.status_code == 200
    assert f"Receipt: {len(data)} bytes" in response.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.scalars(select(EvidenceItem)).one()
    assert decrypt_with_age_cli(raw_blob(item.blob_key), node, tmp_path) == data


def test_resumable_uploads_work_too(node, world, signed_in):
    investigation, user = world
    client = signed_in(user)
    token = csrf_token(client, "/investigations/")
    data = text_bytes(5000)
    created = client.post(
        f"/investigations/{investigation.reference}/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": token,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename " + base64.b64encode(b"b.txt").decode(),
        },
    )
    assert created.status_code == 201
    patched = client.patch(
        created.headers["Location"],
        data=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": token,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert patched.status_code == 204
    db.session.expire_all()
    assert db.session.scalars(select(EvidenceItem)).one().size == len(data)


def test_reading_is_refused_with_a_clear_message(node, world, signed_in):
    investigation, user = world
    client = signed_in(user)
    url = f"/investigations/{investigation.reference}/evidence/upload"
    client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "files": [(io.BytesIO(b"hello\n"), "a.txt")]},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    item = db.session.scalars(select(EvidenceItem)).one()
    with pytest.raises(org_keys.ReadsDisabled, match=MESSAGE):
        open_plaintext(item.blob_key)
    response = client.get(f"/investigations/{investigation.reference}/evidence/{item.id}/download")
    assert response.status_code == 503
    assert MESSAGE in response.get_data(as_text=True)
