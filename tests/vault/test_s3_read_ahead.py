"""S3 reads fetch ahead for a reader reading on, and only what is asked for elsewhere (moto)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import random
import secrets
from collections.abc import Iterator

import boto3
import pytest

from app.crypto.age import CHUNK_SIZE, AgeReader, AgeWriter, Identity
from app.vault.blobstore.base import BlobStoreError
from app.vault.blobstore.s3 import S3BlobStore
from tests.vault.vault_support import moto_endpoint

pytestmark = pytest.mark.nodb

MiB = 1024 * 1024
ENCRYPTED_CHUNK = CHUNK_SIZE + 16


def s3_store(monkeypatch, read_ahead: int) -> S3BlobStore:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=moto_endpoint(), region_name="us-east-1")
    bucket = f"custos-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(client, bucket, prefix="evidence/", read_ahead=read_ahead)


@contextlib.contextmanager
def counted_gets(client) -> Iterator[list[tuple[int, int]]]:
    """(first, last) byte of every GetObject the client sends while the block runs."""
    ranges: list[tuple[int, int]] = []

    def record(params, **_):
        first, last = params["Range"].removeprefix("bytes=").split("-")
        assert params["IfMatch"]  # every GET is pinned to the version opened
        ranges.append((int(first), int(last)))

    client.meta.events.register("before-parameter-build.s3.GetObject", record)
    try:
        yield ranges
    finally:
        client.meta.events.unregister("before-parameter-build.s3.GetObject", record)


def put(store: S3BlobStore, data: bytes) -> str:
    pending = store.begin()
    for start in range(0, len(data), 4 * MiB):
        pending.write(data[start : start + 4 * MiB])
    pending.commit()
    return pending.key


def put_encrypted(store: S3BlobStore, plaintext: bytes) -> tuple[str, Identity]:
    identity = Identity.generate()
    sink = io.BytesIO()
    with AgeWriter(sink, [identity.recipient]) as writer:
        writer.write(plaintext)
    return put(store, sink.getvalue()), identity


def test_a_file_read_through_chunk_by_chunk_costs_one_get_per_window(monkeypatch):
    """Pillow, ffprobe pipes and hashing read an age file 64 KiB at a time through as_file."""
    window = 2 * MiB
    store = s3_store(monkeypatch, window)
    plaintext = os.urandom(12 * MiB + 12345)
    key, identity = put_encrypted(store, plaintext)
    with counted_gets(store.client) as gets:
        source = store.open(key)
        reader = AgeReader.open(source, [identity])
        digest = hashlib.sha256()
        with io.BufferedReader(reader.as_file(), buffer_size=65536) as file:
            while piece := file.read(65536):
                digest.update(piece)
    assert digest.digest() == hashlib.sha256(plaintext).digest()
    # Header, final chunk, first chunk; then 1, 2 MiB ramping up; then one GET per window.
    assert len(gets) <= math.ceil(source.size / window) + 5
    assert len(gets) < source.size // ENCRYPTED_CHUNK // 10  # was one GET per chunk
    assert max(last - first + 1 for first, last in gets) <= window


def test_a_one_mib_range_at_an_offset_costs_at_most_two_gets_and_little_more(monkeypatch):
    """A player's Range request: the stream endpoint reads 16 chunks per source read."""
    store = s3_store(monkeypatch, 8 * MiB)
    plaintext = os.urandom(24 * MiB)
    key, identity = put_encrypted(store, plaintext)
    reader = AgeReader.open(store.open(key), [identity])
    start = 9 * MiB + 4321
    with counted_gets(store.client) as gets:
        body = b"".join(reader.iter_range(start, start + MiB, buffer_chunks=16))
    assert body == plaintext[start : start + MiB]
    assert len(gets) <= 2
    # Not a whole 8 MiB window for a 1 MiB range: at most twice what was asked for.
    assert sum(last - first + 1 for first, last in gets) <= 2 * MiB + 2 * ENCRYPTED_CHUNK


def test_a_tail_read_fetches_only_the_tail(monkeypatch):
    store = s3_store(monkeypatch, 8 * MiB)
    data = os.urandom(20 * MiB)
    source = store.open(put(store, data))
    with counted_gets(store.client) as gets:
        assert source.read_at(len(data) - 100, 500) == data[-100:]
        assert source.read_at(0, 22) == data[:22]
    assert [last - first + 1 for first, last in gets] == [100, 22]


def test_a_blob_replaced_during_a_read_fails_loudly(monkeypatch):
    """Key rotation replaces objects in place: a reader of the old one must not mix versions."""
    store = s3_store(monkeypatch, 1 * MiB)
    old = os.urandom(6 * MiB)
    key = put(store, old)
    source = store.open(key)
    position = 0
    while position < 2 * MiB:  # reading on: the read-ahead window is in use
        assert (
            source.read_at(position, ENCRYPTED_CHUNK) == old[position : position + ENCRYPTED_CHUNK]
        )
        position += ENCRYPTED_CHUNK
    store.replace(key, iter([os.urandom(6 * MiB)]))
    with pytest.raises(BlobStoreError, match="replaced while being read"):
        while position < len(old):
            # Bytes already fetched are the old version's; the next GET is refused.
            assert (
                source.read_at(position, ENCRYPTED_CHUNK)
                == old[position : position + ENCRYPTED_CHUNK]
            )
            position += ENCRYPTED_CHUNK
    assert position < len(old)


def test_any_mix_of_reads_returns_exactly_the_stored_bytes(monkeypatch):
    """Sequential runs, jumps back and forth, reads across window edges, past the end."""
    window = 300_001  # deliberately not a multiple of anything
    store = s3_store(monkeypatch, window)
    data = os.urandom(3 * MiB + 7)
    source = store.open(put(store, data))
    rng = random.Random(20261206)
    with counted_gets(store.client) as gets:
        for _ in range(60):
            position = rng.randrange(0, len(data) + 10)
            for _ in range(rng.randrange(1, 12)):  # a run of reads, each where the last ended
                length = rng.choice([1, 17, ENCRYPTED_CHUNK, rng.randrange(0, 2 * window)])
                assert source.read_at(position, length) == data[position : position + length]
                position += length
    # Memory per reader: no GET beyond the window unless the read itself asked for more.
    assert all(last - first + 1 <= 2 * window for first, last in gets)
