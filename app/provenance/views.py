"""C2PA checks as the item page and the API show them, for one viewer.

The verdict, the SDK's codes, the SDK version and the trust list's SHA-256 say nothing about
people and are shown to whoever may see the item. The signer (a certificate can name the
photographer), the claimed capture time and place, the ingredients and the manifest itself
are identity information like the capture facts: only a viewer with the identity grant sees
them.
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
from app.provenance.service import CHECKED_KINDS, checks_of
from app.vault.models import EvidenceItem

PUBLIC_KEYS = ("verdict", "sdk", "trust_list_sha256", "reason", "sdk_state")
IDENTITY_KEYS = ("signer", "claimed", "ingredients", "manifest")


def verdict_label(verdict: str) -> str:
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
        return verdict_label(self.check.verdict)

    @property
    def failures(self) -> list[dict[str, str]]:
        return [c for c in self.document.get("codes", []) if c["kind"] == "failure"]

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
    """The item page's "Capture proof" panel (app/vault/hooks.py), for photos, videos and audio."""
    if item.kind not in CHECKED_KINDS:
        return None
    views = provenance_views(viewer, item)
    return {"checks": views, "latest": views[0] if views else None}
