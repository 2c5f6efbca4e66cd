"""Hooks the duplicates package adds to the vault: at intake, in processing, on the item page."""

from __future__ import annotations

from app.custody.timeline import add_related_objects
from app.duplicates.exact import flag_exact_duplicates
from app.duplicates.fingerprinting import fingerprint_step
from app.duplicates.views import duplicates_panel, link_ids_of_item
from app.vault.hooks import add_item_panel, on_evidence_processed, on_evidence_recorded


def register_duplicates() -> None:
    on_evidence_recorded("exact_duplicates", flag_exact_duplicates)
    on_evidence_processed("pdq_fingerprint", fingerprint_step)
    add_item_panel("duplicates", "duplicates/_panel.html", duplicates_panel)
    add_related_objects("evidence", "evidence_link", link_ids_of_item)
