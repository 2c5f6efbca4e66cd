"""Hooks the C2PA check adds to the vault: in processing and on the item page."""

from __future__ import annotations

from app.provenance.service import c2pa_step
from app.provenance.views import provenance_panel
from app.vault.hooks import add_item_panel, on_evidence_processed


def register_provenance() -> None:
    on_evidence_processed("c2pa_check", c2pa_step)
    add_item_panel("provenance", "provenance/_panel.html", provenance_panel)
