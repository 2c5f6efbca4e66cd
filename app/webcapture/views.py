"""The item page's "Web capture" panel: pages, records with their hashes, the verdict."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem, EvidenceKind
from app.webcapture.models import WebCaptureCheck
from app.webcapture.pageview import sanitise
from app.webcapture.services import checks_of


def web_capture_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any] | None:
    """Shown for web captures only. Everything in it is text the template escapes: no captured
    HTML is rendered, no capture's script reaches the page."""
    if item.kind != EvidenceKind.WEB_CAPTURE.value:
        return None
    checks = checks_of(item)
    latest = checks[0] if checks else None
    result = json.loads(latest.result) if latest else None
    return {
        "check": latest,
        "result": result,
        "views": shown_pages(result or {}),
        "earlier": checks[1:],
    }


def shown_pages(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each captured page as the item page shows it: its capture time from pages.jsonl when
    listed there, its screenshots, and its HTML sanitised again here, as it is shown."""
    listed = {page.get("url"): page for page in result.get("pages") or []}
    shots: dict[str, list] = {}
    for shot in result.get("screenshots") or []:
        shots.setdefault(shot.get("page"), []).append(shot)
    shown = []
    for view in result.get("views") or []:
        url = view.get("target_uri")
        page = listed.get(url, {})
        shown.append(
            {
                **view,
                "url": url,
                "ts": page.get("ts") or view.get("date"),
                "title": page.get("title") or view.get("title"),
                # nh3 leaves no attribute, link, image, script or style: inert markup only.
                "html": Markup(sanitise(view.get("html") or "")),  # noqa: S704  # nosec B704
                "screenshots": shots.pop(url, []),
            }
        )
    for url, orphans in shots.items():  # screenshots of pages whose HTML was not captured
        shown.append({"url": url, "ts": orphans[0].get("date"), "screenshots": orphans})
    return shown


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
