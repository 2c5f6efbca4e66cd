"""The per-investigation registry of field researchers' ProofMode keys, pinned on first use.

A lawyer (a reviewer: lawyer or lead member on an account that is not a field one) pins the
key that signed a bundle as the key of the person who sent it. Later checks of that person's
bundles say whether they were signed by a pinned key or by another one. A pin is a ledger
entry and is never changed.
"""

from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.provenance.models import ProofModeKey, ProvenanceCheck
from app.security.refusals import refuse
from app.service_errors import ServiceError
from app.vault.models import EvidenceItem
from app.vault.reading.evidence import evidence_in


class PinRefused(ServiceError):
    """Nothing to pin, or pinned already (409): a pin is never changed in place."""

    status = 409
    code = "conflict"


def key_standing(fingerprint: str, pinned: set[str]) -> str:
    """ "pinned", "other_key" (signed by a key while others are pinned) or "first_use"."""
    if fingerprint in pinned:
        return "pinned"
    return "other_key" if pinned else "first_use"


def pinned_fingerprints(investigation_id: str, owner_id: str | None) -> set[str]:
    if owner_id is None:
        return set()
    stmt = select(ProofModeKey.fingerprint).where(
        ProofModeKey.investigation_id == investigation_id, ProofModeKey.owner_id == owner_id
    )
    return set(db.session.scalars(stmt))


def _latest_fingerprint(evidence_id: str) -> str | None:
    stmt = (
        select(ProvenanceCheck)
        .where(ProvenanceCheck.evidence_id == evidence_id, ProvenanceCheck.kind == "proofmode")
        .order_by(ProvenanceCheck.checked_at.desc(), ProvenanceCheck.id)
        .limit(1)
    )
    check = db.session.scalar(stmt)
    return json.loads(check.result).get("key_fingerprint") if check else None


def reviewers_item(viewer: InvestigationViewer, evidence_id: str) -> EvidenceItem:
    """The item a pin or unpin is about: 404 unless visible, 403 unless a reviewer decides.
    Shared by every registry of signing keys (ProofMode here, WACZ in app/webcapture/keys.py)."""
    item = evidence_in(viewer, evidence_id)
    if not viewer.sees_all:
        refuse(403, "not_a_reviewer")
    return item


def pin_key(viewer: InvestigationViewer, evidence_id: str) -> ProofModeKey:
    """Pin the key that signed this bundle as its sender's (the caller commits)."""
    item = reviewers_item(viewer, evidence_id)
    fingerprint = _latest_fingerprint(item.id)
    if fingerprint is None or item.uploaded_by_id is None:
        raise PinRefused(_("This item has no ProofMode key to pin."))
    if fingerprint in pinned_fingerprints(item.investigation_id, item.uploaded_by_id):
        raise PinRefused(_("This key is pinned already."))
    key = ProofModeKey(
        investigation_id=item.investigation_id,
        owner_id=item.uploaded_by_id,
        fingerprint=fingerprint,
        evidence_id=item.id,
        pinned_by_id=viewer.user.id,
    )
    db.session.add(key)
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        viewer.user,
        "proofmode_key_pinned",
        "evidence",
        item.id,
        {"key_id": key.id, "fingerprint": fingerprint, "owner_id": item.uploaded_by_id},
    )
    return key
