"""Evidence whose stored ciphertext was damaged stops the export, with nothing left behind."""

from __future__ import annotations

import pytest

from app.crypto.age import Identity
from app.crypto.age.errors import PayloadError
from app.extensions import db
from app.vault.storage import blob_store
from tests.casefiles.test_export_no_plaintext import case_with_marked_evidence, encrypted_export


def test_evidence_damaged_in_the_vault_stops_the_export_and_leaves_nothing(
    app, built_case, export_dir
):
    world = built_case
    evidence = case_with_marked_evidence(world, blocks=4)
    blob = blob_store().path_for(evidence.blob_key)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in a chunk in the middle of the file
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))
    export_dir.mkdir(parents=True)
    identity = Identity.generate()

    with pytest.raises(PayloadError):
        encrypted_export(world, identity, export_dir / "export.tar.age")
    db.session.rollback()
    assert list(export_dir.iterdir()) == []
