"""The per-investigation registry of anonymous WACZ signing keys (ArchiveWeb.page's).

A lawyer (a reviewer, as for ProofMode keys: app/provenance/pinning.py) pins the key whose
signature verified on a capture as a key of the investigation, or unpins it; each is a ledger
entry. A capture signed by a key that is not pinned while others are says so on its page.
The check itself (app/webcapture/signature.py) stays as it was sealed: the standing is read
against the pins of the moment.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.provenance.models import WaczKey
from app.provenance.pinning import PinRefused, key_standing, reviewers_item
from app.vault.models import EvidenceItem, EvidenceKind
from app.webcapture.services import checks_of


def capture_signing_key(item: EvidenceItem) -> str | None:
    """The fingerprint of the anonymous key whose signature verified in the latest check."""
    checks = checks_of(item)
    if not checks:
        return None
    signature = json.loads(checks[0].result).get("signature") or {}
    if signature.get("form") == "anonymous" and signature.get("verdict") == "valid":
        return signature.get("key_fingerprint")
    return None


def pinned_wacz_keys(investigation_id: str) -> dict[str, WaczKey]:
    stmt = select(WaczKey).where(WaczKey.investigation_id == investigation_id)
    return {key.fingerprint: key for key in db.session.scalars(stmt)}


def pin_wacz_key(viewer: InvestigationViewer, evidence_id: str) -> WaczKey:
    """Pin the key that signed this capture for its investigation (the caller commits)."""
    item = reviewers_item(viewer, evidence_id)
    fingerprint = capture_signing_key(item)
    if fingerprint is None:
        raise PinRefused(_("This item has no verified anonymous WACZ signature to pin."))
    if fingerprint in pinned_wacz_keys(item.investigation_id):
        raise PinRefused(_("This key is pinned already."))
    key = WaczKey(
        investigation_id=item.investigation_id,
        fingerprint=fingerprint,
        evidence_id=item.id,
        pinned_by_id=viewer.user.id,
    )
    db.session.add(key)
    db.session.flush()
    _record(viewer, item, "wacz_key_pinned", key)
    return key


def unpin_wacz_key(viewer: InvestigationViewer, evidence_id: str) -> str:
    """Unpin the key that signed this capture; its pin is gone, the ledger keeps both."""
    item = reviewers_item(viewer, evidence_id)
    fingerprint = capture_signing_key(item)
    key = pinned_wacz_keys(item.investigation_id).get(fingerprint or "")
    if key is None:
        raise PinRefused(_("This key is not pinned."))
    _record(viewer, item, "wacz_key_unpinned", key)
    db.session.delete(key)
    db.session.flush()
    return key.fingerprint


def _record(viewer: InvestigationViewer, item: EvidenceItem, action: str, key: WaczKey) -> None:
    details = {"key_id": key.id, "fingerprint": key.fingerprint}
    append_custody_event(item.investigation_id, viewer.user, action, "evidence", item.id, details)


def wacz_key_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any] | None:
    """The item page's "Signing key" panel for a capture with a verified anonymous signature:
    pinned, another key (others are pinned), or no key pinned yet; a reviewer pins or unpins."""
    if item.kind != EvidenceKind.WEB_CAPTURE.value:
        return None
    fingerprint = capture_signing_key(item)
    if fingerprint is None:
        return None
    pins = pinned_wacz_keys(item.investigation_id)
    return {
        "fingerprint": fingerprint,
        "standing": key_standing(fingerprint, set(pins)),
        "pin": pins.get(fingerprint),
        "others": sorted(f for f in pins if f != fingerprint),
        "may_decide": viewer.sees_all,
    }
