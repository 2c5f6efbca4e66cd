"""The export's helper threads: an error in either stops the export in the caller's thread,
with nothing left behind, and no helper thread outlives it."""

from __future__ import annotations

import hashlib
import threading

import pytest

from app.casefiles.services.bag_threads import ReadAhead, WriteBehind
from app.crypto.age import Identity
from app.crypto.age.errors import PayloadError
from app.extensions import db
from app.vault.storage import blob_store
from tests.casefiles.test_export_no_plaintext import case_with_marked_evidence, encrypted_export


def helper_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("export-")]


def test_evidence_damaged_in_the_vault_stops_the_export_and_leaves_nothing(
    app, built_case, export_dir
):
    world = built_case
    evidence = case_with_marked_evidence(world, blocks=4)
    blob = blob_store().path_for(evidence.blob_key)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in a chunk the read-ahead thread decrypts
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))
    export_dir.mkdir(parents=True)
    identity = Identity.generate()

    with pytest.raises(PayloadError):
        encrypted_export(world, identity, export_dir / "export.tar.age")
    db.session.rollback()
    assert list(export_dir.iterdir()) == []
    assert helper_threads() == []


def test_a_full_disk_is_reported_by_the_writer_not_swallowed_by_its_thread():
    with open("/dev/full", "wb", buffering=0) as full:
        sink = WriteBehind(full, hashlib.sha256())
        with pytest.raises(OSError):
            for _ in range(64):
                sink.write(b"x" * 65536)
            sink.finish()
    assert helper_threads() == []


def test_leaving_a_read_ahead_early_stops_its_thread_and_closes_the_source():
    closed = []

    def endless():
        while True:
            yield b"y" * 65536

    digest = hashlib.sha256()
    with ReadAhead(endless(), digest, on_close=lambda: closed.append(True)) as chunks:
        for number, _chunk in enumerate(chunks):
            if number == 100:
                break
    assert closed == [True]
    assert helper_threads() == []
