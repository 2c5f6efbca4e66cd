"""Intake holds little memory per upload: the body is read in small pieces, and what the
worker allocates while a file streams through stays a small, fixed amount whatever its size.

A web worker's RSS budget is 120 MB with about 115 MB taken at idle (docs/performance.md, "A
web worker's memory"): reading 1 MiB at a time, with the copies each piece goes through, held
9-11 MB more during every upload."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from app.vault.tus.sessions import append_to_upload, create_upload
from app.vault.upload.multipart import receive_multipart
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.vault_support import isolated_vault

SIZE = 16 * 1024 * 1024
MAX_PIECE = 256 * 1024
# What intake itself may allocate at once on top of the body's bytes (the server's buffers
# come on top): a read piece and the decoder's copies of it, the blob's write buffer, one
# 64 KiB age chunk, the writer thread's queue. Reading 1 MiB at a time it was 4-6 MiB.
PEAK_BUDGET = 2 * 1024 * 1024
BOUNDARY = b"----custos-memory-test"


@pytest.fixture
def member(app_ctx, app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch, backend="local"):
        investigation = InvestigationFactory()
        user = UserFactory(role="field")
        MembershipFactory(user=user, investigation=investigation)
        yield investigation, user


def body_reader(body: bytes):
    """read(n) as a server's input: at most n bytes, handed out without a copy; records n."""
    view = memoryview(body)
    asked: list[int] = []
    position = 0

    def read(size: int):
        nonlocal position
        asked.append(size)
        piece = view[position : position + size]
        position += len(piece)
        return piece

    return read, asked


def pdf_bytes() -> bytes:
    block = hashlib.sha256(b"seed").digest() * (1024 * 1024 // 32)
    return (b"%PDF-1.7\n" + block * (SIZE // len(block)))[:SIZE]


def peak_while(run) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_a_form_upload_reads_small_pieces_and_holds_little(member):
    investigation, user = member
    data = pdf_bytes()
    head = (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="statement.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    read, asked = body_reader(head + data + b"\r\n--" + BOUNDARY + b"--\r\n")
    outcomes: list = []
    peak = peak_while(
        lambda: outcomes.extend(
            receive_multipart(
                investigation, user, read, BOUNDARY, lambda token: None, csrf_checked=True
            )
        )
    )
    (outcome,) = outcomes
    assert outcome.item is not None and outcome.item.sha256 == hashlib.sha256(data).hexdigest()
    assert max(asked) <= MAX_PIECE
    assert peak < PEAK_BUDGET, f"{peak / 2**20:.1f} MiB"


def test_a_resumable_patch_reads_small_pieces_and_holds_little(member):
    investigation, user = member
    data = pdf_bytes()
    session = create_upload(investigation, user, "statement.pdf", None, len(data))
    read, asked = body_reader(data)
    results: list = []
    peak = peak_while(lambda: results.append(append_to_upload(session, user, 0, read, len(data))))
    assert results[0].evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert max(asked) <= MAX_PIECE
    assert peak < PEAK_BUDGET, f"{peak / 2**20:.1f} MiB"
