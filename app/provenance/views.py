"""Capture-proof checks (C2PA, ProofMode) as the item page and the API show them, for one
viewer.

The verdict, the codes, the SDK version and the trust list's SHA-256 say nothing about
people and are shown to whoever may see the item. The signer (a certificate can name the
photographer, a key fingerprint follows a phone), the claimed capture time and place, the
ingredients and the manifest or proof itself are identity information like the capture
facts: only a viewer with the identity grant sees them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.investigations.viewer import InvestigationViewer
from app.provenance.c2pa_reading import (
    COULD_NOT_CHECK,
    INVALID,
    NONE,
    TRUSTED,
    VALID_UNTRUSTED,
)
from app.provenance.models import ProvenanceCheck
from app.provenance.services import check_kind, checks_of
from app.vault.models import EvidenceItem

PUBLIC_KEYS = ("verdict", "sdk", "trust_list_sha256", "reason", "sdk_state", "key")
IDENTITY_KEYS = (
    "signer",
    "claimed",
    "ingredients",
    "manifest",
    "key_fingerprint",
    "media_member",
    "proof",
)


def verdict_label(verdict: str, kind: str = "c2pa") -> str:
    if kind == "proofmode":
        return {
            TRUSTED: _("Signed by the key pinned for its sender; media and proofs agree"),
            VALID_UNTRUSTED: _("Media and proofs agree with the bundle's key, not a pinned one"),
            INVALID: _("Invalid: the media or its proofs do not agree with the signatures"),
            COULD_NOT_CHECK: _("Could not check"),
        }.get(verdict, verdict)
    return {
        TRUSTED: _("Signed by a trusted signer; unchanged since signing"),
        VALID_UNTRUSTED: _("Validly signed, but the signer is not on the trust list"),
        INVALID: _("Invalid: the file or its manifest changed after signing"),
        NONE: _("No C2PA manifest (this rules nothing out: many apps strip them)"),
        COULD_NOT_CHECK: _("Could not check"),
    }.get(verdict, verdict)


@dataclass(frozen=True)
class ProvenanceView:
    check: ProvenanceCheck
    details_visible: bool

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.check.result)

    @property
    def label(self) -> str:
        return verdict_label(self.check.verdict, self.check.kind)

    @property
    def failures(self) -> list[dict[str, str]]:
        """C2PA: the SDK's failure codes; ProofMode: every code (each is a finding)."""
        return [c for c in self.document.get("codes", []) if c.get("kind", "failure") == "failure"]

    def as_json(self) -> dict[str, Any]:
        document = self.document
        out: dict[str, Any] = {
            "check_id": self.check.id,
            "kind": self.check.kind,
            "checked_at": self.check.checked_at,
            "result_sha256": self.check.result_sha256,
            "codes": document.get("codes", []),
            **{key: document.get(key) for key in PUBLIC_KEYS},
        }
        if self.details_visible:
            out.update({key: document.get(key) for key in IDENTITY_KEYS})
        return out


def provenance_views(viewer: InvestigationViewer, item: EvidenceItem) -> list[ProvenanceView]:
    return [ProvenanceView(c, viewer.may_see_identities) for c in checks_of(item)]


def provenance_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict | None:
    """The item page's "Capture proof" panel (app/vault/hooks.py): photos, videos, audio and
    ProofMode bundles."""
    kind = check_kind(item)
    if kind is None:
        return None
    views = provenance_views(viewer, item)
    latest = views[0] if views else None
    may_pin = (
        kind == "proofmode"
        and viewer.sees_all
        and latest is not None
        and latest.document.get("key") in ("first_use", "other_key")
    )
    return {"kind": kind, "checks": views, "latest": latest, "may_pin": may_pin}
