"""The item page's "Web capture" panel: pages, records with their hashes, the verdict."""

from __future__ import annotations

import json
from typing import Any

from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem, EvidenceKind
from app.webcapture.service import checks_of


def web_capture_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any] | None:
    """Shown for web captures only. Everything in it is text the template escapes: no captured
    HTML is rendered, no capture's script reaches the page."""
    if item.kind != EvidenceKind.WEB_CAPTURE.value:
        return None
    checks = checks_of(item)
    latest = checks[0] if checks else None
    return {
        "check": latest,
        "result": json.loads(latest.result) if latest else None,
        "earlier": checks[1:],
    }
