"""Every evidence read path appends exactly one custody entry per request, naming the reader."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.custody.models import EntryOrigin, LedgerEntry
from app.custody.origins import origin_digest
from app.extensions import db
from app.vault.media.derivatives import store_derivative
from app.vault.models import DerivativeKind, EvidenceItem
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.helpers.web import sign_in

TEXT = b"shelling near the north road clinic at 09:40\n" * 3000  # ~135 KiB, three age chunks


@pytest.fixture
def reading(app, app_ctx, investigation):
    """A lawyer member signed in, an item stored through intake, and a thumbnail of it."""
    lawyer = UserFactory(role="lawyer", email="reader@example.org")
    MembershipFactory(user=lawyer, investigation=investigation)
    writer = begin_intake(investigation, lawyer, "statement.txt", None, len(TEXT))
    writer.write(TEXT)
    item = writer.finish()
    thumbnail = store_derivative(
        item, DerivativeKind.THUMBNAIL, "image/jpeg", jpeg_with_exif((32, 24)), lawyer
    )
    db.session.commit()
    client = app.test_client()
    sign_in(client, lawyer)
    base = f"/investigations/{investigation.reference}/evidence/{item.id}"
    return {
        "client": client,
        "lawyer": lawyer,
        "item": db.session.get(EvidenceItem, item.id),
        "urls": {
            "view": base,
            "stream": f"{base}/stream",
            "download": f"{base}/download",
            "derivative": f"{base}/derivatives/{thumbnail.id}",
        },
        "thumbnail": thumbnail,
    }


def entry_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def newest_entry() -> LedgerEntry:
    return db.session.scalar(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))


@pytest.mark.parametrize(
    ("path", "action", "headers"),
    [
        ("view", "viewed", {}),
        ("stream", "streamed", {"Range": "bytes=70000-70999"}),
        ("download", "downloaded", {"X-Access-Reason": "verification"}),
        ("derivative", "viewed", {}),
    ],
)
def test_each_read_path_appends_exactly_one_entry_with_the_reader(reading, path, action, headers):
    before = entry_count()
    response = reading["client"].get(reading["urls"][path], headers=headers)
    assert response.status_code in (200, 206), response.status_code
    response.get_data()  # the whole body was sent
    assert entry_count() == before + 1
    entry = newest_entry()
    body = json.loads(entry.body)
    lawyer, item = reading["lawyer"], reading["item"]
    assert (entry.action, entry.object_type, entry.object_id) == (action, "evidence", item.id)
    assert body["actor"] == {
        "type": "user",
        "id": lawyer.id,
        "email": "reader@example.org",
        "role": "lawyer",
    }
    # From where: a keyed digest beside the entry, never the address, never in the body.
    origin = db.session.get(EntryOrigin, entry.id)
    assert origin is not None and origin.digest == origin_digest("127.0.0.1")
    assert "127.0.0.1" not in origin.digest and b"127.0.0.1" not in entry.body
    if path == "derivative":
        assert body["details"]["derivative_id"] == reading["thumbnail"].id


def test_a_refused_read_appends_nothing(app, app_ctx, reading):
    outsider = UserFactory(role="lawyer")
    client = app.test_client()
    sign_in(client, outsider)
    before = entry_count()
    for url in reading["urls"].values():
        assert client.get(url).status_code == 404
    assert entry_count() == before
