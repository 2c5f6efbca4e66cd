"""Hooks the consistency checks add to the vault: in processing and on the item page."""

from __future__ import annotations

from app.consistency.services import check_at_processing, items_with_findings
from app.consistency.views import consistency_panel
from app.vault.hooks import add_finding_source, add_item_panel, on_evidence_processed


def register_consistency() -> None:
    on_evidence_processed("consistency_check", check_at_processing)
    add_item_panel("consistency", "consistency/_panel.html", consistency_panel)
    add_finding_source("consistency", items_with_findings)
