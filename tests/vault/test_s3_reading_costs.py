"""What reading evidence costs on the S3 backend, in requests to the object store (moto)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import pytest

from app.crypto.age import CHUNK_SIZE
from app.custody.fixity import check_object, stored_objects
from app.vault.blobstore.s3_read import DEFAULT_READ_AHEAD
from app.vault.storage import blob_store
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.test_reading import add_evidence, text_bytes
from tests.vault.vault_support import isolated_vault

MiB = 1024 * 1024


@pytest.fixture
def s3_vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch, backend="s3"):
        yield


@contextlib.contextmanager
def store_requests() -> Iterator[list[tuple[str, str]]]:
    """(operation, Range) of every request the app's S3 client sends while the block runs."""
    calls: list[tuple[str, str]] = []
    client = blob_store().inner.client

    def record(params, model, **_):
        calls.append((model.name, params.get("Range", "")))

    client.meta.events.register("before-parameter-build.s3", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-parameter-build.s3", record)


@pytest.fixture
def lawyer_and_item(s3_vault, app_ctx, signed_in):
    investigation = InvestigationFactory()
    lawyer = UserFactory(role="lawyer")
    MembershipFactory(user=lawyer, investigation=investigation, may_see_identities=True)
    data = text_bytes(12 * MiB + 999, seed=3)
    item = add_evidence(investigation, lawyer, data, "long-notes.txt")
    url = f"/investigations/{investigation.reference}/evidence/{item.id}"
    return signed_in(lawyer), url, data


def test_the_item_page_asks_the_object_store_for_nothing(lawyer_and_item):
    client, url, _ = lawyer_and_item
    with store_requests() as calls:
        assert client.get(url).status_code == 200
    assert calls == []


def test_a_one_mib_range_costs_a_lookup_and_a_few_gets(lawyer_and_item):
    """HEAD, the header, the final chunk (checked at open), then the range itself."""
    client, url, data = lawyer_and_item
    start = 5 * MiB + 77
    with store_requests() as calls:
        response = client.get(
            f"{url}/stream", headers={"Range": f"bytes={start}-{start + MiB - 1}"}
        )
    assert response.status_code == 206 and response.data == data[start : start + MiB]
    gets = [span for name, span in calls if name == "GetObject"]
    assert [name for name, _ in calls].count("HeadObject") == 1
    assert len(gets) <= 2 + 2  # header, final chunk; the range in one or two
    fetched = sum(int(b) - int(a) + 1 for a, b in (s[6:].split("-") for s in gets))
    assert fetched <= 2 * MiB + 4 * (CHUNK_SIZE + 16)


def test_a_fixity_check_reads_a_large_item_in_a_few_window_sized_gets(lawyer_and_item):
    """Reading a blob through (fixity, exports, media processing) costs about one GET per
    read-ahead window, not one per megabyte or per 64 KiB chunk."""
    _, url, data = lawyer_and_item
    item_id = url.rsplit("/", 1)[1]
    (target,) = [t for t in stored_objects() if t.object_id == item_id]
    with store_requests() as calls:
        outcome = check_object(target)
    assert outcome.ok
    gets = [span for name, span in calls if name == "GetObject"]
    ciphertext_size = blob_store().open(target.blob_key).size
    # Header, final chunk, the first read, then 2 and 4 MiB ramping up to the window.
    assert len(gets) <= math.ceil(ciphertext_size / DEFAULT_READ_AHEAD) + 5
