"""Sealed files kept for the reading node: `keys reencrypt` copies them as it copies evidence."""

from __future__ import annotations

from app.extensions import db
from app.openrosa.sealed_models import SealedFile, SealedSubmission
from app.vault.reencryption import CustodyOf, register_blob_holder


def _custody_of(sealed_file: SealedFile) -> CustodyOf:
    """The entry goes to the kept submission, naming the file by its place in the manifest."""
    kept = db.session.get(SealedSubmission, sealed_file.sealed_submission_id)
    assert kept is not None  # the foreign key (RESTRICT) keeps it while a file names it
    return CustodyOf(
        kept.investigation_id, "sealed_submission", kept.id, f"file {sealed_file.position}"
    )


register_blob_holder(SealedFile, _custody_of)
