"""The item page's "Web capture" panel: pages, records with their hashes, the verdict."""

from __future__ import annotations

import json
from typing import Any

from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem, EvidenceKind
from app.webcapture.models import WebCaptureCheck
from app.webcapture.services import checks_of


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


def check_summary_json(check: WebCaptureCheck) -> dict[str, Any]:
    """A check as the API shows it: the verdict, what failed and the result's digest, not the
    captured URLs and titles (content, read on the item page)."""
    result = json.loads(check.result)
    return {
        "check_id": check.id,
        "checked_at": check.checked_at,
        "verdict": check.verdict,
        "failure": result.get("failure"),
        "records": result.get("record_count", 0),
        "pages": len(result.get("pages", [])),
        "result_sha256": check.result_sha256,
    }


def capture_checks_json(item: EvidenceItem) -> list[dict[str, Any]]:
    return [check_summary_json(check) for check in checks_of(item)]
