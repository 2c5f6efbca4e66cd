"""Hooks the web-capture check adds to the vault: in processing and on the item page."""

from __future__ import annotations

from app.vault.hooks import add_finding_source, add_item_panel, on_evidence_processed
from app.webcapture.services import check_capture_step, items_with_failed_checks
from app.webcapture.views import web_capture_panel


def register_webcapture() -> None:
    on_evidence_processed("web_capture_check", check_capture_step)
    add_item_panel("webcapture", "webcapture/_panel.html", web_capture_panel)
    add_finding_source("webcapture", items_with_failed_checks)
