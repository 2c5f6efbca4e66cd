"""Proofs handed to outsiders: consistency between two signed tree sizes of one ledger."""

from __future__ import annotations

from sqlalchemy import select

from app.crypto.merkle import ProofError
from app.custody.models import Checkpoint
from app.custody.tree import NodeReader
from app.extensions import db
from app.investigations.models import Investigation


def consistency_proof(reference: str, old_size: int, new_size: int | None = None) -> dict:
    """{"old_size", "new_size", "proof"} between two sizes signed with a tree root.

    ``new_size`` defaults to the newest signed root. Raises LookupError for an unknown
    investigation and ProofError for sizes no v2 checkpoint has signed.
    """
    investigation = db.session.scalar(
        select(Investigation).where(Investigation.reference == reference)
    )
    if investigation is None:
        raise LookupError(f"no investigation {reference}")
    signed = set(
        db.session.scalars(
            select(Checkpoint.seq).where(
                Checkpoint.investigation_id == investigation.id, Checkpoint.root.is_not(None)
            )
        )
    )
    if new_size is None:
        if not signed:
            raise ProofError(f"{reference} has no checkpoint that signs a tree root")
        new_size = max(signed)
    for size in (old_size, new_size):
        if size not in signed:
            raise ProofError(f"no checkpoint of {reference} signs the tree of size {size}")
    proof = NodeReader(db.session, investigation.id).consistency(old_size, new_size)
    return {"old_size": old_size, "new_size": new_size, "proof": [node.hex() for node in proof]}
