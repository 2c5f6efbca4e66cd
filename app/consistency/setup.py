"""Hooks the consistency checks add to the vault: in processing and on the item page."""

from __future__ import annotations

from app.consistency.services import check_at_processing
from app.consistency.views import consistency_panel
from app.vault.hooks import add_item_panel, on_evidence_processed


def register_consistency() -> None:
    on_evidence_processed("consistency_check", check_at_processing)
    add_item_panel("consistency", "consistency/_panel.html", consistency_panel)
